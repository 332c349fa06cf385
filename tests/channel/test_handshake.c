/* Channel handshake: both patterns, payloads, trust, PSK, topic binding, sessions, tampering. */
#include "pair.h"
#include "support/check.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint8_t payload[NOISE_MAX_MSG];
static size_t plen;

static int hs_read(channel *c, const wire *w)
{
    return channel_hs_read(c, w->buf, w->len, payload, sizeof(payload), &plen);
}

static int hs_write(channel *c, const char *text, wire *w)
{
    return channel_hs_write(c, (const uint8_t *)text, strlen(text), w->buf, sizeof(w->buf),
                            &w->len);
}

static bool payload_is(const char *text)
{
    return plen == strlen(text) && memcmp(payload, text, plen) == 0;
}

static void test_full_handshake(noise_pattern pattern)
{
    pair p;
    wire w;
    pair_init(&p, pattern, 0);
    channel *a = pair_alice(&p);
    CHECK(a != NULL);
    CHECK(channel_step(a) == 0 && channel_my_turn(a) && !channel_established(a));
    CHECK(strcmp(channel_peer_id(a), "") == 0 && channel_peer_public(a) == NULL);
    CHECK(strcmp(channel_suite(a), noise_protocol_name(pattern)) == 0);

    CHECK(hs_write(a, "hello from alice (1)", &w) == CHANNEL_OK);
    CHECK(w.len > FRAME_HS_HEADER_LEN && w.buf[0] == FRAME_VERSION && w.buf[1] == FRAME_HS1);
    CHECK(memcmp(w.buf + 2, channel_session(a), FRAME_SESSION_LEN) == 0);
    CHECK(!channel_my_turn(a));
    wire spare;
    CHECK(channel_hs_write(a, NULL, 0, spare.buf, sizeof(spare.buf), &spare.len) == CHANNEL_STATE);
    CHECK(hs_read(a, &w) == CHANNEL_MALFORMED); /* our own message 1 is not message 2 */

    channel *b = pair_bob(&p, w.buf, w.len);
    CHECK(b != NULL);
    CHECK(memcmp(channel_session(a), channel_session(b), FRAME_SESSION_LEN) == 0);
    CHECK(!channel_my_turn(b));
    CHECK(hs_read(b, &w) == CHANNEL_OK && payload_is("hello from alice (1)"));
    CHECK(channel_step(b) == 1 && channel_my_turn(b));
    CHECK(strcmp(channel_peer_id(b), "") == 0);

    CHECK(hs_write(b, "bob answers (2)", &w) == CHANNEL_OK && w.buf[1] == FRAME_HS2);
    CHECK(hs_read(a, &w) == CHANNEL_OK && payload_is("bob answers (2)"));
    CHECK(strcmp(channel_peer_id(a), identity_id(p.bob_id)) == 0);
    CHECK(memcmp(channel_peer_public(a), identity_public(p.bob_id), 32) == 0);
    CHECK(channel_step(a) == 2 && !channel_established(a));

    CHECK(hs_write(a, "alice confirms (3)", &w) == CHANNEL_OK && w.buf[1] == FRAME_HS3);
    CHECK(channel_established(a) && channel_step(a) == 3 && !channel_my_turn(a));
    CHECK(hs_read(b, &w) == CHANNEL_OK && payload_is("alice confirms (3)"));
    CHECK(channel_established(b) && channel_step(b) == 3);
    CHECK(strcmp(channel_peer_id(b), identity_id(p.alice_id)) == 0);

    uint8_t ha[NOISE_HASH_LEN], hb[NOISE_HASH_LEN];
    channel_handshake_hash(a, ha);
    channel_handshake_hash(b, hb);
    CHECK(memcmp(ha, hb, sizeof(ha)) == 0);

    /* Handshake calls are over; transport works both ways. */
    CHECK(hs_write(a, "", &w) == CHANNEL_STATE);
    CHECK(hs_read(b, &w) == CHANNEL_STATE);
    CHECK(pair_seal_text(a, 1, "hi bob", &w) == CHANNEL_OK);
    CHECK(pair_open_text(b, &w, 1, "hi bob") == CHANNEL_OK);
    CHECK(pair_seal_text(b, 1, "hi alice", &w) == CHANNEL_OK);
    CHECK(pair_open_text(a, &w, 1, "hi alice") == CHANNEL_OK);
    channel_free(a);
    channel_free(b);
    pair_free(&p);
}

