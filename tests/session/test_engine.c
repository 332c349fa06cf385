/* The session engine on the in-memory transport and a hand-driven clock (sim.h): handshake and
 * its retries, resend, cumulative acknowledgements, duplicates, gaps, rekeys, timeouts, Bob's
 * resume, echo, fragmentation and back-pressure, each in simulated time. Run with a test's name
 * to run only it (CTest runs each as a test of its own). */
#include "sim.h"
#include "support/check.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- predicates and filters ---- */

static uint64_t seq_of(const ui_event *ev)
{
    return ev ? ev->seq : 0;
}

static bool both_secure(sim *m)
{
    return sim_count(&m->bob, UI_EV_ESTABLISHED) > 0 &&
           sim_has_text(&m->alice, UI_EV_STATE, "confirmed by the peer");
}

static size_t want_delivered;
static bool delivered(sim *m)
{
    return sim_count(&m->alice, UI_EV_DELIVERED) >= want_delivered;
}

static size_t want_shown;
static bool bob_shown(sim *m)
{
    return sim_count(&m->bob, UI_EV_MESSAGE) >= want_shown;
}

static bool alice_ended(sim *m)
{
    return !m->alice.live;
}

/* Drops the first record of type m->test points at. */
static sim_action drop_first(sim *m, sim_side *from, const frame *f, unsigned n, double *delay)
{
    (void)from;
    (void)delay;
    return f->type == *(int *)m->test && n == 0 ? SIM_DROP : SIM_PASS;
}

static void start_chat(sim *m)
{
    sim_start(&m->bob);
    sim_start(&m->alice);
    CHECK(sim_run(m, both_secure, 10000));
}

static void post_n(sim_side *side, const char *prefix, int n)
{
    for (int i = 1; i <= n; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s %d", prefix, i);
        sim_post(side, line);
    }
}

static bool one_step(sim *m)
{
    (void)m;
    return true;
}

/* Lines posted one step apart, so each leaves in a record of its own (no batch). */
static void post_apart(sim *m, sim_side *side, const char *prefix, int n)
{
    for (int i = 1; i <= n; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s %d", prefix, i);
        sim_post(side, line);
        sim_run(m, one_step, 0);
    }
}

/* Every line prefix 1..n shown exactly once by side. */
static bool each_once(const sim_side *side, const char *prefix, int n)
{
    for (int i = 1; i <= n; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s %d", prefix, i);
        if (sim_count_text(side, UI_EV_MESSAGE, line) != 1) {
            fprintf(stderr, "%s shown %zu times\n", line,
                    sim_count_text(side, UI_EV_MESSAGE, line));
            return false;
        }
    }
    return true;
}

/* ---- tests ---- */

static void test_handshake(void)
{
    sim m;
    sim_init(&m);
    double t0 = m.now;
    start_chat(&m);
    CHECK(m.now - t0 < 1000); /* no retry was needed */
    CHECK(m.alice.sent_by_type[FRAME_HS1] == 1 && m.alice.sent_by_type[FRAME_HS3] == 1);
    CHECK(m.bob.sent_by_type[FRAME_HS2] == 1);
    const ui_event *ev = sim_find(&m.alice, UI_EV_ESTABLISHED, 0);
    CHECK(ev && !strcmp(ev->peer, identity_id(m.bob.id)));
    ev = sim_find(&m.bob, UI_EV_ESTABLISHED, 0);
    CHECK(ev && !strcmp(ev->peer, identity_id(m.alice.id)));
    CHECK(sim_count(&m.alice, UI_EV_HANDSHAKE) == 3 && sim_count(&m.bob, UI_EV_HANDSHAKE) == 3);
    size_t confirmed = 0, secure = 0; /* the UI knows Bob's confirmation by the flag */
    for (size_t i = 0; (ev = sim_find(&m.alice, UI_EV_STATE, i)) != NULL; i++) {
        bool said = ev->text && !strcmp(ev->text, "confirmed by the peer");
        CHECK(ev->confirmed == said && (!said || ev->state == UI_STATE_SECURE));
        confirmed += ev->confirmed;
        secure += ev->state == UI_STATE_SECURE;
    }
    CHECK(confirmed == 1 && secure >= 1);
    for (size_t i = 0; (ev = sim_find(&m.bob, UI_EV_STATE, i)) != NULL; i++)
        CHECK(!ev->confirmed);
    sim_post(&m.alice, "hello bob");
    sim_post(&m.bob, "hello alice");
    want_shown = 1;
    CHECK(sim_run(&m, bob_shown, 1000));
    sim_run_for(&m, 100);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "hello bob") == 1);
    CHECK(sim_count_text(&m.alice, UI_EV_MESSAGE, "hello alice") == 1);
    CHECK(sim_count(&m.alice, UI_EV_DELIVERED) == 1 && sim_count(&m.bob, UI_EV_DELIVERED) == 1);
    CHECK(sim_count(&m.alice, UI_EV_REJECTED) == 0 && sim_count(&m.bob, UI_EV_REJECTED) == 0);
    session_post_command(m.alice.s, SESSION_CMD_STATS);
    sim_run_for(&m, 10);
    const ui_event *st = sim_find(&m.alice, UI_EV_STATS, sim_count(&m.alice, UI_EV_STATS) - 1);
    CHECK(st && st->stats.sent == 1 && st->stats.delivered == 1 && st->stats.received == 1);
    sim_free(&m);
}

static void hs_lost(int type)
{
    sim m;
    sim_init(&m);
    m.test = &type;
    m.filter = drop_first;
    double t0 = m.now;
    start_chat(&m);
    CHECK(m.now - t0 >= SESSION_HS_RETRY_MS); /* the retry did it */
    CHECK(m.alice.sent_by_type[FRAME_HS1] == 2);
    sim_post(&m.alice, "after the retry");
    want_shown = 1;
    CHECK(sim_run(&m, bob_shown, 2000));
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "after the retry") == 1);
    sim_free(&m);
}

