/* Channel transport: records, tampering, replay window, sessions, nonce exhaustion, rekey. */
#include "crypto/record.h"
#include "crypto/replay.h"
#include "pair.h"
#include "support/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t openbuf[CHANNEL_MAX_FRAME];

static int open_any(channel *c, const wire *w, channel_record *r, uint64_t *nonce)
{
    return channel_open(c, w->buf, w->len, r, openbuf, sizeof(openbuf), nonce);
}

static void connect_pair(pair *p, noise_pattern pattern, uint64_t interval, channel **a,
                         channel **b)
{
    pair_init(p, pattern, interval);
    if (pair_connect(p, a, b) != 0) {
        fprintf(stderr, "handshake failed\n");
        exit(2);
    }
}

static void disconnect_pair(pair *p, channel *a, channel *b)
{
    channel_free(a);
    channel_free(b);
    pair_free(p);
}

static bool record_equal(const channel_record *x, const channel_record *y)
{
    return x->kind == y->kind && x->flags == y->flags && x->seq == y->seq && x->ack == y->ack &&
           x->echo_of == y->echo_of && x->frag_idx == y->frag_idx &&
           x->frag_count == y->frag_count && x->body_len == y->body_len &&
           (x->body_len == 0 || memcmp(x->body, y->body, x->body_len) == 0);
}

static void roundtrip(channel *a, channel *b, const channel_record *r, uint64_t want_nonce)
{
    static wire w;
    channel_record got;
    uint64_t nonce = 12345;
    CHECK(channel_seal(a, r, w.buf, sizeof(w.buf), &w.len) == CHANNEL_OK);
    CHECK(w.len == FRAME_DATA_HEADER_LEN + record_padded_len(RECORD_HEADER_LEN + r->body_len) +
                       NOISE_TAG_LEN);
    CHECK(w.buf[1] == (r->kind == RECORD_CLOSE ? FRAME_CLOSE : FRAME_DATA));
    CHECK(open_any(b, &w, &got, &nonce) == CHANNEL_OK);
    CHECK(record_equal(r, &got));
    CHECK(nonce == want_nonce);
}

static void test_records(void)
{
    pair p;
    channel *a, *b;
    static uint8_t big[CHANNEL_MAX_BODY + 1];
    static wire w;
    connect_pair(&p, NOISE_XXPSK3, 0, &a, &b);
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + 3);
    channel_record r = {.kind = RECORD_MSG,
                        .flags = RECORD_FLAG_ECHO,
                        .seq = 0x0102030405060708u,
                        .ack = UINT64_MAX - 5,
                        .echo_of = 77,
                        .frag_idx = 2,
                        .frag_count = 0xfffffff0u,
                        .body = big,
                        .body_len = 100};
    roundtrip(a, b, &r, 0);
    r.body_len = 0;
    roundtrip(a, b, &r, 1);
    r.body_len = CHANNEL_MAX_BODY;
    roundtrip(a, b, &r, 2);
    channel_record ack = {.kind = RECORD_ACK, .ack = 41, .frag_count = 1};
    roundtrip(b, a, &ack, 0);
    channel_record bye = {.kind = RECORD_CLOSE, .ack = 9, .frag_count = 1};
    roundtrip(a, b, &bye, 3);

    /* Refused at sealing, without using a nonce. */
    r.body_len = CHANNEL_MAX_BODY + 1;
    CHECK(channel_seal(a, &r, w.buf, sizeof(w.buf), &w.len) == CHANNEL_ERR_ARG);
    r.body_len = 10;
    CHECK(channel_seal(a, &r, w.buf, 60, &w.len) == CHANNEL_ERR_ARG); /* buffer too small */
    channel_record bad[] = {
        {.kind = 0, .frag_count = 1},
        {.kind = 4, .frag_count = 1},
        {.kind = RECORD_MSG, .seq = 1, .frag_count = 0},
        {.kind = RECORD_MSG, .seq = 1, .frag_idx = 3, .frag_count = 3},
        {.kind = RECORD_ACK, .seq = 1, .frag_count = 1},
        {.kind = RECORD_ACK, .frag_idx = 1, .frag_count = 2},
        {.kind = RECORD_CLOSE, .seq = 5, .frag_count = 1},
        {.kind = RECORD_CLOSE, .frag_count = 2},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(channel_seal(a, &bad[i], w.buf, sizeof(w.buf), &w.len) == CHANNEL_ERR_ARG);
    r.body_len = 1;
    roundtrip(a, b, &r, 4);

    /* Opening into a buffer too small is an argument error and changes nothing. */
    channel_record got;
    CHECK(channel_seal(a, &r, w.buf, sizeof(w.buf), &w.len) == CHANNEL_OK);
    CHECK(channel_open(b, w.buf, w.len, &got, openbuf, 10, NULL) == CHANNEL_ERR_ARG);
    CHECK(open_any(b, &w, &got, NULL) == CHANNEL_OK);
    disconnect_pair(&p, a, b);
}

