/* Resuming a conversation from the journal and the history (src/session_journal.c), in simulated
 * time (sim.h): Alice killed with messages unacknowledged and the peer's unacknowledged, Bob
 * killed with messages numbered but never taken by Kafka, both killed at once; after each,
 * everything is shown exactly once on each side, with its echo and receipt. The history is shown
 * on resume (not with --no-history), and is sealed. Run with a test's name to run only it. */
#define _GNU_SOURCE /* memmem */
#include "sim.h"
#include "support/check.h"

#include "crypto/store_key.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One side's files: its journal and history, reopened after each crash as a new process
 * would. */
typedef struct files {
    char dir[64], journal[128], history[128];
    uint8_t *key;
    conv_state *cs;
    history *h;
} files;

static void files_init(files *f, const char *dir, const char *who, const identity *id)
{
    snprintf(f->journal, sizeof f->journal, "%s/%s.conv", dir, who);
    snprintf(f->history, sizeof f->history, "%s/%s.history", dir, who);
    f->key = store_key_derive(identity_secret(id));
    f->cs = NULL;
    f->h = NULL;
}

/* Opens the files into side's config (history unless no_history). */
static void files_open(files *f, sim_side *side, bool no_history)
{
    char err[512];
    f->cs = conv_state_open(f->journal, f->key, true, err, sizeof err);
    if (!f->cs)
        fprintf(stderr, "journal: %s\n", err);
    CHECK(f->cs != NULL);
    f->h = no_history ? NULL : history_open(f->history, f->key, 0, err, sizeof err);
    side->cfg.journal = f->cs;
    side->cfg.history = f->h;
    side->cfg.history_show = 20;
}

/* The process is gone: nothing more is synced (every step synced what it journaled). */
static void files_drop(files *f)
{
    conv_state_close(f->cs);
    history_close(f->h); /* its appends are in the file already */
    f->cs = NULL;
    f->h = NULL;
}

static void files_free(files *f)
{
    files_drop(f);
    store_key_free(f->key);
}

/* ---- filters and predicates ---- */

typedef struct faults {
    bool drop_alice; /* Alice's sealed records are lost (her messages and acknowledgements) */
    bool fail_bob;   /* Kafka does not take Bob's sealed records */
} faults;

static sim_action filter(sim *m, sim_side *from, const frame *f, unsigned n, double *delay)
{
    const faults *x = m->test;
    (void)n;
    (void)delay;
    if (f->type != FRAME_DATA)
        return SIM_PASS;
    if (from == &m->alice && x->drop_alice)
        return SIM_DROP;
    if (from == &m->bob && x->fail_bob)
        return SIM_FAIL;
    return SIM_PASS;
}

static bool both_secure(sim *m)
{
    return sim_count(&m->bob, UI_EV_ESTABLISHED) > 0 &&
           sim_has_text(&m->alice, UI_EV_STATE, "confirmed by the peer");
}

static size_t want;
static bool alice_saw(sim *m)
{
    return sim_count(&m->alice, UI_EV_MESSAGE) >= want;
}

static bool all_echoed(sim *m)
{
    return sim_count(&m->alice, UI_EV_ECHO) >= want &&
           sim_count(&m->alice, UI_EV_DELIVERED) >= want;
}

static void post_n(sim_side *side, const char *prefix, int n)
{
    for (int i = 1; i <= n; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s %d", prefix, i);
        sim_post(side, line);
    }
}

/* Every line prefix 1..n shown exactly once by side as type. */
static bool each_once(const sim_side *side, ui_event_type type, const char *prefix, int n)
{
    for (int i = 1; i <= n; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s %d", prefix, i);
        size_t k = sim_count_text(side, type, line);
        if (k != 1) {
            fprintf(stderr, "%s: %s %s shown %zu times\n", side->name, ui_event_name(type), line,
                    k);
            return false;
        }
    }
    return true;
}