static void test_hs1_lost(void)
{
    hs_lost(FRAME_HS1);
}

static void test_hs2_lost(void)
{
    hs_lost(FRAME_HS2);
}

static void test_hs3_lost(void)
{
    hs_lost(FRAME_HS3);
}

/* Alice's data is lost for a while after the handshake: she hears nothing, handshakes again and
 * resends what Bob did not acknowledge; Bob shows each message once. */
static sim_action blackout(sim *m, sim_side *from, const frame *f, unsigned n, double *delay)
{
    (void)n;
    (void)delay;
    double until = *(double *)m->test;
    return from == &m->alice && f->type == FRAME_DATA && m->now < until ? SIM_DROP : SIM_PASS;
}

static void test_silent_peer(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    post_n(&m.alice, "before", 2);
    want_shown = 2;
    CHECK(sim_run(&m, bob_shown, 1000));
    double until = m.now + 12000;
    m.test = &until;
    m.filter = blackout;
    post_n(&m.alice, "during", 3);
    sim_run_for(&m, 4000);
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == 2);
    want_delivered = 5;
    CHECK(sim_run(&m, delivered, 30000));
    CHECK(sim_has_text(&m.alice, UI_EV_STATE, "no answer from the peer; handshaking again"));
    CHECK(m.alice.sent_by_type[FRAME_HS1] >= 2);
    CHECK(sim_count(&m.bob, UI_EV_ESTABLISHED) >= 2);
    CHECK(each_once(&m.bob, "before", 2) && each_once(&m.bob, "during", 3));
    CHECK(session_tx_outbox(m.alice.s)->n == 0);
    sim_free(&m);
}

static void test_resend(void)
{
    sim m;
    sim_init(&m);
    int type = FRAME_DATA;
    start_chat(&m);
    m.test = &type;
    m.filter = drop_first;
    unsigned before = m.alice.sent_by_type[FRAME_DATA];
    CHECK(before == 0);
    sim_post(&m.alice, "lost once");
    want_delivered = 1;
    double t0 = m.now;
    CHECK(sim_run(&m, delivered, 5000));
    CHECK(m.now - t0 >= SESSION_RTO_MS);
    CHECK(m.alice.sent_by_type[FRAME_DATA] == 2);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "lost once") == 1);
    CHECK(seq_of(sim_find(&m.alice, UI_EV_DELIVERED, 0)) == 1);
    sim_free(&m);
}

static void test_cumulative_ack(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    unsigned bob_data = m.bob.sent_by_type[FRAME_DATA];
    post_n(&m.alice, "msg", 100);
    want_delivered = 100;
    CHECK(sim_run(&m, delivered, 2000));
    CHECK(session_tx_outbox(m.alice.s)->n == 0);
    CHECK(each_once(&m.bob, "msg", 100));
    /* one acknowledgement covers many messages */
    CHECK(m.bob.sent_by_type[FRAME_DATA] - bob_data < 10);
    CHECK(m.alice.sent_by_type[FRAME_DATA] == 1); /* one batch, nothing resent */
    for (size_t i = 0; i < 100; i++)
        CHECK(seq_of(sim_find(&m.alice, UI_EV_DELIVERED, i)) == i + 1);
    sim_free(&m);
}

/* Every data record in the topic twice, Bob's acknowledgements lost for a while (so Alice
 * resends), then Bob's consumer rewound (Kafka redelivers): each message shown once. */
static sim_action dup_data(sim *m, sim_side *from, const frame *f, unsigned n, double *delay)
{
    (void)n;
    (void)delay;
    if (f->type != FRAME_DATA)
        return SIM_PASS;
    if (from == &m->alice)
        return SIM_DUP;
    return m->now < *(double *)m->test ? SIM_DROP : SIM_PASS;
}

static void test_duplicates(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    double until = m.now + 2500;
    m.test = &until;
    m.filter = dup_data;
    size_t first_data = m.topics[SIM_A2B].n;
    post_n(&m.alice, "dup", 10);
    want_delivered = 10;
    CHECK(sim_run(&m, delivered, 10000));
    CHECK(m.alice.sent_by_type[FRAME_DATA] >= 2); /* resent while Bob's acks were lost */
    CHECK(each_once(&m.bob, "dup", 10));
    CHECK(sim_frame_type(&m, SIM_A2B, first_data) == FRAME_DATA);
    m.bob.end->pos = (int64_t)first_data; /* redelivery from an older offset */
    sim_run_for(&m, 1000);
    CHECK(each_once(&m.bob, "dup", 10));
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == 10);
    for (size_t i = 0; i < sim_count(&m.bob, UI_EV_REJECTED); i++) /* the channel's replay check */
        CHECK(sim_find(&m.bob, UI_EV_REJECTED, i)->reason == UI_REJECT_REPLAYED);
    sim_free(&m);
}

/* The first transmission of Alice's second message is lost: Bob reports the gap after the grace,
 * then the resend fills it. */
static sim_action drop_second(sim *m, sim_side *from, const frame *f, unsigned n, double *delay)
{
    (void)m;
    (void)delay;
    return from == &m->alice && f->type == FRAME_DATA && n == 1 ? SIM_DROP : SIM_PASS;
}