static void test_transport_before_established(void)
{
    pair p;
    wire w;
    pair_init(&p, NOISE_XX, 0);
    channel *a = pair_alice(&p);
    channel_record r = {.kind = RECORD_MSG, .seq = 1, .frag_count = 1};
    uint8_t buf[64];
    CHECK(channel_seal(a, &r, w.buf, sizeof(w.buf), &w.len) == CHANNEL_STATE);
    CHECK(channel_rekey_now(a) == CHANNEL_STATE);
    CHECK(hs_write(a, "", &w) == CHANNEL_OK);
    CHECK(channel_open(a, w.buf, w.len, &r, buf, sizeof(buf), NULL) == CHANNEL_STATE);
    channel_free(a);
    pair_free(&p);
}

static void test_params(void)
{
    pair p;
    int err = 0;
    pair_init(&p, NOISE_XX, 0);
    channel_params bad = p.pa;
    bad.psk = p.psk; /* XX with a psk */
    CHECK(channel_new(&bad, NULL, &err) == NULL && err == CHANNEL_ERR_ARG);
    bad = p.pa;
    bad.pattern = NOISE_XXPSK3; /* psk pattern without a psk */
    CHECK(channel_new(&bad, NULL, &err) == NULL && err == CHANNEL_ERR_ARG);
    CHECK(channel_new(&p.pb, NULL, &err) == NULL && err == CHANNEL_ERR_ARG); /* no session */
    char long_topic[300];
    memset(long_topic, 'x', sizeof(long_topic) - 1);
    long_topic[sizeof(long_topic) - 1] = '\0';
    bad = p.pa;
    bad.a2b = long_topic;
    CHECK(channel_new(&bad, NULL, &err) == NULL && err == CHANNEL_ERR_ARG);
    bad = p.pa;
    bad.trust = NULL;
    CHECK(channel_new(&bad, NULL, &err) == NULL && err == CHANNEL_ERR_ARG);
    CHECK(channel_new(NULL, NULL, &err) == NULL && err == CHANNEL_ERR_ARG);
    /* Two initiators pick different session ids. */
    channel *a1 = pair_alice(&p), *a2 = pair_alice(&p);
    CHECK(memcmp(channel_session(a1), channel_session(a2), FRAME_SESSION_LEN) != 0);
    channel_free(a1);
    channel_free(a2);
    channel_free(NULL);
    pair_free(&p);
}

static void test_wrong_psk(void)
{
    pair p;
    wire w;
    uint8_t other_psk[32];
    pair_init(&p, NOISE_XXPSK3, 0);
    memcpy(other_psk, p.psk, sizeof(other_psk));
    other_psk[7] ^= 0x40;
    p.pb.psk = other_psk;
    channel *a = pair_alice(&p);
    CHECK(hs_write(a, "1", &w) == CHANNEL_OK);
    /* The mac1 of message 1 tells Bob before any Diffie-Hellman. */
    CHECK(channel_hs1_check_mac(other_psk, w.buf, w.len, NULL) == CHANNEL_UNAUTHENTICATED);
    uint64_t sent = 0, now = (uint64_t)time(NULL) * 1000u;
    CHECK(channel_hs1_check_mac(p.psk, w.buf, w.len, &sent) == CHANNEL_OK);
    CHECK(sent + 60000 > now && sent < now + 60000); /* the real clock by default */
    channel *b = pair_bob(&p, w.buf, w.len);
    plen = 99;
    CHECK(hs_read(b, &w) == CHANNEL_UNAUTHENTICATED && plen == 0);
    CHECK(!channel_established(b) && channel_step(b) == 0 && !channel_my_turn(b));
    CHECK(strcmp(channel_peer_id(b), "") == 0); /* nothing learnt from a failed message */
    channel_free(a);
    channel_free(b);
    pair_free(&p);
}