/* Every single-bit flip of a data frame is refused and leaves the receiver usable. */
/* Several whole messages in one sealed record: one nonce, one frame, read back in order. */
static void test_batch(void)
{
    pair p;
    channel *a, *b;
    static wire w;
    connect_pair(&p, NOISE_XXPSK3, 0, &a, &b);
    const uint8_t text[3] = {'x', 'y', 'z'};
    channel_record m[3] = {
        {.kind = RECORD_MSG, .seq = 5, .frag_count = 1, .body = text, .body_len = 3},
        {.kind = RECORD_MSG, .seq = 6, .frag_count = 1, .body = NULL, .body_len = 0},
        {.kind = RECORD_MSG,
         .flags = RECORD_FLAG_ECHO,
         .seq = 9,
         .echo_of = 4,
         .frag_count = 1,
         .body = text,
         .body_len = 1},
    };
    CHECK(channel_seal_batch(a, 17, m, 3, w.buf, sizeof(w.buf), &w.len) == CHANNEL_OK);
    CHECK(w.buf[1] == FRAME_DATA && w.len == FRAME_DATA_HEADER_LEN + 256 + NOISE_TAG_LEN);
    channel_record got, one;
    uint64_t nonce = 99;
    CHECK(open_any(b, &w, &got, &nonce) == CHANNEL_OK);
    CHECK(got.kind == RECORD_BATCH && got.ack == 17 && nonce == 0);
    size_t pos = 0;
    for (size_t i = 0; i < 3; i++) {
        m[i].ack = 17;
        CHECK(channel_batch_next(&got, &pos, &one) == 1 && record_equal(&m[i], &one));
    }
    CHECK(channel_batch_next(&got, &pos, &one) == 0);
    /* What cannot be a batch is refused before a nonce is spent. */
    CHECK(channel_seal_batch(a, 17, m, 1, w.buf, sizeof(w.buf), &w.len) == CHANNEL_ERR_ARG);
    m[2].seq = 6;
    CHECK(channel_seal_batch(a, 17, m, 3, w.buf, sizeof(w.buf), &w.len) == CHANNEL_ERR_ARG);
    m[2].seq = 9;
    CHECK(channel_seal_batch(a, 17, m, 3, w.buf, 100, &w.len) == CHANNEL_ERR_ARG);
    CHECK(channel_seal_batch(a, 17, m, 2, w.buf, sizeof(w.buf), &w.len) == CHANNEL_OK);
    CHECK(open_any(b, &w, &got, &nonce) == CHANNEL_OK && nonce == 1);
    disconnect_pair(&p, a, b);
}

static void test_flips(void)
{
    pair p;
    channel *a, *b;
    wire w, bad;
    channel_record r;
    connect_pair(&p, NOISE_XX, 0, &a, &b);
    CHECK(pair_seal_text(a, 1, "attack at dawn", &w) == CHANNEL_OK);
    int refused = 0;
    for (size_t bit = 0; bit < w.len * 8; bit++) {
        bad = w;
        bad.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        refused += open_any(b, &bad, &r, NULL) != CHANNEL_OK;
    }
    CHECK(refused == (int)(w.len * 8));
    CHECK(channel_recv_epoch(b) == 0);
    /* Truncations and extensions too. */
    for (size_t len = 0; len < w.len; len++) {
        bad = w;
        bad.len = len;
        CHECK(open_any(b, &bad, &r, NULL) != CHANNEL_OK);
    }
    bad = w;
    bad.buf[bad.len++] = 0;
    CHECK(open_any(b, &bad, &r, NULL) == CHANNEL_TAMPERED);
    CHECK(pair_open_text(b, &w, 1, "attack at dawn") == CHANNEL_OK);
    CHECK(pair_open_text(b, &w, 1, "attack at dawn") == CHANNEL_REPLAYED);
    /* A handshake frame is not a transport frame. */
    bad = w;
    bad.buf[1] = FRAME_HS2;
    CHECK(open_any(b, &bad, &r, NULL) == CHANNEL_MALFORMED);
    disconnect_pair(&p, a, b);
}