static void test_gap(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    m.filter = drop_second;
    post_apart(&m, &m.alice, "gap", 3);
    want_shown = 2;
    CHECK(sim_run(&m, bob_shown, 200));
    sim_run_for(&m, SESSION_GAP_GRACE_MS + 100);
    const ui_event *g = sim_find(&m.bob, UI_EV_GAP, 0);
    CHECK(g && g->from == 2 && g->to == 2);
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == 2);
    want_delivered = 3;
    CHECK(sim_run(&m, delivered, 5000));
    CHECK(each_once(&m.bob, "gap", 3));
    CHECK(sim_count(&m.bob, UI_EV_GAP) == 1);
    const ui_event *last = sim_find(&m.bob, UI_EV_MESSAGE, 2);
    CHECK(last && last->seq == 2);
    sim_free(&m);
}

/* A message delayed past the ones behind it: reordered in the topic, shown once each. */
static sim_action delay_first(sim *m, sim_side *from, const frame *f, unsigned n, double *delay)
{
    (void)m;
    if (from != &m->alice || f->type != FRAME_DATA || n != 0)
        return SIM_PASS;
    *delay = 150;
    return SIM_DELAY;
}

static void test_reorder(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    m.filter = delay_first;
    post_apart(&m, &m.alice, "late", 3);
    want_delivered = 3;
    CHECK(sim_run(&m, delivered, 3000));
    CHECK(each_once(&m.bob, "late", 3));
    CHECK(seq_of(sim_find(&m.bob, UI_EV_MESSAGE, 2)) == 1); /* it came last */
    CHECK(sim_count(&m.bob, UI_EV_GAP) == 0);               /* within the grace */
    sim_free(&m);
}

static void test_rekey_command(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    sim_post(&m.alice, "old key"); /* a key that sealed nothing is fresh: /rekey would keep it */
    want_shown = 1;
    CHECK(sim_run(&m, bob_shown, 1000));
    session_post_command(m.alice.s, SESSION_CMD_REKEY);
    sim_post(&m.alice, "new key");
    want_shown = 2;
    CHECK(sim_run(&m, bob_shown, 1000));
    sim_run_for(&m, 100);
    const ui_event *a = sim_find(&m.alice, UI_EV_REKEY, 0);
    const ui_event *b = sim_find(&m.bob, UI_EV_REKEY, 0);
    CHECK(a && a->out && a->seq == 1);
    CHECK(b && !b->out && b->seq == 1);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "new key") == 1);
    CHECK(sim_count(&m.bob, UI_EV_REJECTED) == 0);
    sim_free(&m);
}

static void test_rekey_auto(void)
{
    sim m;
    sim_init(&m);
    m.alice.cfg.rekey_interval = CHANNEL_MIN_REKEY_INTERVAL; /* the shortest allowed */
    m.bob.cfg.rekey_interval = CHANNEL_MIN_REKEY_INTERVAL;
    start_chat(&m);
    for (int round = 0; round < 10; round++) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "r%d", round);
        post_apart(&m, &m.alice, prefix, 1000); /* a record each: 10,000 nonces */
        post_n(&m.bob, prefix, 3);
        sim_run_for(&m, 200);
    }
    want_delivered = 10000;
    CHECK(sim_run(&m, delivered, 20000));
    for (int round = 0; round < 10; round++) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "r%d", round);
        CHECK(each_once(&m.bob, prefix, 1000) && each_once(&m.alice, prefix, 3));
    }
    CHECK(sim_count(&m.alice, UI_EV_REKEY) >= 2);
    CHECK(sim_count(&m.bob, UI_EV_REKEY) >= 2);
    CHECK(sim_count(&m.bob, UI_EV_REJECTED) == 0 && sim_count(&m.alice, UI_EV_REJECTED) == 0);
    sim_free(&m);
}

static void test_no_rekey_without_channel(void)
{
    sim m;
    sim_init(&m);
    sim_start(&m.bob);
    session_post_command(m.bob.s, SESSION_CMD_REKEY);
    sim_run_for(&m, 10);
    CHECK(sim_has_text(&m.bob, UI_EV_ERROR, "no secure channel to rekey yet"));
    sim_free(&m);
}

static void test_handshake_timeout(void)
{
    sim m;
    sim_init(&m);
    m.alice.cfg.handshake_timeout_s = 12;
    sim_start(&m.alice); /* nobody listens */
    double t0 = m.now;
    CHECK(sim_run(&m, alice_ended, 60000));
    CHECK(m.alice.code == KCHAT_EXIT_HANDSHAKE);
    CHECK(m.now - t0 >= 12000 && m.now - t0 < 12500);
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR, "handshake did not complete within 12 s"));
    CHECK(m.alice.sent_by_type[FRAME_HS1] == 3); /* at 0, 5 and 10 s */
    sim_free(&m);
}

/* Bob does not trust Alice: she has a channel (message 2 was fine) that Bob never confirms. */
static void test_refused_by_bob(void)
{
    sim m;
    sim_init(&m);
    trust_policy_free(m.bob.trust);
    m.bob.trust = trust_policy_list();
    identity *other = identity_generate();
    char err[256];
    trust_policy_add(m.bob.trust, identity_id(other), err, sizeof err);
    m.bob.cfg.trust = m.bob.trust;
    m.alice.cfg.handshake_timeout_s = 6;
    sim_start(&m.bob);
    sim_start(&m.alice);
    CHECK(sim_run(&m, alice_ended, 60000));
    CHECK(m.alice.code == KCHAT_EXIT_HANDSHAKE);
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR, "handshake not confirmed by the peer"));
    CHECK(sim_has_text(&m.bob, UI_EV_ERROR, "not trusted"));
    CHECK(sim_count(&m.bob, UI_EV_ESTABLISHED) == 0);
    identity_free(other);
    sim_free(&m);
}