static void test_untrusted_bob(noise_pattern pattern)
{
    pair p;
    wire w;
    char err[128];
    pair_init(&p, pattern, 0);
    trust_policy *only_eve = trust_policy_list();
    CHECK(trust_policy_add(only_eve, identity_id(p.eve_id), err, sizeof(err)) == 0);
    p.pa.trust = only_eve;
    channel *a = pair_alice(&p);
    CHECK(hs_write(a, "1", &w) == CHANNEL_OK);
    channel *b = pair_bob(&p, w.buf, w.len);
    CHECK(hs_read(b, &w) == CHANNEL_OK);
    CHECK(hs_write(b, "bob's secret-ish payload", &w) == CHANNEL_OK);
    plen = 99;
    CHECK(hs_read(a, &w) == CHANNEL_UNTRUSTED);
    CHECK(plen == 0);
    /* Alice knows who it was for the error message; she does not reveal her identity in
     * message 3, and her handshake is unchanged: still waiting for a message 2. */
    CHECK(strcmp(channel_last_refused_id(a), identity_id(p.bob_id)) == 0);
    CHECK(strcmp(channel_peer_id(a), "") == 0 && channel_peer_public(a) == NULL);
    CHECK(!channel_established(a) && !channel_my_turn(a) && channel_step(a) == 1);
    CHECK(hs_write(a, "3", &w) == CHANNEL_STATE);
    CHECK(hs_read(a, &w) == CHANNEL_UNTRUSTED);
    CHECK(channel_rekey_now(a) == CHANNEL_STATE);
    channel_free(a);
    channel_free(b);
    trust_policy_free(only_eve);
    pair_free(&p);
}

static void test_untrusted_alice(noise_pattern pattern)
{
    pair p;
    wire w;
    char err[128];
    pair_init(&p, pattern, 0);
    trust_policy *only_eve = trust_policy_list();
    CHECK(trust_policy_add(only_eve, identity_id(p.eve_id), err, sizeof(err)) == 0);
    p.pb.trust = only_eve;
    channel *a = pair_alice(&p);
    CHECK(hs_write(a, "1", &w) == CHANNEL_OK);
    channel *b = pair_bob(&p, w.buf, w.len);
    CHECK(hs_read(b, &w) == CHANNEL_OK);
    CHECK(hs_write(b, "2", &w) == CHANNEL_OK);
    CHECK(hs_read(a, &w) == CHANNEL_OK);
    CHECK(hs_write(a, "3", &w) == CHANNEL_OK);
    CHECK(hs_read(b, &w) == CHANNEL_UNTRUSTED);
    CHECK(strcmp(channel_last_refused_id(b), identity_id(p.alice_id)) == 0);
    CHECK(strcmp(channel_peer_id(b), "") == 0);
    CHECK(!channel_established(b) && channel_step(b) == 2);
    CHECK(hs_read(b, &w) == CHANNEL_UNTRUSTED); /* unchanged: message 3 is still due */
    CHECK(pair_seal_text(b, 1, "x", &w) == CHANNEL_STATE);
    channel_free(a);
    channel_free(b);
    trust_policy_free(only_eve);
    pair_free(&p);
}

static void test_anyone_policy(void)
{
    pair p;
    channel *a, *b;
    pair_init(&p, NOISE_XX, 0);
    trust_policy *anyone = trust_policy_anyone();
    p.pa.trust = anyone;
    p.pb.trust = anyone;
    CHECK(pair_connect(&p, &a, &b) == 0);
    channel_free(a);
    channel_free(b);
    trust_policy_free(anyone);
    pair_free(&p);
}