/* Each of our seqs 1..n delivered exactly once. */
static bool delivered_once(const sim_side *side, uint64_t n)
{
    for (uint64_t seq = 1; seq <= n; seq++) {
        size_t k = 0;
        for (size_t i = 0; i < side->n_evs; i++)
            k += side->evs[i]->type == UI_EV_DELIVERED && side->evs[i]->seq == seq;
        if (k != 1) {
            fprintf(stderr, "%s: seq %llu delivered %zu times\n", side->name,
                    (unsigned long long)seq, k);
            return false;
        }
    }
    return true;
}

static listen_state *new_state(sim *m, const char *path)
{
    listen_state *st = listen_state_new();
    snprintf(st->a2b, sizeof st->a2b, "%s", m->a2b);
    snprintf(st->b2a, sizeof st->b2a, "%s", m->b2a);
    invitation_format(m->inv, st->invitation, LISTEN_STATE_INV_MAX);
    char err[256];
    CHECK(listen_state_save(path, st, err, sizeof err) == 0);
    return st;
}

static listen_state *load_state(const char *path)
{
    listen_state *st = listen_state_new();
    char err[256];
    CHECK(listen_state_load(path, st, err, sizeof err) == 0);
    return st;
}

typedef struct world {
    sim m;
    faults x;
    char dir[64], state_path[128];
    files fa, fb;
    listen_state *st[3];
    int n_st;
    bool late; /* a restarted Alice gets her files while connecting (cfg.state_later) */
} world;

/* Alice and Bob (--echo) with their journals and histories, Bob with a listen state. */
static void world_init(world *w)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/kchat-resume-XXXXXX");
    CHECK(mkdtemp(w->dir) != NULL);
    sim_init(&w->m);
    w->m.test = &w->x;
    w->m.filter = filter;
    files_init(&w->fa, w->dir, "alice", w->m.alice.id);
    files_init(&w->fb, w->dir, "bob", w->m.bob.id);
    files_open(&w->fa, &w->m.alice, false);
    files_open(&w->fb, &w->m.bob, false);
    snprintf(w->state_path, sizeof w->state_path, "%s/listen.state", w->dir);
    w->st[w->n_st++] = new_state(&w->m, w->state_path);
    w->m.bob.cfg.state = w->st[0];
    w->m.bob.cfg.state_path = w->state_path;
    w->m.bob.cfg.echo = true;
    /* as kchat's front ends: a message counts as shown once the screen says so */
    w->m.alice.cfg.front_confirms = w->m.bob.cfg.front_confirms = true;
    sim_start(&w->m.bob);
    sim_start(&w->m.alice);
    CHECK(sim_run(&w->m, both_secure, 10000));
}

static void crash_alice(world *w)
{
    sim_stop(&w->m.alice, false);
    files_drop(&w->fa);
}

static void restart_alice(world *w)
{
    files_open(&w->fa, &w->m.alice, false);
    if (w->late)
        sim_start_later(&w->m.alice, w->fa.cs, w->fa.h, NULL);
    else
        sim_start(&w->m.alice);
}

static void crash_bob(world *w)
{
    sim_stop(&w->m.bob, false);
    files_drop(&w->fb);
}

/* As `listen --resume`: the listen state read back from its file. */
static void restart_bob(world *w)
{
    files_open(&w->fb, &w->m.bob, false);
    w->st[w->n_st] = load_state(w->state_path);
    w->m.bob.cfg.state = w->st[w->n_st++];
    sim_start(&w->m.bob);
}