/* Alice was invited to another Bob: message 2 names an identity she does not trust. */
static void test_untrusted_bob(void)
{
    sim m;
    sim_init(&m);
    trust_policy_free(m.alice.trust);
    m.alice.trust = trust_policy_list();
    identity *other = identity_generate();
    char err[256];
    trust_policy_add(m.alice.trust, identity_id(other), err, sizeof err);
    m.alice.cfg.trust = m.alice.trust;
    m.alice.cfg.handshake_timeout_s = 6;
    sim_start(&m.bob);
    sim_start(&m.alice);
    CHECK(sim_run(&m, alice_ended, 60000));
    CHECK(m.alice.code == KCHAT_EXIT_HANDSHAKE);
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR, "is not the trusted one"));
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR, "handshake failed"));
    identity_free(other);
    sim_free(&m);
}

/* --timeout: Bob vanishes after the handshake; Alice gives up with exit 3 and the counts. */
static void test_timeout(void)
{
    sim m;
    sim_init(&m);
    m.alice.cfg.timeout_s = 20;
    m.alice.cfg.exit_when_done = true;
    m.bob.cfg.echo = true;
    start_chat(&m);
    post_n(&m.alice, "echoed", 2);
    want_delivered = 2;
    CHECK(sim_run(&m, delivered, 1000));
    sim_stop(&m.bob, false);
    post_n(&m.alice, "unsent", 3);
    session_post_eof(m.alice.s);
    CHECK(sim_run(&m, alice_ended, 60000));
    CHECK(m.alice.code == KCHAT_EXIT_TIMEOUT);
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR,
                       "timed out after 20 s: 3 of 5 messages not delivered (first: seq 3), 3 "
                       "not echoed (first missing echo: seq 3)"));
    sim_free(&m);
}

static void test_timeout_before_secure(void)
{
    sim m;
    sim_init(&m);
    m.alice.cfg.timeout_s = 3;
    m.alice.cfg.exit_when_done = true;
    sim_start(&m.alice);
    CHECK(sim_run(&m, alice_ended, 60000));
    CHECK(m.alice.code == KCHAT_EXIT_TIMEOUT);
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR, "before the channel was secure"));
    sim_free(&m);
}

/* Batch Alice with an echoing Bob: ends with 0 once everything is echoed. */
static void test_echo_done(void)
{
    sim m;
    sim_init(&m);
    m.alice.cfg.exit_when_done = true;
    m.bob.cfg.echo = true;
    start_chat(&m);
    post_n(&m.alice, "echo", 5);
    session_post_eof(m.alice.s);
    CHECK(sim_run(&m, alice_ended, 5000));
    CHECK(m.alice.code == KCHAT_EXIT_OK);
    for (int i = 1; i <= 5; i++) {
        char line[32];
        snprintf(line, sizeof line, "echo %d", i);
        CHECK(sim_count_text(&m.alice, UI_EV_ECHO, line) == 1);
    }
    CHECK(each_once(&m.bob, "echo", 5));
    CHECK(sim_count(&m.alice, UI_EV_MESSAGE) == 0);
    sim_run_for(&m, 100); /* Alice's close reaches Bob */
    CHECK(sim_count(&m.bob, UI_EV_PEER_LEFT) == 1);
    sim_free(&m);
}

static size_t want_echoes;
static bool alice_echoed(sim *m)
{
    return sim_count(&m->alice, UI_EV_ECHO) >= want_echoes;
}

/* An echoing Bob, one message at a time with pauses longer than the acknowledgement delay (as
 * across a wide-area link): his echo is his acknowledgement, so he writes one record per message
 * (no standalone acknowledgement that would cost Alice a read), and every message is delivered
 * and echoed once. */
static void test_echo_acknowledges(void)
{
    sim m;
    sim_init(&m);
    m.bob.cfg.echo = true;
    m.latency_ms = 20;
    start_chat(&m);
    sim_run_for(&m, 200);
    unsigned bob_data = m.bob.sent_by_type[FRAME_DATA];
    unsigned alice_data = m.alice.sent_by_type[FRAME_DATA];
    for (int i = 1; i <= 10; i++) {
        char line[32];
        snprintf(line, sizeof line, "ping %d", i);
        sim_post(&m.alice, line);
        want_echoes = (size_t)i;
        CHECK(sim_run(&m, alice_echoed, 2000));
        sim_run_for(&m, 100); /* the user reads it */
    }
    want_delivered = 10;
    CHECK(sim_run(&m, delivered, 2000));
    CHECK(m.bob.sent_by_type[FRAME_DATA] - bob_data == 10);
    /* hers: each message and, as she pauses, an acknowledgement of each echo (Bob's outbox) */
    CHECK(m.alice.sent_by_type[FRAME_DATA] - alice_data <= 20);
    CHECK(each_once(&m.bob, "ping", 10));
    CHECK(sim_count(&m.alice, UI_EV_ECHO) == 10 && sim_count(&m.alice, UI_EV_DELIVERED) == 10);
    sim_free(&m);
}

/* Bob's sealed records are lost while *(double *)m->test is in the future. */
static sim_action bob_silent_until(sim *m, sim_side *from, const frame *f, unsigned n,
                                   double *delay)
{
    (void)n;
    (void)delay;
    return from == &m->bob && f->type == FRAME_DATA && m->now < *(double *)m->test ? SIM_DROP
                                                                                   : SIM_PASS;
}

/* Kafka is out for Alice (a leader election, said at level 5) and flows again (level 6) while
 * Bob's side still waits for it: his silence for 6 s after that is Kafka's, not his, so Alice
 * does not handshake again, and her line is delivered and echoed once. */
