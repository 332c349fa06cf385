/* The session engine against writers who hold no secret and peers the invitation does not admit,
 * on the in-memory transport and a hand-driven clock (sim.h): an invitation admits one peer
 * (others refused by name, nothing sealed to them), its pinned peer comes back from a new process
 * and receives what Bob wrote meanwhile, and forged handshake messages 1, 2 and 3 written around
 * the genuine ones neither end nor delay the genuine handshake. Run with a test's name. */
#include "sim.h"
#include "support/check.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool both_secure(sim *m)
{
    return sim_count(&m->bob, UI_EV_ESTABLISHED) > 0 &&
           sim_has_text(&m->alice, UI_EV_STATE, "confirmed by the peer");
}

static bool alice_ended(sim *m)
{
    return !m->alice.live;
}

static size_t count_reason(const sim_side *side, ui_reject reason)
{
    size_t n = 0;
    for (size_t i = 0; i < sim_count(side, UI_EV_REJECTED); i++)
        n += sim_find(side, UI_EV_REJECTED, i)->reason == reason;
    return n;
}

/* Alice, then the side restarted as a new `kchat connect` process (a new conversation id),
 * with its own identity or a new one. */
static void restart_alice(sim *m, bool new_identity)
{
    sim_stop(&m->alice, true);
    sim_run_for(m, 200);
    if (new_identity) {
        identity_free(m->alice.id);
        m->alice.id = identity_generate();
        m->alice.cfg.self = m->alice.id;
    }
    sim_start(&m->alice);
}

static void start_chat(sim *m)
{
    sim_start(&m->bob);
    sim_start(&m->alice);
    CHECK(sim_run(m, both_secure, 10000));
}

/* Someone else with the invitation is refused by name and gets nothing; Bob's channel with the
 * pinned peer was never replaced. */
static void test_other_peer_refused(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    sim_post(&m.bob, "for alice only");
    sim_run_for(&m, 200);
    CHECK(sim_count_text(&m.alice, UI_EV_MESSAGE, "for alice only") == 1);
    m.alice.cfg.handshake_timeout_s = 8;
    restart_alice(&m, true);
    sim_post(&m.bob, "still for alice only");
    CHECK(sim_run(&m, alice_ended, 20000));
    CHECK(count_reason(&m.bob, UI_REJECT_OTHER_PEER) >= 1);
    const ui_event *ev = NULL;
    for (size_t i = 0; i < sim_count(&m.bob, UI_EV_REJECTED); i++)
        if (sim_find(&m.bob, UI_EV_REJECTED, i)->reason == UI_REJECT_OTHER_PEER)
            ev = sim_find(&m.bob, UI_EV_REJECTED, i);
    CHECK(ev && ev->peer && !strcmp(ev->peer, identity_id(m.alice.id)));
    CHECK(sim_has_text(&m.bob, UI_EV_ERROR, "this invitation belongs to"));
    CHECK(sim_count(&m.bob, UI_EV_ESTABLISHED) == 1);
    CHECK(sim_count_text(&m.alice, UI_EV_MESSAGE, "still for alice only") == 0);
    CHECK(!sim_has_text(&m.alice, UI_EV_STATE, "confirmed by the peer") ||
          sim_count(&m.alice, UI_EV_MESSAGE) == 1); /* only the first process was confirmed */
    sim_free(&m);
}

static bool got_away_lines(sim *m)
{
    return sim_count_text(&m->alice, UI_EV_MESSAGE, "while away 2") == 1;
}

/* The pinned peer comes back from a new process: what Bob wrote while she was away arrives
 * once, no gap is reported, Bob's echoes of the old process's messages are not resent, and the
 * chat goes on in both directions. */
static void test_pinned_peer_new_process(void)
{
    sim m;
    sim_init(&m);
    m.bob.cfg.echo = true;
    start_chat(&m);
    sim_post(&m.alice, "old process");
    sim_post(&m.bob, "before");
    sim_run_for(&m, 500);
    CHECK(sim_count_text(&m.alice, UI_EV_ECHO, "old process") == 1);
    size_t mark = m.alice.n_evs;
    sim_stop(&m.alice, true);
    sim_run_for(&m, 200);
    sim_post(&m.bob, "while away 1");
    sim_post(&m.bob, "while away 2");
    sim_run_for(&m, 3000);
    sim_start(&m.alice);
    CHECK(sim_run(&m, got_away_lines, 15000));
    sim_post(&m.alice, "new process");
    sim_run_for(&m, 1000);
    CHECK(sim_count_text(&m.alice, UI_EV_MESSAGE, "while away 1") == 1);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "new process") == 1);
    CHECK(sim_count_text(&m.alice, UI_EV_ECHO, "new process") == 1);
    for (size_t i = mark; i < m.alice.n_evs; i++) {
        const ui_event *ev = m.alice.evs[i];
        CHECK(ev->type != UI_EV_GAP && ev->type != UI_EV_REJECTED);
        CHECK(!(ev->type == UI_EV_MESSAGE && !strcmp(ev->text, "before")));
        CHECK(!(ev->type == UI_EV_ECHO && !strcmp(ev->text, "old process")));
    }
    CHECK(sim_count(&m.bob, UI_EV_ESTABLISHED) == 2);
    sim_free(&m);
}