/* Bob names the topics differently: the prologues differ, so the handshake fails. */
static void test_topic_swap(noise_pattern pattern, bool swap)
{
    pair p;
    wire w;
    pair_init(&p, pattern, 0);
    if (swap) {
        p.pb.a2b = p.pa.b2a;
        p.pb.b2a = p.pa.a2b;
    } else {
        p.pb.b2a = "kchat.test.other";
    }
    channel *a = pair_alice(&p);
    CHECK(hs_write(a, "1", &w) == CHANNEL_OK);
    channel *b = pair_bob(&p, w.buf, w.len);
    int rc = hs_read(b, &w);
    if (pattern == NOISE_XXPSK3) {
        CHECK(rc == CHANNEL_TAMPERED); /* message 1's payload is already encrypted */
    } else {
        CHECK(rc == CHANNEL_OK);
        CHECK(hs_write(b, "2", &w) == CHANNEL_OK);
        CHECK(hs_read(a, &w) == CHANNEL_TAMPERED);
        CHECK(channel_step(a) == 1 && !channel_established(a));
    }
    channel_free(a);
    channel_free(b);
    pair_free(&p);
}

static void test_wrong_session_and_step(void)
{
    pair p;
    wire w1, w2, other;
    pair_init(&p, NOISE_XX, 0);
    channel *a = pair_alice(&p), *a2 = pair_alice(&p);
    CHECK(hs_write(a, "1", &w1) == CHANNEL_OK);
    CHECK(hs_write(a2, "1", &other) == CHANNEL_OK);
    channel *b = pair_bob(&p, w1.buf, w1.len), *b2 = pair_bob(&p, other.buf, other.len);
    CHECK(hs_read(b, &other) == CHANNEL_UNKNOWN_SESSION);
    CHECK(hs_read(b, &w1) == CHANNEL_OK);
    CHECK(hs_read(b2, &other) == CHANNEL_OK);
    CHECK(hs_write(b, "2", &w2) == CHANNEL_OK);
    CHECK(hs_write(b2, "2", &other) == CHANNEL_OK);
    CHECK(hs_read(a, &other) == CHANNEL_UNKNOWN_SESSION); /* message 2 of another session */
    CHECK(channel_step(a) == 1);
    /* A message 1 frame with the right session where message 2 is due: wrong type. */
    CHECK(hs_read(a, &w1) == CHANNEL_MALFORMED);
    CHECK(hs_read(a, &w2) == CHANNEL_OK);
    /* Bob expects message 3; message 1 and 2 frames are refused. */
    CHECK(hs_read(b, &w1) == CHANNEL_MALFORMED);
    CHECK(hs_read(b, &w2) == CHANNEL_MALFORMED);
    wire w3;
    CHECK(hs_write(a, "3", &w3) == CHANNEL_OK);
    CHECK(hs_read(b, &w3) == CHANNEL_OK && channel_established(b));
    /* Garbage and truncation. */
    uint8_t small[NOISE_MAX_MSG];
    CHECK(channel_hs_read(b2, w3.buf, 5, small, sizeof(small), &plen) == CHANNEL_MALFORMED);
    CHECK(channel_hs_read(b2, w3.buf, w3.len, small, 0, &plen) != CHANNEL_OK);
    channel_free(a);
    channel_free(a2);
    channel_free(b);
    channel_free(b2);
    pair_free(&p);
}