static void test_kafka_outage_grace(void)
{
    sim m;
    sim_init(&m);
    m.bob.cfg.echo = true;
    start_chat(&m);
    unsigned hs1 = m.alice.sent_by_type[FRAME_HS1];
    double bob_back = m.now + 10000; /* 6 s after Kafka flows again for Alice */
    m.test = &bob_back;
    m.filter = bob_silent_until;
    session *a = m.alice.s;
    a->cfg.net.on_error(a->cfg.net.log_ctx, 5, "Kafka: electing a leader, waiting");
    sim_post(&m.alice, "during the election");
    sim_run_for(&m, 4000);
    a->cfg.net.on_error(a->cfg.net.log_ctx, 6, "Kafka: records flow again");
    want_delivered = 1;
    CHECK(sim_run(&m, delivered, 30000));
    CHECK(m.alice.sent_by_type[FRAME_HS1] == hs1); /* no needless handshake */
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "during the election") == 1);
    CHECK(sim_count_text(&m.alice, UI_EV_ECHO, "during the election") == 1);
    sim_free(&m);
}

/* Bob's screen lags behind his acknowledgement timer (his receipts come 200 ms after the
 * messages): what he shows later is still acknowledged at once, not when Alice, her window full,
 * resends (after a second). */
static void test_ack_after_late_receipt(void)
{
    sim m;
    sim_init(&m);
    m.alice.cfg.front_confirms = m.bob.cfg.front_confirms = true; /* as kchat's front ends */
    start_chat(&m);
    unsigned data = m.alice.sent_by_type[FRAME_DATA];
    m.bob.lag = true;
    post_n(&m.alice, "shown late", 40);
    sim_run_for(&m, 200);
    CHECK(sim_count(&m.alice, UI_EV_DELIVERED) == 0);
    m.bob.lag = false;
    want_delivered = 40;
    CHECK(sim_run(&m, delivered, 300));
    CHECK(m.alice.sent_by_type[FRAME_DATA] - data <= 40); /* nothing resent */
    CHECK(each_once(&m.bob, "shown late", 40));
    sim_free(&m);
}

/* Kafka takes no record until ((double *)m->test)[0] (Alice's) or [1] (Bob's): the records wait
 * in the producer (too few in-sync replicas), no outage is signalled, then they land. */
static sim_action kafka_stuck_until(sim *m, sim_side *from, const frame *f, unsigned n,
                                    double *delay)
{
    (void)f;
    (void)n;
    double until = ((double *)m->test)[from == &m->bob];
    if (m->now >= until)
        return SIM_PASS;
    *delay = until - m->now;
    return SIM_DELAY;
}

/* Kafka takes none of Alice's records for 7 s, and Bob's for 6 s more, without a word (as with
 * too few in-sync replicas): Alice says Kafka is stuck, does not take it for the peer's silence
 * (no handshake again), and her line is delivered and echoed once. */
static void test_kafka_stall_not_silence(void)
{
    sim m;
    sim_init(&m);
    m.bob.cfg.echo = true;
    start_chat(&m);
    unsigned hs1 = m.alice.sent_by_type[FRAME_HS1];
    double until[2] = {m.now + 7000, m.now + 13000};
    m.test = until;
    m.filter = kafka_stuck_until;
    sim_post(&m.alice, "while Kafka is stuck");
    want_delivered = 1;
    CHECK(sim_run(&m, delivered, 30000));
    CHECK(m.alice.sent_by_type[FRAME_HS1] == hs1); /* no needless handshake */
    CHECK(sim_has_text(&m.alice, UI_EV_STATE, "none of our records taken"));
    CHECK(sim_has_text(&m.alice, UI_EV_STATE, "takes our records again"));
    CHECK(!sim_has_text(&m.alice, UI_EV_STATE, "no answer from the peer"));
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "while Kafka is stuck") == 1);
    CHECK(sim_count_text(&m.alice, UI_EV_ECHO, "while Kafka is stuck") == 1);
    sim_free(&m);
}

/* A stall that began while an outage was being said is said once that outage is over and Kafka
 * still takes nothing; the line still arrives and is echoed once. */
static void test_kafka_stall_after_outage(void)
{
    sim m;
    sim_init(&m);
    m.bob.cfg.echo = true;
    start_chat(&m);
    double until[2] = {m.now + 8000, m.now + 8000};
    m.test = until;
    m.filter = kafka_stuck_until;
    session *a = m.alice.s;
    a->cfg.net.on_error(a->cfg.net.log_ctx, 5, "Kafka: electing a leader, waiting");
    sim_post(&m.alice, "after the outage");
    sim_run_for(&m, 3000);
    CHECK(!sim_has_text(&m.alice, UI_EV_STATE, "none of our records taken")); /* said already */
    a->cfg.net.on_error(a->cfg.net.log_ctx, 6, "Kafka: records flow again");
    sim_run_for(&m, 2500);
    CHECK(sim_has_text(&m.alice, UI_EV_STATE, "none of our records taken"));
    want_delivered = 1;
    CHECK(sim_run(&m, delivered, 30000));
    CHECK(sim_count_text(&m.alice, UI_EV_ECHO, "after the outage") == 1);
    sim_free(&m);
}

static bool alice_closed(sim *m)
{
    return sim_has_text(&m->alice, UI_EV_STATE, "peer left");
}

static void test_peer_left(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    session_post_command(m.bob.s, SESSION_CMD_QUIT);
    CHECK(sim_run(&m, alice_closed, 1000));
    CHECK(!m.bob.live && m.bob.code == KCHAT_EXIT_OK);
    CHECK(sim_count(&m.alice, UI_EV_PEER_LEFT) == 1);
    sim_free(&m);
}

static listen_state *new_state(sim *m, const char *path)
{
    listen_state *st = listen_state_new();
    snprintf(st->a2b, sizeof st->a2b, "%s", m->a2b);
    snprintf(st->b2a, sizeof st->b2a, "%s", m->b2a);
    invitation_format(m->inv, st->invitation, LISTEN_STATE_INV_MAX);
    char err[256];
    if (path && listen_state_save(path, st, err, sizeof err) != 0)
        fprintf(stderr, "%s\n", err);
    return st;
}