static void shuffle(size_t *v, size_t n)
{
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1), t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* Small frames kept by the hundred; wire (256 KiB) is too big for that. */
typedef struct small_wire {
    uint8_t buf[FRAME_DATA_HEADER_LEN + RECORD_MIN_PADDED + NOISE_TAG_LEN];
    size_t len;
} small_wire;

static small_wire *seal_many(channel *a, size_t n)
{
    static wire w;
    small_wire *out = malloc(n * sizeof(*out));
    char text[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(text, sizeof(text), "message %zu", i);
        CHECK(pair_seal_text(a, i + 1, text, &w) == CHANNEL_OK && w.len <= sizeof(out[i].buf));
        memcpy(out[i].buf, w.buf, w.len);
        out[i].len = w.len;
    }
    return out;
}

static int open_nth(channel *b, const small_wire *sw, size_t i)
{
    static wire w;
    char text[32];
    snprintf(text, sizeof(text), "message %zu", i);
    memcpy(w.buf, sw[i].buf, sw[i].len);
    w.len = sw[i].len;
    return pair_open_text(b, &w, i + 1, text);
}

/* Opens frames[0..n) in a random order; counts the ones that opened. */
static size_t open_shuffled(channel *b, const small_wire *w, size_t n)
{
    size_t *order = malloc(n * sizeof(*order)), ok = 0;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    shuffle(order, n);
    for (size_t i = 0; i < n; i++)
        ok += open_nth(b, w, order[i]) == CHANNEL_OK;
    free(order);
    return ok;
}

static size_t replay_all(channel *b, const small_wire *w, size_t n)
{
    size_t replayed = 0;
    for (size_t i = 0; i < n; i++)
        replayed += open_nth(b, w, i) == CHANNEL_REPLAYED;
    return replayed;
}

static void test_replay_and_reorder(void)
{
    pair p;
    channel *a, *b;
    connect_pair(&p, NOISE_XX, 0, &a, &b);
    enum { N = 600 };
    small_wire *w = seal_many(a, N);
    CHECK(open_shuffled(b, w, N) == N);
    CHECK(replay_all(b, w, N) == N);
    free(w);

    /* Too old: the window holds the last REPLAY_WINDOW_BITS nonces below the highest one. */
    enum { M = 5000 };
    w = seal_many(a, M);
    CHECK(open_nth(b, w, M - 1) == CHANNEL_OK);
    size_t oldest = M - REPLAY_WINDOW_BITS; /* frame M - 1 has the top nonce */
    CHECK(open_nth(b, w, oldest - 1) == CHANNEL_REPLAYED);
    CHECK(open_nth(b, w, 0) == CHANNEL_REPLAYED);
    CHECK(open_nth(b, w, oldest) == CHANNEL_OK);
    CHECK(open_nth(b, w, oldest) == CHANNEL_REPLAYED);
    CHECK(open_nth(b, w, M - 2) == CHANNEL_OK);
    CHECK(open_nth(b, w, M - 1) == CHANNEL_REPLAYED);
    free(w);
    disconnect_pair(&p, a, b);
}

static void test_other_session(void)
{
    pair p;
    channel *a, *b, *c, *d;
    wire w;
    connect_pair(&p, NOISE_XX, 0, &a, &b);
    CHECK(pair_connect(&p, &c, &d) == 0);
    CHECK(pair_seal_text(c, 1, "from another session", &w) == CHANNEL_OK);
    CHECK(pair_open_text(b, &w, 1, "from another session") == CHANNEL_UNKNOWN_SESSION);
    /* Same keys' owner, same nonce, session id rewritten: authentication fails. */
    memcpy(w.buf + 2, channel_session(b), FRAME_SESSION_LEN);
    CHECK(pair_open_text(b, &w, 1, "from another session") == CHANNEL_TAMPERED);
    CHECK(pair_seal_text(a, 1, "ours", &w) == CHANNEL_OK);
    CHECK(pair_open_text(b, &w, 1, "ours") == CHANNEL_OK);
    /* Our own frame does not open on our side (the directions have their own keys). */
    CHECK(pair_seal_text(a, 2, "echo", &w) == CHANNEL_OK);
    CHECK(pair_open_text(a, &w, 2, "echo") == CHANNEL_TAMPERED);
    channel_free(c);
    channel_free(d);
    disconnect_pair(&p, a, b);
}