static void world_free(world *w)
{
    sim_free(&w->m);
    files_free(&w->fa);
    files_free(&w->fb);
    for (int i = 0; i < w->n_st; i++)
        listen_state_free(w->st[i]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
    CHECK(system(cmd) == 0);
}

/* No record was refused on either side: a resumed side does not trip over its own past (an
 * Alice who resumed from her journal takes Bob's resends for her killed process as stale). */
static void no_rejections(const world *w)
{
    CHECK(sim_count(&w->m.alice, UI_EV_REJECTED) == 0);
    CHECK(sim_count(&w->m.bob, UI_EV_REJECTED) == 0);
    CHECK(sim_count(&w->m.alice, UI_EV_GAP) == 0 && sim_count(&w->m.bob, UI_EV_GAP) == 0);
}

/* ---- tests ---- */

/* Alice is killed with her lines sent but not acknowledged, after showing Bob's lines whose
 * acknowledgement never reached him. The same invitation resumes: her lines are resent and
 * shown once by Bob, with one echo and one receipt each; Bob's resent lines are not shown again. */
static void alice_crash_unacked(bool late)
{
    world w;
    world_init(&w);
    w.late = late;
    w.x.drop_alice = true;
    post_n(&w.m.bob, "bob", 2);
    want = 2;
    CHECK(sim_run(&w.m, alice_saw, 5000));
    post_n(&w.m.alice, "first", 3);
    sim_run_for(&w.m, 3000); /* sent and resent, never arriving */
    CHECK(sim_count(&w.m.bob, UI_EV_MESSAGE) == 0 && sim_count(&w.m.alice, UI_EV_DELIVERED) == 0);
    crash_alice(&w);
    w.x.drop_alice = false;
    restart_alice(&w);
    want = 3;
    CHECK(sim_run(&w.m, all_echoed, 30000));
    sim_run_for(&w.m, 2000);
    CHECK(each_once(&w.m.bob, UI_EV_MESSAGE, "first", 3));
    CHECK(each_once(&w.m.alice, UI_EV_ECHO, "first", 3));
    CHECK(delivered_once(&w.m.alice, 3));
    CHECK(each_once(&w.m.alice, UI_EV_MESSAGE, "bob", 2)); /* across both processes */
    CHECK(sim_count(&w.m.bob, UI_EV_DELIVERED) == 2);
    no_rejections(&w);
    world_free(&w);
}

static void test_alice_crash_unacked(void)
{
    alice_crash_unacked(false);
}

/* The same, with the restarted Alice's journal and history handed over while her session
 * connects (as `kchat connect` does): restored from them all the same. */
static void test_alice_crash_unacked_late(void)
{
    alice_crash_unacked(true);
}

/* Files that could not be opened (another process holds them): the session says why and ends
 * with KCHAT_EXIT_ERROR before any handshake; Bob sees nothing. */
static void test_late_state_refused(void)
{
    world w;
    world_init(&w);
    crash_alice(&w);
    size_t bob_events = w.m.bob.n_evs, alice_events = w.m.alice.n_evs;
    sim_start_later(&w.m.alice, NULL, NULL, "conversation state X: in use by another process");
    sim_run_for(&w.m, 2000);
    CHECK(sim_has_text(&w.m.alice, UI_EV_ERROR, "in use by another process"));
    CHECK(w.m.alice.code == KCHAT_EXIT_ERROR);
    for (size_t i = alice_events; i < w.m.alice.n_evs; i++) /* this process: no handshake */
        CHECK(w.m.alice.evs[i]->type != UI_EV_HANDSHAKE);
    CHECK(w.m.bob.n_evs == bob_events);
    world_free(&w);
}

/* Alice is killed while her handshake cannot finish (Bob not running) with lines typed: the
 * restarted Alice sends them once Bob is back. */
static void test_alice_crash_handshaking(void)
{
    world w;
    world_init(&w);
    crash_bob(&w);
    crash_alice(&w);
    restart_alice(&w);
    post_n(&w.m.alice, "typed", 3);
    sim_run_for(&w.m, 6000); /* handshakes unanswered */
    crash_alice(&w);
    restart_bob(&w);
    restart_alice(&w);
    want = 3;
    CHECK(sim_run(&w.m, all_echoed, 30000));
    sim_run_for(&w.m, 2000);
    CHECK(each_once(&w.m.bob, UI_EV_MESSAGE, "typed", 3));
    CHECK(each_once(&w.m.alice, UI_EV_ECHO, "typed", 3));
    CHECK(delivered_once(&w.m.alice, 3));
    world_free(&w);
}

/* Bob is killed with his lines numbered (and journaled) but never taken by Kafka: `listen
 * --resume` sends them, and Alice shows each once. */
static void test_bob_crash_numbered(void)
{
    world w;
    world_init(&w);
    w.x.fail_bob = true;
    post_n(&w.m.bob, "bob", 3);
    sim_run_for(&w.m, 50); /* numbered, refused by Kafka, not yet retransmitted */
    CHECK(sim_count(&w.m.alice, UI_EV_MESSAGE) == 0);
    crash_bob(&w);
    w.x.fail_bob = false;
    restart_bob(&w);
    sim_post(&w.m.alice, "wake 1"); /* Alice hears of the new Bob by handshaking again */
    want = 3;
    CHECK(sim_run(&w.m, alice_saw, 30000));
    sim_run_for(&w.m, 2000);
    CHECK(each_once(&w.m.alice, UI_EV_MESSAGE, "bob", 3));
    CHECK(each_once(&w.m.bob, UI_EV_MESSAGE, "wake", 1));
    CHECK(sim_count(&w.m.bob, UI_EV_DELIVERED) == 3);
    world_free(&w);
}

/* Bob's screen lags behind his session (a busy terminal, a slow pipe): the lines are in his event
 * queue, not on his screen, when he is killed. He neither echoed nor acknowledged them, so Alice
 * resends them to the resumed Bob, who shows each once; each echo and receipt comes once. */
static void test_bob_crash_before_screen(void)
{
    world w;
    world_init(&w);
    w.m.bob.lag = true;
    post_n(&w.m.alice, "unseen", 3);
    sim_run_for(&w.m, 500); /* read and handed to Bob's front end, which shows nothing */
    CHECK(sim_count(&w.m.alice, UI_EV_ECHO) == 0 && sim_count(&w.m.alice, UI_EV_DELIVERED) == 0);
    crash_bob(&w); /* his queued events die with him */
    CHECK(sim_count(&w.m.bob, UI_EV_MESSAGE) == 0);
    w.m.bob.lag = false;
    restart_bob(&w);
    want = 3;
    CHECK(sim_run(&w.m, all_echoed, 30000));
    sim_run_for(&w.m, 2000);
    CHECK(each_once(&w.m.bob, UI_EV_MESSAGE, "unseen", 3));
    CHECK(each_once(&w.m.alice, UI_EV_ECHO, "unseen", 3));
    CHECK(delivered_once(&w.m.alice, 3));
    world_free(&w);
}

/* The same on Alice's side: Bob's lines reach her session but not her screen before she is
 * killed. She acknowledged none of them, so the resumed Alice shows each once, and Bob gets each
 * receipt once. */
static void test_alice_crash_before_screen(void)
{
    world w;
    world_init(&w);
    w.m.alice.lag = true;
    post_n(&w.m.bob, "hidden", 3);
    sim_run_for(&w.m, 500);
    CHECK(sim_count(&w.m.bob, UI_EV_DELIVERED) == 0);
    crash_alice(&w);
    CHECK(sim_count(&w.m.alice, UI_EV_MESSAGE) == 0);
    w.m.alice.lag = false;
    restart_alice(&w);
    want = 3;
    CHECK(sim_run(&w.m, alice_saw, 30000));
    sim_run_for(&w.m, 2000);
    CHECK(each_once(&w.m.alice, UI_EV_MESSAGE, "hidden", 3));
    CHECK(sim_count(&w.m.bob, UI_EV_DELIVERED) == 3);
    world_free(&w);
}

/* Alice's echoes reach her session, and Bob's acknowledgements with them, but not her screen
 * before she is killed: the resumed Alice still holds the messages (an echoing peer's
 * acknowledgement does not release what has no echo on screen), resends them, and Bob echoes
 * them again: each echo shown once. */
static void alice_crash_before_echo_shown(bool late)
{
    world w;
    world_init(&w);
    w.late = late;
    w.m.alice.lag = true;
    post_n(&w.m.alice, "mine", 3);
    post_n(&w.m.bob, "nudge", 2); /* his records carry his acknowledgements */
    sim_run_for(&w.m, 1500);
    CHECK(each_once(&w.m.bob, UI_EV_MESSAGE, "mine", 3));
    crash_alice(&w);
    CHECK(sim_count(&w.m.alice, UI_EV_ECHO) == 0);
    w.m.alice.lag = false;
    restart_alice(&w);
    want = 3;
    CHECK(sim_run(&w.m, all_echoed, 30000));
    sim_run_for(&w.m, 2000);
    CHECK(each_once(&w.m.alice, UI_EV_ECHO, "mine", 3));
    CHECK(delivered_once(&w.m.alice, 3));
    CHECK(each_once(&w.m.bob, UI_EV_MESSAGE, "mine", 3));
    CHECK(each_once(&w.m.alice, UI_EV_MESSAGE, "nudge", 2));
    world_free(&w);
}

static void test_alice_crash_before_echo_shown(void)
{
    alice_crash_before_echo_shown(false);
}

/* The same with the files handed over late: the conversation id comes from the journal too (a
 * new one would make Bob show her resent lines again). */
static void test_alice_crash_before_echo_shown_late(void)
{
    alice_crash_before_echo_shown(true);
}

/* Both killed at once, each with messages of its own unacknowledged. */
static void test_both_crash(void)
{
    world w;
    world_init(&w);
    w.x.drop_alice = true;
    w.x.fail_bob = true;
    post_n(&w.m.alice, "alice", 4);
    post_n(&w.m.bob, "bob", 2);
    sim_run_for(&w.m, 500);
    crash_alice(&w);
    crash_bob(&w);
    w.x.drop_alice = w.x.fail_bob = false;
    restart_bob(&w);
    restart_alice(&w);
    want = 4;
    CHECK(sim_run(&w.m, all_echoed, 30000));
    sim_run_for(&w.m, 2000);
    CHECK(each_once(&w.m.bob, UI_EV_MESSAGE, "alice", 4));
    CHECK(each_once(&w.m.alice, UI_EV_ECHO, "alice", 4));
    CHECK(each_once(&w.m.alice, UI_EV_MESSAGE, "bob", 2));
    CHECK(delivered_once(&w.m.alice, 4));
    no_rejections(&w);
    world_free(&w);
}

/* Bob resumes with his listen state but a new journal (another state directory, or a state
 * from before journals): his numbers go on from the listen state's, and the acknowledgements
 * of numbers the journal never held do not end him. */
static void test_bob_new_journal(void)
{
    world w;
    world_init(&w);
    post_n(&w.m.alice, "before", 3);
    want = 3;
    CHECK(sim_run(&w.m, all_echoed, 5000));
    sim_run_for(&w.m, 200);
    crash_bob(&w);
    CHECK(unlink(w.fb.journal) == 0);
    restart_bob(&w);
    post_n(&w.m.alice, "after", 2);
    want = 5;
    CHECK(sim_run(&w.m, all_echoed, 30000));
    sim_run_for(&w.m, 1000);
    CHECK(w.m.bob.live && !sim_has_text(&w.m.bob, UI_EV_ERROR, "conversation state"));
    CHECK(each_once(&w.m.alice, UI_EV_ECHO, "after", 2) &&
          each_once(&w.m.bob, UI_EV_MESSAGE, "after", 2));
    const ui_event *ev = sim_find(&w.m.alice, UI_EV_ECHO, 4);
    CHECK(ev != NULL);
    world_free(&w);
}

static size_t history_after(const sim_side *side, size_t mark, bool out, const char *text)
{
    size_t n = 0;
    for (size_t i = mark; i < side->n_evs; i++) {
        const ui_event *ev = side->evs[i];
        n += ev->type == UI_EV_HISTORY && ev->out == out && !strcmp(ev->text, text);
    }
    return n;
}

static bool file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return memmem(buf, n, text, strlen(text)) != NULL;
}