/* Bob crashes (nothing committed: Kafka redelivers all) or stops, and resumes from his listen
 * state: nothing is shown twice, and what Alice sent meanwhile arrives. */
static void resume(bool crash)
{
    char dir[] = "/tmp/kchat-sim-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/listen.state", dir);
    sim m;
    sim_init(&m);
    listen_state *st = new_state(&m, path);
    m.bob.cfg.state = st;
    m.bob.cfg.state_path = path;
    m.bob.cfg.echo = true;
    start_chat(&m);
    post_n(&m.alice, "first", 3);
    post_n(&m.bob, "bob", 2);
    want_delivered = 3;
    CHECK(sim_run(&m, delivered, 2000));
    sim_run_for(&m, 100);
    sim_stop(&m.bob, !crash);
    size_t mark = m.bob.n_evs;
    CHECK(st->shown == 3 && st->acked == 3 && st->send_next == 6 && st->has_sid);
    /* the restarted process reads its state back from the file */
    listen_state *st2 = listen_state_new();
    char err[256];
    CHECK(listen_state_load(path, st2, err, sizeof err) == 0);
    CHECK(st2->shown == 3 && st2->send_next == 6);
    m.bob.cfg.state = st2;
    post_n(&m.alice, "second", 2);
    sim_run_for(&m, 500);
    sim_start(&m.bob);
    want_delivered = 5;
    CHECK(sim_run(&m, delivered, 30000));
    sim_run_for(&m, 200);
    CHECK(each_once(&m.bob, "first", 3) && each_once(&m.bob, "second", 2));
    CHECK(each_once(&m.alice, "bob", 2));
    for (size_t i = mark; i < m.bob.n_evs; i++)
        CHECK(m.bob.evs[i]->type != UI_EV_REJECTED);
    for (int i = 1; i <= 5; i++) { /* every echo once */
        char line[32];
        snprintf(line, sizeof line, "%s %d", i <= 3 ? "first" : "second", i <= 3 ? i : i - 3);
        CHECK(sim_count_text(&m.alice, UI_EV_ECHO, line) == 1);
    }
    CHECK(st2->shown == 5 && st2->send_next >= 8);
    sim_free(&m);
    listen_state_free(st);
    listen_state_free(st2);
    unlink(path);
    rmdir(dir);
}

static void test_resume_after_crash(void)
{
    resume(true);
}

static void test_resume_after_stop(void)
{
    resume(false);
}

static void test_large_message(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    size_t len = 700 * 1024;
    char *big = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        big[i] = (char)('a' + i % 26);
    big[len] = '\0';
    session_post_line(m.alice.s, big, len);
    want_shown = 1;
    CHECK(sim_run(&m, bob_shown, 2000));
    const ui_event *ev = sim_find(&m.bob, UI_EV_MESSAGE, 0);
    CHECK(ev && ev->text_len == len && memcmp(ev->text, big, len) == 0);
    CHECK(m.alice.sent_by_type[FRAME_DATA] >= 3); /* fragments */
    char *huge = calloc(1, KCHAT_MAX_MESSAGE + 2);
    memset(huge, 'x', KCHAT_MAX_MESSAGE + 1);
    session_post_line(m.alice.s, huge, KCHAT_MAX_MESSAGE + 1);
    sim_run_for(&m, 100);
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR, "over the 1048576-byte limit"));
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == 1);
    free(big);
    free(huge);
    sim_free(&m);
}

/* The input queue refuses lines beyond its bytes, the room fd says when there is room again,
 * and every line taken arrives in order. */
static void test_backpressure(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    size_t len = 60 * 1024;
    char *line = malloc(len);
    int posted = 0;
    memset(line, 'p', len);
    while (posted < 1000) {
        snprintf(line, 16, "%08d", posted);
        if (!session_try_post_line(m.alice.s, line, len))
            break;
        posted++;
    }
    CHECK(posted > 0 && posted < 40); /* about 2 MiB */
    int taken_before = posted;
    session_step(m.alice.s); /* the session takes what fits its outbox: room again */
    char b;
    CHECK(read(session_room_fd(m.alice.s), &b, 1) == 1);
    session_room_drain(m.alice.s);
    while (posted < 200) {
        snprintf(line, 16, "%08d", posted);
        if (!session_try_post_line(m.alice.s, line, len))
            break;
        posted++;
    }
    CHECK(posted > taken_before);
    CHECK(session_tx_outbox(m.alice.s)->n <= SESSION_OUTBOX_MAX &&
          session_tx_outbox(m.alice.s)->bytes <= SESSION_OUTBOX_MAX_BYTES);
    want_shown = (size_t)posted;
    CHECK(sim_run(&m, bob_shown, 20000));
    for (int i = 0; i < posted; i++) {
        const ui_event *ev = sim_find(&m.bob, UI_EV_MESSAGE, (size_t)i);
        char want[16];
        snprintf(want, sizeof want, "%08d", i);
        CHECK(ev && ev->seq == (uint64_t)i + 1 && !memcmp(ev->text, want, 8));
    }
    free(line);
    sim_free(&m);
}

/* Before Bob confirms the channel, Alice sends only a few messages. */
static void test_unconfirmed_window(void)
{
    sim m;
    sim_init(&m);
    int type = FRAME_HS3;
    m.test = &type;
    m.filter = drop_first;
    sim_start(&m.bob);
    sim_start(&m.alice);
    post_n(&m.alice, "early", 40);
    sim_run_for(&m, 500);
    CHECK(m.alice.s->tx.first_untx == SESSION_UNCONFIRMED_INFLIGHT);
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == 0);
    want_delivered = 40;
    CHECK(sim_run(&m, delivered, 30000));
    if (sim_count(&m.alice, UI_EV_DELIVERED) < 40) {
        sim_dump(&m.alice);
        sim_dump(&m.bob);
    }
    CHECK(each_once(&m.bob, "early", 40));
    sim_free(&m);
}