/* The prologue of docs/PROTOCOL.md, built independently of crypto/channel.c. */
static size_t prologue_of(const pair *p, const uint8_t *session, uint8_t *out)
{
    size_t n = 0, la = strlen(p->pa.a2b), lb = strlen(p->pa.b2a);
    memcpy(out, "kchat/3", 8); /* with its 0x00 */
    n += 8;
    memcpy(out + n, session, FRAME_SESSION_LEN);
    n += FRAME_SESSION_LEN;
    out[n++] = (uint8_t)la;
    memcpy(out + n, p->pa.a2b, la);
    n += la;
    out[n++] = (uint8_t)lb;
    memcpy(out + n, p->pa.b2a, lb);
    return n + lb;
}

/* Eve, who saw Alice's message 1 but holds no secret, answers it with a valid message 2 under
 * her own static key: under XXpsk3 the PSK only enters in message 3, so any PSK will do. */
static void forge_msg2(const pair *p, noise_pattern pattern, const wire *m1, wire *out)
{
    uint8_t prologue[300], fake_psk[32];
    noise_handshake *hs = NULL;
    size_t n = 0, body = m1->len - FRAME_HS_HEADER_LEN;
    randombytes_buf(fake_psk, sizeof(fake_psk));
    CHECK(noise_handshake_new(&hs, pattern, false, prologue, prologue_of(p, m1->buf + 2, prologue),
                              identity_secret(p->eve_id),
                              pattern == NOISE_XXPSK3 ? fake_psk : NULL) == NOISE_OK);
    if (pattern == NOISE_XXPSK3)
        body -= FRAME_HS1_AUTH_LEN;
    CHECK(noise_handshake_read(hs, m1->buf + FRAME_HS_HEADER_LEN, body, payload, sizeof(payload),
                               &plen) == NOISE_OK);
    size_t h = frame_write_header(out->buf, FRAME_HS2, m1->buf + 2, 0);
    CHECK(noise_handshake_write(hs, (const uint8_t *)"eve", 3, out->buf + h, sizeof(out->buf) - h,
                                &n) == NOISE_OK);
    out->len = h + n;
    noise_handshake_free(hs);
}

/* Forged messages 2 (valid under Eve's key, tampered, garbage) and forged messages 3, however
 * many, change nothing: the genuine messages still complete the handshake. */
static void test_forged_msg2_msg3(noise_pattern pattern)
{
    pair p;
    wire m1, m2, m3, bad;
    pair_init(&p, pattern, 0);
    channel *a = pair_alice(&p);
    CHECK(hs_write(a, "1", &m1) == CHANNEL_OK);
    channel *b = pair_bob(&p, m1.buf, m1.len);
    CHECK(hs_read(b, &m1) == CHANNEL_OK);
    CHECK(hs_write(b, "genuine 2", &m2) == CHANNEL_OK);
    forge_msg2(&p, pattern, &m1, &bad);
    for (int i = 0; i < 50; i++) {
        CHECK(hs_read(a, &bad) == CHANNEL_UNTRUSTED && plen == 0);
        CHECK(channel_step(a) == 1 && !channel_my_turn(a));
    }
    CHECK(strcmp(channel_last_refused_id(a), identity_id(p.eve_id)) == 0);
    CHECK(strcmp(channel_peer_id(a), "") == 0);
    for (int i = 0; i < 50; i++) {
        wire junk = m2;
        randombytes_buf(junk.buf + FRAME_HS_HEADER_LEN, junk.len - FRAME_HS_HEADER_LEN);
        CHECK(hs_read(a, &junk) == CHANNEL_TAMPERED && channel_step(a) == 1);
    }
    CHECK(hs_read(a, &m2) == CHANNEL_OK && payload_is("genuine 2"));
    CHECK(strcmp(channel_peer_id(a), identity_id(p.bob_id)) == 0);
    CHECK(hs_write(a, "genuine 3", &m3) == CHANNEL_OK && channel_established(a));
    for (int i = 0; i < 50; i++) {
        wire junk = m3;
        randombytes_buf(junk.buf + FRAME_HS_HEADER_LEN, junk.len - FRAME_HS_HEADER_LEN);
        CHECK(hs_read(b, &junk) == CHANNEL_TAMPERED && channel_step(b) == 2);
    }
    CHECK(hs_read(b, &m3) == CHANNEL_OK && payload_is("genuine 3") && channel_established(b));
    CHECK(pair_seal_text(a, 1, "through", &bad) == CHANNEL_OK);
    CHECK(pair_open_text(b, &bad, 1, "through") == CHANNEL_OK);
    channel_free(a);
    channel_free(b);
    pair_free(&p);
}