static void test_nonce_exhaustion(void)
{
    pair p;
    channel *a, *b;
    wire w;
    /* Default interval: the sender side refuses after nonce 2^64-2. */
    connect_pair(&p, NOISE_XX, 0, &a, &b);
    channel_test_set_send_nonce(a, UINT64_MAX - 1);
    CHECK(pair_seal_text(a, 1, "last", &w) == CHANNEL_OK);
    CHECK(pair_seal_text(a, 2, "one too many", &w) == CHANNEL_NONCE_EXHAUSTED);
    CHECK(pair_seal_text(a, 2, "still", &w) == CHANNEL_NONCE_EXHAUSTED);
    CHECK(channel_rekey_now(a) == CHANNEL_NONCE_EXHAUSTED);
    disconnect_pair(&p, a, b);

    /* A single endless epoch: the receiver opens the last frame too. */
    connect_pair(&p, NOISE_XX, UINT64_MAX, &a, &b);
    CHECK(pair_seal_text(a, 1, "first", &w) == CHANNEL_OK);
    CHECK(pair_open_text(b, &w, 1, "first") == CHANNEL_OK);
    channel_test_set_send_nonce(a, UINT64_MAX - 1);
    CHECK(pair_seal_text(a, 2, "last", &w) == CHANNEL_OK);
    CHECK(pair_open_text(b, &w, 2, "last") == CHANNEL_OK);
    CHECK(pair_seal_text(a, 3, "none", &w) == CHANNEL_NONCE_EXHAUSTED);
    CHECK(channel_rekey_now(a) == CHANNEL_NONCE_EXHAUSTED);
    /* A frame claiming nonce 2^64-1 is refused before any decryption. */
    w.buf[FRAME_HS_HEADER_LEN + 7] = 0xff;
    CHECK(pair_open_text(b, &w, 2, "last") == CHANNEL_REPLAYED);
    disconnect_pair(&p, a, b);
}

static void test_rekey_many(uint64_t interval, size_t n)
{
    pair p;
    channel *a, *b;
    connect_pair(&p, NOISE_XXPSK3, interval, &a, &b);
    small_wire *w = seal_many(a, n);
    CHECK(channel_send_epoch(a) == (n - 1) / interval);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += open_nth(b, w, i) == CHANNEL_OK;
    CHECK(ok == n);
    CHECK(channel_recv_epoch(b) == (n - 1) / interval);
    free(w);

    /* Shuffled across many epochs, all inside the window. */
    size_t m = n < REPLAY_WINDOW_BITS ? n : REPLAY_WINDOW_BITS;
    w = seal_many(a, m);
    CHECK(open_shuffled(b, w, m) == m);
    CHECK(replay_all(b, w, m) == m);
    free(w);
    disconnect_pair(&p, a, b);
}

/* Seals "message <n>" with nonce n (the sender jumps there; at most RECORD_MAX_EPOCH_SKIP
 * epochs at a time, so its key stays the one the receiver derives). */
static void seal_at(channel *a, uint64_t n, small_wire *out)
{
    static wire w;
    char text[32];
    snprintf(text, sizeof(text), "message %llu", (unsigned long long)n);
    channel_test_set_send_nonce(a, n);
    CHECK(pair_seal_text(a, n + 1, text, &w) == CHANNEL_OK && w.len <= sizeof(out->buf));
    memcpy(out->buf, w.buf, w.len);
    out->len = w.len;
}

static int open_at(channel *b, const small_wire *sw, uint64_t n)
{
    static wire w;
    char text[32];
    snprintf(text, sizeof(text), "message %llu", (unsigned long long)n);
    memcpy(w.buf, sw->buf, sw->len);
    w.len = sw->len;
    return pair_open_text(b, &w, n + 1, text);
}