static void test_hostile_records(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    sim_post(&m.alice, "real");
    want_shown = 1;
    CHECK(sim_run(&m, bob_shown, 1000));
    sim_topic *t = &m.topics[SIM_A2B];
    size_t data_at = t->n - 1, hs3_at = 0;
    CHECK(sim_frame_type(&m, SIM_A2B, data_at) == FRAME_DATA);
    for (size_t i = 0; i < t->n; i++)
        if (sim_frame_type(&m, SIM_A2B, i) == FRAME_HS3)
            hs3_at = i;
    sim_inject(&m, SIM_A2B, (const uint8_t *)"garbage", 7);
    uint8_t copy[4096];
    size_t n = t->log[data_at].len;
    memcpy(copy, t->log[data_at].data, n);
    sim_inject(&m, SIM_A2B, copy, n); /* replayed */
    copy[25] ^= 0x80;                 /* a nonce not seen yet, so not a replay */
    sim_inject(&m, SIM_A2B, copy, n); /* tampered */
    sim_inject(&m, SIM_A2B, t->log[hs3_at].data, t->log[hs3_at].len);
    copy[2] ^= 1;
    sim_inject(&m, SIM_A2B, copy, n); /* someone else's session */
    sim_inject(&m, SIM_B2A, (const uint8_t *)"garbage", 7);
    sim_run_for(&m, 100);
    CHECK(sim_count(&m.bob, UI_EV_REJECTED) == 5);
    CHECK(sim_count(&m.alice, UI_EV_REJECTED) == 1);
    const char *reasons[] = {"malformed", "replayed", "tampered", "replayed", "unknown-session"};
    for (size_t i = 0; i < 5; i++) {
        const ui_event *ev = sim_find(&m.bob, UI_EV_REJECTED, i);
        CHECK(ev && !strcmp(ui_reject_name(ev->reason), reasons[i]));
        if (ev && strcmp(ui_reject_name(ev->reason), reasons[i]))
            fprintf(stderr, "rejected %zu: %s\n", i, ui_reject_name(ev->reason));
    }
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == 1);
    sim_post(&m.alice, "still fine");
    want_shown = 2;
    CHECK(sim_run(&m, bob_shown, 1000));
    sim_free(&m);
}

/* Kafka refuses or fails records: reported once, then "reachable again", and the message gets
 * through by retransmission. */
static sim_action fail_first_data(sim *m, sim_side *from, const frame *f, unsigned n, double *delay)
{
    (void)m;
    (void)delay;
    return from == &m->alice && f->type == FRAME_DATA && n == 0 ? SIM_FAIL : SIM_PASS;
}

static void test_kafka_failures(void)
{
    sim m;
    sim_init(&m);
    start_chat(&m);
    m.filter = fail_first_data;
    sim_post(&m.alice, "through");
    want_delivered = 1;
    CHECK(sim_run(&m, delivered, 5000));
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR, "Kafka did not take a record"));
    CHECK(sim_has_text(&m.alice, UI_EV_STATE, "Kafka reachable again"));
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "through") == 1);
    m.refuse_sends = true;
    sim_post(&m.alice, "refused");
    sim_run_for(&m, 100);
    CHECK(sim_has_text(&m.alice, UI_EV_ERROR, "cannot queue a record for Kafka"));
    m.refuse_sends = false;
    want_delivered = 2;
    CHECK(sim_run(&m, delivered, 5000));
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "refused") == 1);
    sim_free(&m);
}

/* ---- batch records ---- */

/* Each of side's events of type carries seqs 1..n exactly once, in order. */
static bool seqs_in_order(const sim_side *side, ui_event_type type, size_t n)
{
    if (sim_count(side, type) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (seq_of(sim_find(side, type, i)) != i + 1)
            return false;
    return true;
}

/* A paste of 1,000 lines leaves in a few records each way; every line shown once, echoed once,
 * sent, delivered and acknowledged exactly once. */
static void test_batch_paste(void)
{
    sim m;
    sim_init(&m);
    m.bob.cfg.echo = true;
    start_chat(&m);
    /* No linger: a lone line leaves in the step that takes it. */
    unsigned before = m.alice.sent_by_type[FRAME_DATA];
    sim_post(&m.alice, "paste 1");
    sim_run(&m, one_step, 0);
    CHECK(m.alice.sent_by_type[FRAME_DATA] == before + 1);
    unsigned a0 = m.alice.sent_by_type[FRAME_DATA], b0 = m.bob.sent_by_type[FRAME_DATA];
    for (int i = 2; i <= 1000; i++) {
        char line[32];
        snprintf(line, sizeof line, "paste %d", i);
        sim_post(&m.alice, line);
    }
    want_delivered = 1000;
    CHECK(sim_run(&m, delivered, 5000));
    sim_run_for(&m, 500);
    unsigned a = m.alice.sent_by_type[FRAME_DATA] - a0, b = m.bob.sent_by_type[FRAME_DATA] - b0;
    fprintf(stderr, "1000 lines: %u records a2b, %u b2a\n", a, b);
    CHECK(a <= 20 && b <= 40);
    CHECK(each_once(&m.bob, "paste", 1000));
    CHECK(seqs_in_order(&m.bob, UI_EV_MESSAGE, 1000));
    CHECK(seqs_in_order(&m.alice, UI_EV_SENT, 1000));
    CHECK(seqs_in_order(&m.alice, UI_EV_DELIVERED, 1000));
    CHECK(sim_count(&m.alice, UI_EV_ECHO) == 1000);
    for (int i = 1; i <= 1000; i++) {
        char line[32];
        snprintf(line, sizeof line, "paste %d", i);
        CHECK(sim_count_text(&m.alice, UI_EV_ECHO, line) == 1);
    }
    CHECK(session_tx_outbox(m.alice.s)->n == 0 && session_tx_outbox(m.bob.s)->n == 0);
    CHECK(session_rx_acked(m.bob.s) == 1000 && session_rx_acked(m.alice.s) == 1000);
    CHECK(sim_count(&m.bob, UI_EV_GAP) == 0 && sim_count(&m.bob, UI_EV_REJECTED) == 0);
    CHECK(sim_count(&m.alice, UI_EV_REJECTED) == 0);
    sim_free(&m);
}

/* Alice's first batch is lost, and every later record of hers is in the topic twice: the
 * retransmission (itself a batch) fills the hole, every line shown once. */
static sim_action lose_then_dup(sim *m, sim_side *from, const frame *f, unsigned n, double *d)
{
    (void)m;
    (void)d;
    if (from != &m->alice || f->type != FRAME_DATA)
        return SIM_PASS;
    return n == 0 ? SIM_DROP : SIM_DUP;
}

static void test_batch_lost(void)
{
    sim m;
    sim_init(&m);
    m.bob.cfg.echo = true;
    start_chat(&m);
    m.filter = lose_then_dup;
    post_n(&m.alice, "lost", 200);
    want_delivered = 200;
    double t0 = m.now;
    CHECK(sim_run(&m, delivered, 10000));
    CHECK(m.now - t0 >= SESSION_RTO_MS);
    sim_run_for(&m, 500);
    CHECK(m.alice.sent_by_type[FRAME_DATA] < 20);
    CHECK(each_once(&m.bob, "lost", 200));
    CHECK(seqs_in_order(&m.bob, UI_EV_MESSAGE, 200));
    CHECK(sim_count(&m.alice, UI_EV_ECHO) == 200);
    CHECK(seqs_in_order(&m.alice, UI_EV_DELIVERED, 200));
    /* Redelivery of the whole topic (Bob's consumer rewound): nothing shown again. */
    m.bob.end->pos = 0;
    sim_run_for(&m, 1000);
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == 200);
    CHECK(sim_count(&m.alice, UI_EV_ECHO) == 200);
    sim_free(&m);
}