/* Under XXpsk3 a message 1 without the right mac1 is refused before any Diffie-Hellman (a
 * low-order ephemeral, which Noise would refuse as CHANNEL_TAMPERED, is never looked at), and
 * leaves the responder ready for the genuine one. */
static uint64_t fixed_clock(void)
{
    return 1234567890123u;
}

static void test_mac1(void)
{
    pair p;
    wire m1, bad;
    pair_init(&p, NOISE_XXPSK3, 0);
    p.pa.now_ms = fixed_clock;
    channel *a = pair_alice(&p);
    CHECK(hs_write(a, "1", &m1) == CHANNEL_OK);
    CHECK(m1.len == FRAME_HS_HEADER_LEN + 32 + 1 + 16 + 8 + FRAME_MAC1_LEN);
    uint64_t sent = 0;
    CHECK(channel_hs1_check_mac(p.psk, m1.buf, m1.len, &sent) == CHANNEL_OK);
    CHECK(sent == 1234567890123u); /* the clock of p.pa, authenticated */
    channel *b = pair_bob(&p, m1.buf, m1.len);
    for (size_t bit = 0; bit < m1.len * 8; bit++) {
        bad = m1;
        bad.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int rc = channel_hs1_check_mac(p.psk, bad.buf, bad.len, NULL);
        CHECK(rc == (bit < 16 ? CHANNEL_MALFORMED : CHANNEL_UNAUTHENTICATED));
        rc = hs_read(b, &bad);
        CHECK(rc == CHANNEL_MALFORMED || rc == CHANNEL_UNAUTHENTICATED ||
              rc == CHANNEL_UNKNOWN_SESSION);
        CHECK(channel_step(b) == 0);
    }
    bad = m1;
    memset(bad.buf + FRAME_HS_HEADER_LEN, 0, 32); /* low-order e */
    CHECK(hs_read(b, &bad) == CHANNEL_UNAUTHENTICATED);
    for (size_t len = 0; len < m1.len; len++) {
        bad = m1;
        bad.len = len;
        CHECK(channel_hs1_check_mac(p.psk, bad.buf, bad.len, NULL) != CHANNEL_OK);
        CHECK(hs_read(b, &bad) != CHANNEL_OK && channel_step(b) == 0);
    }
    CHECK(hs_read(b, &m1) == CHANNEL_OK && payload_is("1"));
    /* Plain XX has no mac1: its message 1 is not authenticated. */
    pair q;
    pair_init(&q, NOISE_XX, 0);
    channel *x = pair_alice(&q);
    CHECK(hs_write(x, "1", &bad) == CHANNEL_OK);
    CHECK(bad.len == FRAME_HS_HEADER_LEN + 32 + 1);
    CHECK(channel_hs1_check_mac(p.psk, bad.buf, bad.len, NULL) != CHANNEL_OK);
    CHECK(channel_hs1_check_mac(NULL, m1.buf, m1.len, NULL) == CHANNEL_ERR_ARG);
    channel_free(x);
    pair_free(&q);
    channel_free(a);
    channel_free(b);
    pair_free(&p);
}

static uint64_t g_clock;
static uint64_t test_clock(void)
{
    return g_clock;
}

/* A message-1 frame of p's Alice sent at g_clock = sent. */
static void alice_msg1(const pair *p, uint64_t sent, wire *w)
{
    g_clock = sent;
    channel *a = pair_alice(p);
    CHECK(hs_write(a, "1", w) == CHANNEL_OK);
    channel_free(a);
}