/* A restarted side shows the last messages (ours and the peer's, in order) as history before
 * anything else; with --no-history nothing. The history is sealed: no text in clear, and
 * another identity cannot open it. */
static void test_history(void)
{
    world w;
    world_init(&w);
    post_n(&w.m.alice, "hello", 2);
    want = 2;
    CHECK(sim_run(&w.m, all_echoed, 5000));
    sim_post(&w.m.bob, "secret reply 1");
    want = 1;
    CHECK(sim_run(&w.m, alice_saw, 5000));
    sim_run_for(&w.m, 200);
    sim_stop(&w.m.alice, true);
    files_drop(&w.fa);
    size_t mark = w.m.alice.n_evs;
    restart_alice(&w);
    CHECK(sim_count(&w.m.alice, UI_EV_HISTORY) == 3);
    CHECK(history_after(&w.m.alice, mark, true, "hello 1") == 1);
    CHECK(history_after(&w.m.alice, mark, true, "hello 2") == 1);
    CHECK(history_after(&w.m.alice, mark, false, "secret reply 1") == 1);
    CHECK(w.m.alice.evs[mark]->type == UI_EV_HISTORY &&
          !strcmp(w.m.alice.evs[mark]->text, "hello 1"));
    CHECK(w.m.alice.evs[mark + 2]->type == UI_EV_HISTORY &&
          !strcmp(w.m.alice.evs[mark + 2]->text, "secret reply 1"));
    /* Bob's history too (his echoes are not in it) */
    sim_stop(&w.m.bob, true);
    files_drop(&w.fb);
    size_t bmark = w.m.bob.n_evs;
    restart_bob(&w);
    CHECK(history_after(&w.m.bob, bmark, false, "hello 1") == 1);
    CHECK(history_after(&w.m.bob, bmark, true, "secret reply 1") == 1);
    CHECK(sim_count(&w.m.bob, UI_EV_HISTORY) == 3);
    /* --no-history: none shown */
    sim_stop(&w.m.alice, true);
    files_drop(&w.fa);
    files_open(&w.fa, &w.m.alice, true);
    sim_start(&w.m.alice);
    CHECK(sim_count(&w.m.alice, UI_EV_HISTORY) == 3);
    CHECK(w.fa.h == NULL);
    /* sealed at rest */
    CHECK(!file_has(w.fa.history, "secret reply") && !file_has(w.fa.history, "hello 1"));
    CHECK(!file_has(w.fa.journal, "hello"));
    char err[256];
    history *other = history_open(w.fa.history, w.fb.key, 0, err, sizeof err);
    CHECK(other == NULL);
    history_close(other);
    world_free(&w);
}

static const check_case tests[] = {
    {"alice_crash_unacked", test_alice_crash_unacked},
    {"alice_crash_unacked_late", test_alice_crash_unacked_late},
    {"late_state_refused", test_late_state_refused},
    {"alice_crash_handshaking", test_alice_crash_handshaking},
    {"bob_crash_numbered", test_bob_crash_numbered},
    {"both_crash", test_both_crash},
    {"bob_crash_before_screen", test_bob_crash_before_screen},
    {"alice_crash_before_screen", test_alice_crash_before_screen},
    {"alice_crash_before_echo_shown", test_alice_crash_before_echo_shown},
    {"alice_crash_before_echo_shown_late", test_alice_crash_before_echo_shown_late},
    {"history", test_history},
    {"bob_new_journal", test_bob_new_journal},
};

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    return check_run_cases(tests, sizeof tests / sizeof tests[0], argc, argv);
}