/* Kafka's report of one batch record marks every message in it as sent: Alice says "sent" for
 * all while Bob's acknowledgements are lost, and Bob, whose echoes Alice never acknowledges,
 * acknowledges every line on Kafka's word alone. */
static sim_action mute_acks(sim *m, sim_side *from, const frame *f, unsigned n, double *d)
{
    (void)n;
    (void)d;
    if (f->type != FRAME_DATA)
        return SIM_PASS;
    if (from == &m->bob) /* Bob's echoes batch after his first record (the ack of Alice's) */
        return *(int *)m->test ? SIM_DROP : SIM_PASS;
    return n == 0 ? SIM_PASS : SIM_DROP; /* Alice: only her batch gets through */
}

static void test_batch_sent_reports(void)
{
    sim m;
    sim_init(&m);
    m.bob.cfg.echo = true;
    start_chat(&m);
    int bob_mute = 1;
    m.test = &bob_mute;
    m.filter = mute_acks;
    unsigned a0 = m.alice.sent_by_type[FRAME_DATA];
    post_n(&m.alice, "sent", 50);
    sim_run_for(&m, 500);
    CHECK(m.alice.sent_by_type[FRAME_DATA] - a0 == 1);
    CHECK(seqs_in_order(&m.alice, UI_EV_SENT, 50));
    CHECK(sim_count(&m.alice, UI_EV_DELIVERED) == 0);
    CHECK(each_once(&m.bob, "sent", 50));
    /* Bob's echoes went out batched; Kafka took them, so Bob acknowledges all 50. */
    CHECK(session_tx_outbox(m.bob.s)->n == 50);
    CHECK(session_rx_acked(m.bob.s) == 50);
    sim_free(&m);
}

/* ---- the table ---- */

static const check_case tests[] = {
    {"handshake", test_handshake},
    {"hs1_lost", test_hs1_lost},
    {"hs2_lost", test_hs2_lost},
    {"hs3_lost", test_hs3_lost},
    {"silent_peer", test_silent_peer},
    {"resend", test_resend},
    {"cumulative_ack", test_cumulative_ack},
    {"duplicates", test_duplicates},
    {"gap", test_gap},
    {"reorder", test_reorder},
    {"rekey_command", test_rekey_command},
    {"rekey_auto", test_rekey_auto},
    {"no_rekey_without_channel", test_no_rekey_without_channel},
    {"handshake_timeout", test_handshake_timeout},
    {"refused_by_bob", test_refused_by_bob},
    {"untrusted_bob", test_untrusted_bob},
    {"timeout", test_timeout},
    {"timeout_before_secure", test_timeout_before_secure},
    {"echo_done", test_echo_done},
    {"echo_acknowledges", test_echo_acknowledges},
    {"kafka_outage_grace", test_kafka_outage_grace},
    {"kafka_stall_not_silence", test_kafka_stall_not_silence},
    {"ack_after_late_receipt", test_ack_after_late_receipt},
    {"kafka_stall_after_outage", test_kafka_stall_after_outage},
    {"peer_left", test_peer_left},
    {"resume_after_crash", test_resume_after_crash},
    {"resume_after_stop", test_resume_after_stop},
    {"large_message", test_large_message},
    {"backpressure", test_backpressure},
    {"unconfirmed_window", test_unconfirmed_window},
    {"hostile_records", test_hostile_records},
    {"kafka_failures", test_kafka_failures},
    {"batch_paste", test_batch_paste},
    {"batch_lost", test_batch_lost},
    {"batch_sent_reports", test_batch_sent_reports},
};

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    return check_run_cases(tests, sizeof tests / sizeof tests[0], argc, argv);
}