/* The responder admits each genuine message 1 once, while fresh: a recorded one written again
 * is refused before any Diffie-Hellman. */
static void test_hs1_guard(void)
{
    const uint64_t T = 1780000000000u, W = CHANNEL_HS1_WINDOW_MS;
    pair p;
    wire m1, bad;
    uint8_t other_psk[32] = {1};
    static channel_hs1_guard g;
    pair_init(&p, NOISE_XXPSK3, 0);
    p.pa.now_ms = test_clock;
    channel_hs1_guard_init(&g);
    alice_msg1(&p, T, &m1);
    CHECK(channel_hs1_admit(&g, other_psk, m1.buf, m1.len, T) == CHANNEL_UNAUTHENTICATED);
    CHECK(channel_hs1_admit(&g, p.psk, m1.buf, 10, T) == CHANNEL_MALFORMED);
    CHECK(channel_hs1_admit(&g, p.psk, m1.buf, m1.len, T + W + 1) == CHANNEL_REPLAYED);
    CHECK(channel_hs1_admit(&g, p.psk, m1.buf, m1.len, T - W - 1) == CHANNEL_REPLAYED);
    CHECK(channel_hs1_admit(&g, p.psk, m1.buf, m1.len, T + 5) == CHANNEL_OK);
    for (uint64_t later = T + 5; later <= T + W; later += W / 4)
        CHECK(channel_hs1_admit(&g, p.psk, m1.buf, m1.len, later) == CHANNEL_REPLAYED);
    CHECK(channel_hs1_admit(&g, p.psk, m1.buf, m1.len, T + W + 1) == CHANNEL_REPLAYED);
    /* Its clock in the future, within the window: admitted. */
    alice_msg1(&p, T + W, &bad);
    CHECK(channel_hs1_admit(&g, p.psk, bad.buf, bad.len, T + 10) == CHANNEL_OK);
    /* A retrying initiator for 20 minutes: every frame admitted once, every copy refused. */
    channel_hs1_guard_init(&g);
    enum { N = 240 };
    static wire all[N];
    for (int i = 0; i < N; i++) {
        alice_msg1(&p, T + (uint64_t)i * 5000u, &all[i]);
        CHECK(channel_hs1_admit(&g, p.psk, all[i].buf, all[i].len, g_clock) == CHANNEL_OK);
    }
    int refused = 0;
    for (int i = 0; i < N; i++)
        refused +=
            channel_hs1_admit(&g, p.psk, all[i].buf, all[i].len, g_clock) == CHANNEL_REPLAYED;
    CHECK(refused == N);
    /* Plain XX: no mac1, nothing to admit. */
    pair q;
    pair_init(&q, NOISE_XX, 0);
    channel *x = pair_alice(&q);
    CHECK(hs_write(x, "1", &bad) == CHANNEL_OK);
    CHECK(channel_hs1_admit(&g, p.psk, bad.buf, bad.len, T) != CHANNEL_OK);
    CHECK(channel_hs1_admit(NULL, p.psk, m1.buf, m1.len, T) == CHANNEL_ERR_ARG);
    channel_free(x);
    pair_free(&q);
    pair_free(&p);
}

/* Runs the rest of the handshake from message 2 between a and b; 0 when established. */
static int finish_from_2(channel *a, channel *b)
{
    wire w;
    if (hs_write(b, "2", &w) || hs_read(a, &w) || hs_write(a, "3", &w) || hs_read(b, &w))
        return -1;
    return channel_established(a) && channel_established(b) ? 0 : -1;
}