/* Forgeries around each genuine handshake record: messages 1 of new sessions after Alice's,
 * and tampered copies of messages 2 and 3 before the genuine ones. */
static sim_action forge(sim *m, sim_side *from, const frame *f, unsigned n, double *delay)
{
    (void)n;
    (void)delay;
    if (f->type < FRAME_HS1 || f->type > FRAME_HS3)
        return SIM_PASS;
    int topic = from == &m->alice ? SIM_A2B : SIM_B2A;
    size_t len = f->header_len + f->body_len;
    uint8_t *copy = malloc(len);
    memcpy(copy, f->header, len);
    for (int i = 0; i < 10; i++) {
        if (f->type == FRAME_HS1) {
            randombytes_buf(copy + 2, len - 2); /* a session and message of its own */
        } else {
            memcpy(copy, f->header, len);
            copy[f->header_len + randombytes_uniform((uint32_t)f->body_len)] ^= 0x20;
        }
        sim_inject(m, topic, copy, len);
    }
    free(copy);
    return SIM_PASS;
}

static void test_forged_handshake(void)
{
    sim m;
    sim_init(&m);
    m.filter = forge;
    double t0 = m.now;
    start_chat(&m);
    CHECK(m.now - t0 < 1000); /* at the first try: no retry needed */
    CHECK(m.alice.sent_by_type[FRAME_HS1] == 1);
    CHECK(sim_count(&m.bob, UI_EV_ESTABLISHED) == 1);
    CHECK(count_reason(&m.bob, UI_REJECT_TAMPERED) == 10);        /* the messages 3 */
    CHECK(count_reason(&m.bob, UI_REJECT_UNAUTHENTICATED) == 10); /* messages 1 without the mac */
    CHECK(count_reason(&m.alice, UI_REJECT_TAMPERED) == 10);      /* the messages 2 */
    CHECK(m.bob.sent_by_type[FRAME_HS2] == 1);                    /* Bob answered nothing forged */
    sim_post(&m.alice, "through");
    sim_run_for(&m, 500);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "through") == 1);
    sim_free(&m);
}

/* A replayed message 1 of the established session, and a replayed message 3, are reported as
 * replays and change nothing. */
static void test_replayed_handshake(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    sim_topic *t = &m.topics[SIM_A2B];
    size_t n = t->n;
    for (size_t i = 0; i < n; i++) {
        int type = sim_frame_type(&m, SIM_A2B, i);
        if (type == FRAME_HS1 || type == FRAME_HS3)
            sim_inject(&m, SIM_A2B, t->log[i].data, t->log[i].len);
    }
    sim_run_for(&m, 500);
    CHECK(count_reason(&m.bob, UI_REJECT_REPLAYED) == 2);
    CHECK(m.bob.sent_by_type[FRAME_HS2] == 1);
    sim_post(&m.alice, "after the replay");
    sim_run_for(&m, 500);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "after the replay") == 1);
    sim_free(&m);
}

/* Display names travel inside the handshake, each side's to the other's established event. */
static void test_display_names(void)
{
    sim m;
    sim_init(&m);
    m.alice.cfg.name = "Alice in Wonderland";
    m.bob.cfg.name = "Bob 🐝";
    start_chat(&m);
    const ui_event *a = sim_find(&m.alice, UI_EV_ESTABLISHED, 0);
    const ui_event *b = sim_find(&m.bob, UI_EV_ESTABLISHED, 0);
    CHECK(a && a->name && !strcmp(a->name, "Bob 🐝"));
    CHECK(b && b->name && !strcmp(b->name, "Alice in Wonderland"));
    CHECK(a && !strcmp(a->peer, identity_id(m.bob.id))); /* the identifier stays */
    sim_free(&m);
}

/* Lines Bob types before any Alice came are kept and reach the first one to connect. */
static void test_lines_before_first_peer(void)
{
    sim m;
    sim_init(&m);
    sim_start(&m.bob);
    sim_run_for(&m, 500);
    sim_post(&m.bob, "typed before anyone came");
    sim_run_for(&m, 3000);
    sim_start(&m.alice);
    CHECK(sim_run(&m, both_secure, 10000));
    sim_run_for(&m, 500);
    CHECK(sim_count_text(&m.alice, UI_EV_MESSAGE, "typed before anyone came") == 1);
    CHECK(sim_count(&m.bob, UI_EV_DELIVERED) == 1);
    sim_free(&m);
}

static const check_case tests[] = {
    {"other_peer_refused", test_other_peer_refused},
    {"pinned_peer_new_process", test_pinned_peer_new_process},
    {"forged_handshake", test_forged_handshake},
    {"replayed_handshake", test_replayed_handshake},
    {"display_names", test_display_names},
    {"lines_before_first_peer", test_lines_before_first_peer},
};

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    return check_run_cases(tests, sizeof tests / sizeof tests[0], argc, argv);
}