static void test_rekey_boundary(void)
{
    enum { I = CHANNEL_MIN_REKEY_INTERVAL };
    pair p;
    channel *a, *b;
    small_wire w[6];
    const uint64_t at[6] = {I - 2, I - 1, I, I + 1, 2 * I, 3 * I};
    connect_pair(&p, NOISE_XX, I, &a, &b);
    for (int i = 0; i < 6; i++)
        seal_at(a, at[i], &w[i]);
    CHECK(open_at(b, &w[2], at[2]) == CHANNEL_OK); /* epoch 1 */
    CHECK(channel_recv_epoch(b) == 1);
    CHECK(open_at(b, &w[0], at[0]) == CHANNEL_OK); /* previous epoch, in the window */
    CHECK(open_at(b, &w[4], at[4]) == CHANNEL_OK); /* epoch 2 */
    CHECK(channel_recv_epoch(b) == 2);
    CHECK(open_at(b, &w[1], at[1]) == CHANNEL_REPLAYED); /* below the window now */
    CHECK(open_at(b, &w[3], at[3]) == CHANNEL_OK);       /* epoch 1, in the window */
    /* Tampering with a frame of a future epoch does not move the receiver. */
    small_wire bad = w[5];
    bad.buf[bad.len - 1] ^= 1;
    CHECK(open_at(b, &bad, at[5]) == CHANNEL_TAMPERED);
    CHECK(channel_recv_epoch(b) == 2);
    CHECK(open_at(b, &w[5], at[5]) == CHANNEL_OK);
    CHECK(channel_recv_epoch(b) == 3);
    for (int i = 0; i < 6; i++)
        CHECK(open_at(b, &w[i], at[i]) == CHANNEL_REPLAYED);
    disconnect_pair(&p, a, b);
}

static void test_rekey_now(void)
{
    pair p;
    channel *a, *b;
    wire before, after;
    connect_pair(&p, NOISE_XX, 0, &a, &b);
    CHECK(channel_send_epoch(a) == 0);
    CHECK(pair_seal_text(a, 1, "early", &before) == CHANNEL_OK);
    CHECK(channel_rekey_now(a) == CHANNEL_OK);
    CHECK(pair_seal_text(a, 2, "late", &after) == CHANNEL_OK);
    CHECK(pair_open_text(b, &before, 1, "early") == CHANNEL_OK);
    CHECK(pair_open_text(b, &after, 2, "late") == CHANNEL_OK);
    disconnect_pair(&p, a, b);

    connect_pair(&p, NOISE_XX, 0, &a, &b);
    CHECK(pair_seal_text(a, 1, "before", &before) == CHANNEL_OK);
    CHECK(channel_rekey_now(a) == CHANNEL_OK);
    CHECK(channel_send_epoch(a) == 1);
    CHECK(pair_seal_text(a, 2, "after", &after) == CHANNEL_OK);
    uint64_t nonce = 0;
    channel_record r;
    CHECK(open_any(b, &after, &r, &nonce) == CHANNEL_OK);
    CHECK(nonce == CHANNEL_DEFAULT_REKEY_INTERVAL);
    CHECK(channel_recv_epoch(b) == 1);
    /* The jump put the pre-rekey frame below the replay window: a frame sealed before
     * channel_rekey_now opens only if it arrives before the first frame after it. */
    CHECK(pair_open_text(b, &before, 1, "before") == CHANNEL_REPLAYED);
    /* Twice in a row moves one epoch: the second finds a key that sealed nothing yet. The other
     * direction is unaffected. */
    CHECK(channel_rekey_now(a) == CHANNEL_OK && channel_rekey_now(a) == CHANNEL_OK);
    CHECK(channel_send_epoch(a) == 2);
    CHECK(pair_seal_text(a, 3, "later", &after) == CHANNEL_OK);
    CHECK(pair_open_text(b, &after, 3, "later") == CHANNEL_OK);
    CHECK(channel_recv_epoch(b) == 2);
    CHECK(channel_send_epoch(b) == 0 && channel_recv_epoch(a) == 0);
    CHECK(pair_seal_text(b, 1, "reply", &after) == CHANNEL_OK);
    CHECK(pair_open_text(a, &after, 1, "reply") == CHANNEL_OK);
    disconnect_pair(&p, a, b);
}