static void flip(wire *w, size_t bit)
{
    w->buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* Every single-bit flip of message 1 leads to a failed handshake (message 1 of XX is not
 * authenticated by itself, so the failure may come when Alice reads message 2); Alice's state
 * stays usable and the original message 1 still completes the handshake. */
static void test_flips_msg1(const pair *p, int *refused)
{
    wire m1, m2;
    channel *a = pair_alice(p);
    CHECK(hs_write(a, "payload one", &m1) == CHANNEL_OK);
    for (size_t bit = 0; bit < m1.len * 8; bit++) {
        wire bad = m1;
        flip(&bad, bit);
        channel *b = pair_bob(p, bad.buf, bad.len);
        int rc = b != NULL ? hs_read(b, &bad) : CHANNEL_MALFORMED;
        if (rc == CHANNEL_OK) {
            CHECK(hs_write(b, "2", &m2) == CHANNEL_OK);
            rc = hs_read(a, &m2);
            CHECK(channel_step(a) == 1);
        }
        *refused += rc != CHANNEL_OK;
        CHECK(rc != CHANNEL_OK);
        channel_free(b);
    }
    channel *b = pair_bob(p, m1.buf, m1.len);
    CHECK(hs_read(b, &m1) == CHANNEL_OK);
    CHECK(finish_from_2(a, b) == 0);
    channel_free(a);
    channel_free(b);
}

static void test_flips_msg2_msg3(const pair *p, int *refused)
{
    wire m1, m2, m3;
    channel *a = pair_alice(p);
    CHECK(hs_write(a, "1", &m1) == CHANNEL_OK);
    channel *b = pair_bob(p, m1.buf, m1.len);
    CHECK(hs_read(b, &m1) == CHANNEL_OK);
    CHECK(hs_write(b, "payload two", &m2) == CHANNEL_OK);
    for (size_t bit = 0; bit < m2.len * 8; bit++) {
        wire bad = m2;
        flip(&bad, bit);
        int rc = hs_read(a, &bad);
        *refused += rc != CHANNEL_OK;
        CHECK(rc != CHANNEL_OK && channel_step(a) == 1);
    }
    CHECK(hs_read(a, &m2) == CHANNEL_OK && payload_is("payload two"));
    CHECK(hs_write(a, "payload three", &m3) == CHANNEL_OK);
    for (size_t bit = 0; bit < m3.len * 8; bit++) {
        wire bad = m3;
        flip(&bad, bit);
        int rc = hs_read(b, &bad);
        *refused += rc != CHANNEL_OK;
        CHECK(rc != CHANNEL_OK && channel_step(b) == 2 && !channel_established(b));
    }
    CHECK(hs_read(b, &m3) == CHANNEL_OK && payload_is("payload three"));
    CHECK(channel_established(b));
    channel_free(a);
    channel_free(b);
}

static void test_flips(noise_pattern pattern)
{
    pair p;
    int refused = 0;
    pair_init(&p, pattern, 0);
    test_flips_msg1(&p, &refused);
    test_flips_msg2_msg3(&p, &refused);
    CHECK(refused > 1000);
    pair_free(&p);
}

int main(void)
{
    test_full_handshake(NOISE_XX);
    test_full_handshake(NOISE_XXPSK3);
    test_transport_before_established();
    test_params();
    test_wrong_psk();
    test_untrusted_bob(NOISE_XX);
    test_untrusted_bob(NOISE_XXPSK3);
    test_untrusted_alice(NOISE_XX);
    test_untrusted_alice(NOISE_XXPSK3);
    test_anyone_policy();
    test_topic_swap(NOISE_XX, true);
    test_topic_swap(NOISE_XXPSK3, true);
    test_topic_swap(NOISE_XX, false);
    test_topic_swap(NOISE_XXPSK3, false);
    test_wrong_session_and_step();
    test_flips(NOISE_XX);
    test_flips(NOISE_XXPSK3);
    test_forged_msg2_msg3(NOISE_XX);
    test_forged_msg2_msg3(NOISE_XXPSK3);
    test_mac1();
    test_hs1_guard();
    return check_summary();
}