/* A copy of w claiming nonce n: it fails authentication wherever it gets that far. */
static wire forged_at(const wire *w, uint64_t n)
{
    static wire f;
    f = *w;
    for (int i = 0; i < 8; i++)
        f.buf[2 + FRAME_SESSION_LEN + i] = (uint8_t)(n >> (56 - 8 * i));
    return f;
}

/* The receiver derives keys at most RECORD_MAX_EPOCH_SKIP (2) epochs ahead, so a forged frame
 * costs at most two Rekey() and one failed decryption; further ahead it is refused before any
 * derivation. Genuine frames after rekeys still open. */
static void test_epoch_skip_limit(void)
{
    const uint64_t I = CHANNEL_DEFAULT_REKEY_INTERVAL;
    pair p;
    channel *a, *b;
    wire w, lost;
    channel_record r;
    connect_pair(&p, NOISE_XX, 0, &a, &b);
    CHECK(pair_seal_text(a, 1, "first", &w) == CHANNEL_OK);
    CHECK(pair_open_text(b, &w, 1, "first") == CHANNEL_OK);
    uint64_t before = channel_test_recv_rekeys(b);
    const uint64_t far[] = {3 * I, 4 * I - 1, 1000 * I, 1025 * I, UINT64_MAX / 2, UINT64_MAX - 1};
    for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
        wire f = forged_at(&w, far[i]);
        CHECK(open_any(b, &f, &r, NULL) == CHANNEL_REPLAYED);
    }
    CHECK(channel_test_recv_rekeys(b) == before); /* refused without any derivation */
    for (uint64_t e = 1; e <= 2; e++) {
        wire f = forged_at(&w, e * I + 5);
        CHECK(open_any(b, &f, &r, NULL) == CHANNEL_TAMPERED);
        CHECK(channel_test_recv_rekeys(b) == before + e); /* e Rekey(), then dropped */
        before = channel_test_recv_rekeys(b);
    }
    CHECK(channel_recv_epoch(b) == 0);
    /* Genuine: a frame lost in epoch 1, then rekeys (repeated ones change nothing more). */
    CHECK(channel_rekey_now(a) == CHANNEL_OK);
    CHECK(pair_seal_text(a, 2, "lost", &lost) == CHANNEL_OK);
    for (int i = 0; i < 5; i++)
        CHECK(channel_rekey_now(a) == CHANNEL_OK);
    CHECK(channel_send_epoch(a) == 2);
    CHECK(pair_seal_text(a, 3, "two ahead", &w) == CHANNEL_OK);
    CHECK(pair_open_text(b, &w, 3, "two ahead") == CHANNEL_OK);
    CHECK(channel_recv_epoch(b) == 2);
    CHECK(pair_open_text(b, &lost, 2, "lost") == CHANNEL_REPLAYED); /* below the window */
    /* Three epochs without a frame arriving: the receiver cannot follow (a new handshake is
     * needed; the session does one when the peer stays silent). */
    for (uint64_t i = 0; i < 3; i++) {
        CHECK(channel_rekey_now(a) == CHANNEL_OK);
        CHECK(pair_seal_text(a, 4 + i, "unseen", &lost) == CHANNEL_OK);
    }
    CHECK(channel_send_epoch(a) == 5);
    CHECK(pair_open_text(b, &lost, 6, "unseen") == CHANNEL_REPLAYED);
    disconnect_pair(&p, a, b);
}

static void test_min_interval(void)
{
    pair p;
    int err = 0;
    pair_init(&p, NOISE_XX, CHANNEL_MIN_REKEY_INTERVAL - 1);
    CHECK(channel_new(&p.pa, NULL, &err) == NULL && err == CHANNEL_ERR_ARG);
    pair_free(&p);
}

int main(void)
{
    srand(7);
    test_records();
    test_batch();
    test_flips();
    test_replay_and_reorder();
    test_other_session();
    test_nonce_exhaustion();
    test_rekey_many(4096, 10000);
    test_rekey_many(8192, 20000);
    test_rekey_boundary();
    test_rekey_now();
    test_epoch_skip_limit();
    test_min_interval();
    return check_summary();
}
