/* test_noise: unit tests of crypto/noise: full XX and XXpsk3 handshakes with transport, tamper
 * and bit-flip rejection with unchanged state, wrong PSK, low-order keys, size and nonce limits,
 * rekey, and the HMAC/HKDF/X25519 primitives against RFC vectors. */
#include "crypto/noise.h"
#include "support/check.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static uint8_t g_init_priv[32], g_resp_priv[32], g_init_pub[32], g_resp_pub[32];
static uint8_t g_psk[32];
static uint8_t g_buf[NOISE_MAX_MSG + 64], g_pay[NOISE_MAX_MSG + 64], g_tmp[NOISE_MAX_MSG + 64];

struct pair {
    noise_handshake *i, *r;
};

static void hex(uint8_t *out, const char *s)
{
    for (size_t i = 0; s[2 * i]; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static bool pair_new(struct pair *p, noise_pattern pat, const uint8_t *psk_i, const uint8_t *psk_r)
{
    p->i = p->r = NULL;
    int a = noise_handshake_new(&p->i, pat, true, (const uint8_t *)"kchat", 5, g_init_priv, psk_i);
    int b = noise_handshake_new(&p->r, pat, false, (const uint8_t *)"kchat", 5, g_resp_priv, psk_r);
    return a == NOISE_OK && b == NOISE_OK;
}

static void pair_free(struct pair *p)
{
    noise_handshake_free(p->i);
    noise_handshake_free(p->r);
}

/* One handshake message from w to r carrying text; true when written, read and round-tripped. */
static bool xfer(noise_handshake *w, noise_handshake *r, const char *text)
{
    size_t len = 0, plen = 0;
    size_t tlen = strlen(text);
    if (noise_handshake_write(w, (const uint8_t *)text, tlen, g_buf, sizeof g_buf, &len)) {
        return false;
    }
    if (noise_handshake_read(r, g_buf, len, g_pay, sizeof g_pay, &plen)) {
        return false;
    }
    return plen == tlen && memcmp(g_pay, text, tlen) == 0;
}

/* One transport message from send to recv. */
static bool transport(noise_cipher *send, noise_cipher *recv, const char *text)
{
    size_t tlen = strlen(text);
    uint8_t ct[256], pt[256];
    if (noise_cipher_encrypt(send, NULL, 0, (const uint8_t *)text, tlen, ct) != NOISE_OK) {
        return false;
    }
    if (noise_cipher_decrypt(recv, NULL, 0, ct, tlen + NOISE_TAG_LEN, pt) != NOISE_OK) {
        return false;
    }
    return memcmp(pt, text, tlen) == 0;
}

/* The four transport ciphers of a finished pair: initiator send/recv, responder send/recv. */
struct session {
    noise_cipher *is, *ir, *rs, *rr;
};

static bool session_split(struct pair *p, struct session *s)
{
    s->is = s->ir = s->rs = s->rr = NULL;
    int a = noise_handshake_split(p->i, &s->is, &s->ir);
    int b = noise_handshake_split(p->r, &s->rs, &s->rr);
    return a == NOISE_OK && b == NOISE_OK;
}

static void session_free(struct session *s)
{
    noise_cipher_free(s->is);
    noise_cipher_free(s->ir);
    noise_cipher_free(s->rs);
    noise_cipher_free(s->rr);
}

/* ---- What must not change when a read fails. ---- */
struct snap {
    int step;
    bool turn, done, has_rs;
    uint8_t h[NOISE_HASH_LEN];
};

static struct snap snap_of(const noise_handshake *hs)
{
    struct snap s = {noise_handshake_step(hs),
                     noise_handshake_my_turn(hs),
                     noise_handshake_done(hs),
                     noise_handshake_remote_static(hs) != NULL,
                     {0}};
    noise_handshake_hash(hs, s.h);
    return s;
}

static bool snap_eq(const struct snap *a, const struct snap *b)
{
    return a->step == b->step && a->turn == b->turn && a->done == b->done &&
           a->has_rs == b->has_rs && memcmp(a->h, b->h, sizeof a->h) == 0;
}

/* read_checked: a refused static key leaves the state unchanged and wipes the payload; the
 * check is asked once, with the key of the message, and only for the message revealing it. */
static int g_asked;
static bool refuse(const uint8_t rs[32], void *ctx)
{
    g_asked++;
    return memcmp(rs, ctx, 32) != 0;
}

static void test_read_checked(noise_pattern pat)
{
    struct pair p;
    size_t len = 0, plen = 0;
    CHECK(
        pair_new(&p, pat, pat == NOISE_XXPSK3 ? g_psk : NULL, pat == NOISE_XXPSK3 ? g_psk : NULL));
    g_asked = 0;
    CHECK(noise_handshake_write(p.i, NULL, 0, g_buf, sizeof g_buf, &len) == NOISE_OK);
    CHECK(noise_handshake_read_checked(p.r, g_buf, len, g_pay, sizeof g_pay, &plen, refuse,
                                       g_init_pub) == NOISE_OK);
    CHECK(g_asked == 0); /* message 1 reveals no static key */
    CHECK(noise_handshake_write(p.r, (const uint8_t *)"two", 3, g_buf, sizeof g_buf, &len) ==
          NOISE_OK);
    struct snap before = snap_of(p.i);
    memset(g_pay, 0xaa, 16);
    plen = 99;
    CHECK(noise_handshake_read_checked(p.i, g_buf, len, g_pay, sizeof g_pay, &plen, refuse,
                                       g_resp_pub) == NOISE_ERR_REFUSED);
    struct snap after = snap_of(p.i);
    CHECK(snap_eq(&before, &after) && g_asked == 1 && plen == 99);
    CHECK(g_pay[0] == 0 && g_pay[1] == 0 && g_pay[2] == 0 && g_pay[3] == 0xaa);
    CHECK(noise_handshake_read_checked(p.i, g_buf, len, g_pay, sizeof g_pay, &plen, refuse,
                                       g_init_pub) == NOISE_OK);
    CHECK(plen == 3 && memcmp(g_pay, "two", 3) == 0 && g_asked == 2);
    CHECK(noise_handshake_write(p.i, NULL, 0, g_buf, sizeof g_buf, &len) == NOISE_OK);
    before = snap_of(p.r);
    CHECK(noise_handshake_read_checked(p.r, g_buf, len, g_pay, sizeof g_pay, &plen, refuse,
                                       g_init_pub) == NOISE_ERR_REFUSED);
    after = snap_of(p.r);
    CHECK(snap_eq(&before, &after) && !noise_handshake_done(p.r));
    CHECK(noise_handshake_read(p.r, g_buf, len, g_pay, sizeof g_pay, &plen) == NOISE_OK);
    CHECK(noise_handshake_done(p.r));
    pair_free(&p);
}

static void test_full(noise_pattern pat)
{
    struct pair p;
    CHECK(
        pair_new(&p, pat, pat == NOISE_XXPSK3 ? g_psk : NULL, pat == NOISE_XXPSK3 ? g_psk : NULL));
    CHECK(noise_handshake_my_turn(p.i) && !noise_handshake_my_turn(p.r));
    CHECK(noise_handshake_remote_static(p.i) == NULL);
    CHECK(xfer(p.i, p.r, "one"));
    CHECK(noise_handshake_step(p.r) == 1 && noise_handshake_my_turn(p.r));
    CHECK(xfer(p.r, p.i, "two"));
    const uint8_t *rs = noise_handshake_remote_static(p.i);
    CHECK(rs && memcmp(rs, g_resp_pub, 32) == 0);
    CHECK(noise_handshake_remote_static(p.r) == NULL);
    CHECK(xfer(p.i, p.r, "three"));
    rs = noise_handshake_remote_static(p.r);
    CHECK(rs && memcmp(rs, g_init_pub, 32) == 0);
    CHECK(noise_handshake_done(p.i) && noise_handshake_done(p.r));
    CHECK(!noise_handshake_my_turn(p.i) && !noise_handshake_my_turn(p.r));
    uint8_t h1[32], h2[32];
    noise_handshake_hash(p.i, h1);
    noise_handshake_hash(p.r, h2);
    CHECK(memcmp(h1, h2, 32) == 0);

    struct session ss;
    CHECK(session_split(&p, &ss));
    CHECK(transport(ss.is, ss.rr, "hello bob") && transport(ss.rs, ss.ir, "hello alice"));
    CHECK(transport(ss.is, ss.rr, "again") && transport(ss.is, ss.rr, "and again"));
    CHECK(noise_cipher_nonce(ss.is) == 3 && noise_cipher_nonce(ss.rr) == 3);
    CHECK(noise_cipher_nonce(ss.rs) == 1 && noise_cipher_nonce(ss.ir) == 1);
    /* A message is bound to its direction: the sender's own receive key cannot read it. */
    CHECK(!transport(ss.is, ss.ir, "wrong way"));
    session_free(&ss);
    pair_free(&p);
}

static void test_patterns_differ(void)
{
    struct pair a, b;
    uint8_t h1[32], h2[32];
    CHECK(pair_new(&a, NOISE_XX, NULL, NULL) && pair_new(&b, NOISE_XXPSK3, g_psk, g_psk));
    noise_handshake_hash(a.i, h1);
    noise_handshake_hash(b.i, h2);
    CHECK(memcmp(h1, h2, 32) != 0);
    /* An XX initiator's message 1 is not a valid XXpsk3 message 1 (too short). */
    size_t len, plen;
    CHECK(noise_handshake_write(a.i, NULL, 0, g_buf, sizeof g_buf, &len) == NOISE_OK);
    CHECK(len == 32);
    CHECK(noise_handshake_read(b.r, g_buf, len, g_pay, sizeof g_pay, &plen) == NOISE_ERR_SIZE);
    pair_free(&a);
    pair_free(&b);
}

static void test_wrong_psk(void)
{
    uint8_t other[32];
    memcpy(other, g_psk, 32);
    other[7] ^= 1;
    struct pair p;
    CHECK(pair_new(&p, NOISE_XXPSK3, g_psk, other));
    CHECK(xfer(p.i, p.r, "one") && xfer(p.r, p.i, "two"));
    size_t len, plen;
    CHECK(noise_handshake_write(p.i, (const uint8_t *)"x", 1, g_buf, sizeof g_buf, &len) == 0);
    struct snap before = snap_of(p.r);
    CHECK(noise_handshake_read(p.r, g_buf, len, g_pay, sizeof g_pay, &plen) == NOISE_ERR_DECRYPT);
    struct snap after = snap_of(p.r);
    CHECK(snap_eq(&before, &after));
    CHECK(!noise_handshake_done(p.r) && noise_handshake_remote_static(p.r) == NULL);
    noise_cipher *s, *r;
    CHECK(noise_handshake_split(p.r, &s, &r) == NOISE_ERR_STATE && s == NULL && r == NULL);
    pair_free(&p);
}

static void test_prologue_mismatch(void)
{
    noise_handshake *i, *r;
    CHECK(noise_handshake_new(&i, NOISE_XX, true, (const uint8_t *)"a", 1, g_init_priv, NULL) == 0);
    CHECK(noise_handshake_new(&r, NOISE_XX, false, (const uint8_t *)"b", 1, g_resp_priv, NULL) ==
          0);
    CHECK(xfer(i, r, "one"));
    CHECK(!xfer(r, i, "two"));
    CHECK(noise_handshake_step(i) == 1);
    noise_handshake_free(i);
    noise_handshake_free(r);
}

/* Brings a fresh pair to the point where message idx (0..2) is to be written. */
static bool advance(struct pair *p, noise_pattern pat, int idx)
{
    static const char *texts[] = {"one", "two", "three"};
    if (!pair_new(p, pat, pat == NOISE_XXPSK3 ? g_psk : NULL, pat == NOISE_XXPSK3 ? g_psk : NULL)) {
        return false;
    }
    for (int k = 0; k < idx; k++) {
        bool ok = k % 2 == 0 ? xfer(p->i, p->r, texts[k]) : xfer(p->r, p->i, texts[k]);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Every single-bit flip of message idx is refused by its reader, whose state stays unchanged;
 * the original message is accepted afterwards. */
static void test_bit_flips(noise_pattern pat, int idx)
{
    struct pair p;
    CHECK(advance(&p, pat, idx));
    noise_handshake *w = idx % 2 == 0 ? p.i : p.r, *rd = idx % 2 == 0 ? p.r : p.i;
    size_t len, plen;
    CHECK(noise_handshake_write(w, (const uint8_t *)"hello", 5, g_buf, sizeof g_buf, &len) == 0);
    struct snap before = snap_of(rd);
    size_t bits = len * 8, rejected = 0, unchanged = 0;
    for (size_t b = 0; b < bits; b++) {
        memcpy(g_tmp, g_buf, len);
        g_tmp[b / 8] ^= (uint8_t)(1u << (b % 8));
        rejected += noise_handshake_read(rd, g_tmp, len, g_pay, sizeof g_pay, &plen) != NOISE_OK;
        struct snap after = snap_of(rd);
        unchanged += snap_eq(&before, &after);
    }
    if (rejected != bits || unchanged != bits) {
        fprintf(stderr, "pattern %d message %d: %zu/%zu flips rejected, %zu unchanged\n", pat,
                idx + 1, rejected, bits, unchanged);
    }
    CHECK(rejected == bits && unchanged == bits);
    CHECK(noise_handshake_read(rd, g_buf, len, g_pay, sizeof g_pay, &plen) == NOISE_OK);
    CHECK(plen == 5 && memcmp(g_pay, "hello", 5) == 0);
    pair_free(&p);
}

/* XX message 1 carries no authentication (spec 7.4: payload in clear, no key yet). Each flip
 * must make the handshake fail no later than the initiator's read of message 2. */
static void test_bit_flips_xx_msg1(void)
{
    struct pair p;
    CHECK(advance(&p, NOISE_XX, 0));
    size_t len, plen, len2;
    CHECK(noise_handshake_write(p.i, (const uint8_t *)"hello", 5, g_buf, sizeof g_buf, &len) == 0);
    struct snap before = snap_of(p.i);
    size_t bits = len * 8, detected = 0;
    for (size_t b = 0; b < bits; b++) {
        noise_handshake *r = NULL;
        noise_handshake_new(&r, NOISE_XX, false, (const uint8_t *)"kchat", 5, g_resp_priv, NULL);
        memcpy(g_tmp, g_buf, len);
        g_tmp[b / 8] ^= (uint8_t)(1u << (b % 8));
        if (noise_handshake_read(r, g_tmp, len, g_pay, sizeof g_pay, &plen) != NOISE_OK ||
            noise_handshake_write(r, NULL, 0, g_tmp, sizeof g_tmp, &len2) != NOISE_OK ||
            noise_handshake_read(p.i, g_tmp, len2, g_pay, sizeof g_pay, &plen) != NOISE_OK) {
            detected++;
        }
        noise_handshake_free(r);
    }
    struct snap after = snap_of(p.i);
    CHECK(detected == bits);
    CHECK(snap_eq(&before, &after));
    CHECK(xfer(p.r, p.i, "") == false); /* p.r has not read message 1: not its turn */
    CHECK(noise_handshake_read(p.r, g_buf, len, g_pay, sizeof g_pay, &plen) == NOISE_OK);
    CHECK(xfer(p.r, p.i, "two") && xfer(p.i, p.r, "three"));
    pair_free(&p);
}

static void test_transport_flips(void)
{
    struct pair p;
    struct session ss;
    CHECK(advance(&p, NOISE_XXPSK3, 3));
    CHECK(session_split(&p, &ss));
    uint8_t ct[64], pt[64];
    const uint8_t ad[3] = {1, 2, 3};
    CHECK(noise_cipher_encrypt(ss.is, ad, 3, (const uint8_t *)"transport", 9, ct) == NOISE_OK);
    size_t len = 9 + NOISE_TAG_LEN, rejected = 0;
    for (size_t b = 0; b < len * 8; b++) {
        uint8_t bad[64];
        memcpy(bad, ct, len);
        bad[b / 8] ^= (uint8_t)(1u << (b % 8));
        rejected += noise_cipher_decrypt(ss.rr, ad, 3, bad, len, pt) == NOISE_ERR_DECRYPT;
    }
    CHECK(rejected == len * 8);
    CHECK(noise_cipher_nonce(ss.rr) == 0);
    const uint8_t ad2[3] = {1, 2, 4};
    CHECK(noise_cipher_decrypt(ss.rr, ad2, 3, ct, len, pt) == NOISE_ERR_DECRYPT);
    CHECK(noise_cipher_decrypt(ss.rr, ad, 3, ct, NOISE_TAG_LEN - 1, pt) == NOISE_ERR_SIZE);
    CHECK(noise_cipher_decrypt(ss.rr, ad, 3, ct, len, pt) == NOISE_OK);
    CHECK(memcmp(pt, "transport", 9) == 0 && noise_cipher_nonce(ss.rr) == 1);
    /* Replaying it fails: the counter moved on. */
    CHECK(noise_cipher_decrypt(ss.rr, ad, 3, ct, len, pt) == NOISE_ERR_DECRYPT);
    session_free(&ss);
    pair_free(&p);
}

static void test_nonce_and_rekey(void)
{
    struct pair p;
    struct session ss;
    CHECK(advance(&p, NOISE_XX, 3));
    CHECK(session_split(&p, &ss));
    uint8_t ct[64], pt[64];
    noise_cipher_set_nonce(ss.is, UINT64_MAX);
    CHECK(noise_cipher_encrypt(ss.is, NULL, 0, (const uint8_t *)"x", 1, ct) == NOISE_ERR_NONCE);
    CHECK(noise_cipher_nonce(ss.is) == UINT64_MAX);
    noise_cipher_set_nonce(ss.is, UINT64_MAX - 1);
    CHECK(noise_cipher_encrypt(ss.is, NULL, 0, (const uint8_t *)"x", 1, ct) == NOISE_OK);
    CHECK(noise_cipher_nonce(ss.is) == UINT64_MAX);
    CHECK(noise_cipher_encrypt(ss.is, NULL, 0, (const uint8_t *)"y", 1, pt) == NOISE_ERR_NONCE);
    noise_cipher_set_nonce(ss.rr, UINT64_MAX - 1);
    CHECK(noise_cipher_decrypt(ss.rr, NULL, 0, ct, 17, pt) == NOISE_OK && pt[0] == 'x');
    CHECK(noise_cipher_decrypt(ss.rr, NULL, 0, ct, 17, pt) == NOISE_ERR_NONCE);
    CHECK(noise_cipher_encrypt_n(ss.is, UINT64_MAX, NULL, 0, pt, 1, ct) == NOISE_ERR_NONCE);
    CHECK(noise_cipher_decrypt_n(ss.rr, UINT64_MAX, NULL, 0, ct, 17, pt) == NOISE_ERR_NONCE);
    /* Explicit nonces neither read nor move the counter. */
    CHECK(noise_cipher_encrypt_n(ss.is, 42, NULL, 0, (const uint8_t *)"z", 1, ct) == NOISE_OK);
    CHECK(noise_cipher_decrypt_n(ss.rr, 41, NULL, 0, ct, 17, pt) == NOISE_ERR_DECRYPT);
    CHECK(noise_cipher_decrypt_n(ss.rr, 42, NULL, 0, ct, 17, pt) == NOISE_OK && pt[0] == 'z');
    CHECK(noise_cipher_nonce(ss.is) == UINT64_MAX && noise_cipher_nonce(ss.rr) == UINT64_MAX);

    noise_cipher_set_nonce(ss.is, 5);
    noise_cipher_set_nonce(ss.rr, 5);
    noise_cipher *old = noise_cipher_clone(ss.rr);
    CHECK(old != NULL);
    noise_cipher_rekey(ss.is);
    noise_cipher_rekey(ss.rr);
    CHECK(noise_cipher_nonce(ss.is) == 5 && noise_cipher_nonce(ss.rr) == 5);
    CHECK(noise_cipher_encrypt(ss.is, NULL, 0, (const uint8_t *)"after", 5, ct) == NOISE_OK);
    noise_cipher_set_nonce(old, 5);
    CHECK(noise_cipher_decrypt(old, NULL, 0, ct, 21, pt) == NOISE_ERR_DECRYPT);
    CHECK(noise_cipher_decrypt(ss.rr, NULL, 0, ct, 21, pt) == NOISE_OK);
    CHECK(memcmp(pt, "after", 5) == 0);
    noise_cipher_rekey(ss.rs);
    noise_cipher_rekey(ss.ir);
    CHECK(transport(ss.rs, ss.ir, "rekeyed reply"));
    noise_cipher_free(old);
    session_free(&ss);
    pair_free(&p);
}

static void test_clone(void)
{
    struct pair p;
    struct session ss;
    CHECK(advance(&p, NOISE_XX, 3));
    CHECK(session_split(&p, &ss));
    noise_cipher *c = noise_cipher_clone(ss.rr);
    CHECK(c != NULL && noise_cipher_nonce(c) == 0);
    CHECK(transport(ss.is, c, "to the clone"));
    CHECK(noise_cipher_nonce(ss.rr) == 0);
    noise_cipher_free(c);
    session_free(&ss);
    pair_free(&p);
}

static const char *low_order[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void test_low_order(noise_pattern pat)
{
    for (size_t k = 0; k < sizeof low_order / sizeof low_order[0]; k++) {
        struct pair p;
        size_t plen;
        CHECK(advance(&p, pat, 0));
        memset(g_buf, 0, 128);
        hex(g_buf, low_order[k]);
        struct snap before = snap_of(p.r);
        CHECK(noise_handshake_read(p.r, g_buf, 48, g_pay, sizeof g_pay, &plen) == NOISE_ERR_DH);
        struct snap after = snap_of(p.r);
        CHECK(snap_eq(&before, &after));
        /* The same in message 2, read by the initiator. */
        CHECK(noise_handshake_write(p.i, NULL, 0, g_tmp, sizeof g_tmp, &plen) == NOISE_OK);
        CHECK(noise_handshake_read(p.i, g_buf, 96, g_pay, sizeof g_pay, &plen) == NOISE_ERR_DH);
        CHECK(noise_handshake_step(p.i) == 1);
        pair_free(&p);
    }
}

/* The _long_n variants (kchat's record layer) go past Noise's 65535 bytes, up to 1 MiB, and
 * still authenticate; the plain _n variants keep the Noise limit. */
static void test_long_sizes(struct session *ss)
{
    static uint8_t pt[NOISE_MAX_LONG_MSG], ct[NOISE_MAX_LONG_MSG + 1], back[NOISE_MAX_LONG_MSG];
    const size_t n = 65536 + 100;
    randombytes_buf(pt, n);
    CHECK(noise_cipher_encrypt_n(ss->is, 7, NULL, 0, pt, n, ct) == NOISE_ERR_SIZE);
    CHECK(noise_cipher_encrypt_long_n(ss->is, 7, NULL, 0, pt, n, ct) == NOISE_OK);
    CHECK(noise_cipher_decrypt_n(ss->rr, 7, NULL, 0, ct, n + 16, back) == NOISE_ERR_SIZE);
    CHECK(noise_cipher_decrypt_long_n(ss->rr, 7, NULL, 0, ct, n + 16, back) == NOISE_OK);
    CHECK(memcmp(back, pt, n) == 0);
    ct[n / 2] ^= 1;
    CHECK(noise_cipher_decrypt_long_n(ss->rr, 7, NULL, 0, ct, n + 16, back) == NOISE_ERR_DECRYPT);
    CHECK(noise_cipher_decrypt_long_n(ss->rr, 8, NULL, 0, ct, n + 16, back) == NOISE_ERR_DECRYPT);
    CHECK(noise_cipher_encrypt_long_n(ss->is, 7, NULL, 0, pt, NOISE_MAX_LONG_MSG - 16, ct) ==
          NOISE_OK);
    CHECK(noise_cipher_encrypt_long_n(ss->is, 7, NULL, 0, pt, NOISE_MAX_LONG_MSG - 15, ct) ==
          NOISE_ERR_SIZE);
    CHECK(noise_cipher_decrypt_long_n(ss->rr, 7, NULL, 0, ct, NOISE_MAX_LONG_MSG + 1, back) ==
          NOISE_ERR_SIZE);
}

static void test_sizes(void)
{
    struct pair p;
    size_t len, plen;
    CHECK(advance(&p, NOISE_XX, 0));
    static uint8_t big[NOISE_MAX_MSG + 1];
    CHECK(noise_handshake_write(p.i, big, NOISE_MAX_MSG - 31, g_buf, sizeof g_buf, &len) ==
          NOISE_ERR_SIZE);
    CHECK(noise_handshake_step(p.i) == 0);
    CHECK(noise_handshake_write(p.i, big, 10, g_buf, 41, &len) == NOISE_ERR_ARG);
    CHECK(noise_handshake_read(p.r, g_buf, NOISE_MAX_MSG + 1, g_pay, sizeof g_pay, &plen) ==
          NOISE_ERR_SIZE);
    CHECK(noise_handshake_read(p.r, g_buf, 31, g_pay, sizeof g_pay, &plen) == NOISE_ERR_SIZE);
    CHECK(noise_handshake_write(p.i, big, NOISE_MAX_MSG - 32, g_buf, sizeof g_buf, &len) == 0);
    CHECK(len == NOISE_MAX_MSG);
    CHECK(noise_handshake_read(p.r, g_buf, len, g_pay, 100, &plen) == NOISE_ERR_ARG);
    CHECK(noise_handshake_step(p.r) == 0);
    CHECK(noise_handshake_read(p.r, g_buf, len, g_pay, sizeof g_pay, &plen) == NOISE_OK);
    CHECK(plen == NOISE_MAX_MSG - 32);
    pair_free(&p);

    struct session ss;
    CHECK(advance(&p, NOISE_XX, 3));
    CHECK(session_split(&p, &ss));
    CHECK(noise_cipher_encrypt(ss.is, NULL, 0, big, NOISE_MAX_MSG - 15, g_buf) == NOISE_ERR_SIZE);
    CHECK(noise_cipher_nonce(ss.is) == 0);
    CHECK(noise_cipher_encrypt(ss.is, NULL, 0, big, NOISE_MAX_MSG - 16, g_buf) == NOISE_OK);
    CHECK(noise_cipher_decrypt(ss.rr, NULL, 0, g_buf, NOISE_MAX_MSG + 1, g_pay) == NOISE_ERR_SIZE);
    CHECK(noise_cipher_decrypt(ss.rr, NULL, 0, g_buf, NOISE_MAX_MSG, g_pay) == NOISE_OK);
    test_long_sizes(&ss);
    session_free(&ss);
    pair_free(&p);
}

static void test_misuse(void)
{
    noise_handshake *hs = NULL;
    CHECK(noise_handshake_new(&hs, NOISE_XX, true, NULL, 0, g_init_priv, g_psk) == NOISE_ERR_ARG);
    CHECK(hs == NULL);
    CHECK(noise_handshake_new(&hs, NOISE_XXPSK3, true, NULL, 0, g_init_priv, NULL) ==
          NOISE_ERR_ARG);
    CHECK(noise_handshake_new(&hs, (noise_pattern)7, true, NULL, 0, g_init_priv, NULL) ==
          NOISE_ERR_ARG);
    struct pair p;
    size_t len, plen;
    CHECK(advance(&p, NOISE_XX, 0));
    CHECK(noise_handshake_write(p.r, NULL, 0, g_buf, sizeof g_buf, &len) == NOISE_ERR_ARG);
    CHECK(noise_handshake_read(p.i, g_buf, 64, g_pay, sizeof g_pay, &plen) == NOISE_ERR_ARG);
    noise_cipher *s, *r;
    CHECK(noise_handshake_split(p.i, &s, &r) == NOISE_ERR_STATE);
    CHECK(xfer(p.i, p.r, "one"));
    uint8_t e[32] = {9};
    CHECK(noise_handshake_set_ephemeral(p.i, e) == NOISE_ERR_STATE);
    CHECK(xfer(p.r, p.i, "two") && xfer(p.i, p.r, "three"));
    CHECK(noise_handshake_write(p.i, NULL, 0, g_buf, sizeof g_buf, &len) == NOISE_ERR_STATE);
    CHECK(noise_handshake_read(p.r, g_buf, 64, g_pay, sizeof g_pay, &plen) == NOISE_ERR_STATE);
    pair_free(&p);
    CHECK(strcmp(noise_protocol_name(NOISE_XXPSK3), "Noise_XXpsk3_25519_ChaChaPoly_SHA256") == 0);
    CHECK(strcmp(noise_strerror(NOISE_ERR_DH), noise_strerror(NOISE_ERR_DECRYPT)) != 0);
}

/* HMAC-SHA256 built from SHA-256 alone (RFC 2104), to cross-check any key length. */
static void ref_hmac(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *d,
                     size_t dlen)
{
    uint8_t k[64] = {0}, pad[64], inner[32];
    if (keylen > 64) {
        crypto_hash_sha256(k, key, keylen);
    } else {
        memcpy(k, key, keylen);
    }
    crypto_hash_sha256_state st;
    for (int i = 0; i < 64; i++) {
        pad[i] = k[i] ^ 0x36;
    }
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, pad, 64);
    crypto_hash_sha256_update(&st, d, dlen);
    crypto_hash_sha256_final(&st, inner);
    for (int i = 0; i < 64; i++) {
        pad[i] = k[i] ^ 0x5c;
    }
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, pad, 64);
    crypto_hash_sha256_update(&st, inner, 32);
    crypto_hash_sha256_final(&st, out);
}

static bool hmac_is(const uint8_t *key, size_t keylen, const char *data, const char *expect_hex)
{
    uint8_t out[32], want[32];
    hex(want, expect_hex);
    noise_hmac_sha256(out, key, keylen, (const uint8_t *)data, strlen(data));
    return memcmp(out, want, 32) == 0;
}

static void test_hmac(void)
{
    uint8_t key[200];
    memset(key, 0x0b, 20);
    CHECK(hmac_is(key, 20, "Hi There",
                  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
    CHECK(hmac_is((const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
                  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    memset(key, 0xaa, 131); /* RFC 4231 test cases 6 and 7: 131-byte key */
    CHECK(hmac_is(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
                  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
    CHECK(hmac_is(key, 131,
                  "This is a test using a larger than block-size key and a larger than "
                  "block-size data. The key needs to be hashed before being used by the HMAC "
                  "algorithm.",
                  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"));
    /* Every key length 0..200 (100 included) against RFC 2104 built from SHA-256. */
    size_t agree = 0;
    for (size_t n = 0; n <= 200; n++) {
        uint8_t a[32], b[32];
        for (size_t i = 0; i < n; i++) {
            key[i] = (uint8_t)(i * 7 + 1);
        }
        noise_hmac_sha256(a, key, n, (const uint8_t *)"data", 4);
        ref_hmac(b, key, n, (const uint8_t *)"data", 4);
        agree += memcmp(a, b, 32) == 0;
    }
    CHECK(agree == 201);
}

/* RFC 5869 test case 3 (empty salt = 32 zero bytes, empty info): OKM = T(1) || T(2). */
static void test_hkdf(void)
{
    uint8_t ck[32] = {0}, ikm[22], o1[32], o2[32], o3[32], okm[42], prk[32], t3[32];
    memset(ikm, 0x0b, sizeof ikm);
    hex(okm,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    hex(prk, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
    noise_hkdf(ck, ikm, sizeof ikm, o1, o2, o3);
    CHECK(memcmp(o1, okm, 32) == 0 && memcmp(o2, okm + 32, 10) == 0);
    uint8_t in[33];
    memcpy(in, o2, 32);
    in[32] = 3;
    noise_hmac_sha256(t3, prk, 32, in, 33);
    CHECK(memcmp(o3, t3, 32) == 0);
    uint8_t p1[32], p2[32];
    noise_hkdf(ck, ikm, sizeof ikm, p1, p2, NULL);
    CHECK(memcmp(p1, o1, 32) == 0 && memcmp(p2, o2, 32) == 0);
}

/* RFC 7748 section 6.1. */
static void test_dh_public(void)
{
    uint8_t priv[32], pub[32], want[32];
    hex(priv, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    hex(want, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    CHECK(noise_dh_public(pub, priv) == 0 && memcmp(pub, want, 32) == 0);
}

int main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    randombytes_buf(g_init_priv, 32);
    randombytes_buf(g_resp_priv, 32);
    randombytes_buf(g_psk, 32);
    noise_dh_public(g_init_pub, g_init_priv);
    noise_dh_public(g_resp_pub, g_resp_priv);
    test_full(NOISE_XX);
    test_full(NOISE_XXPSK3);
    test_patterns_differ();
    test_wrong_psk();
    test_prologue_mismatch();
    test_bit_flips_xx_msg1();
    test_bit_flips(NOISE_XX, 1);
    test_bit_flips(NOISE_XX, 2);
    for (int idx = 0; idx < 3; idx++) {
        test_bit_flips(NOISE_XXPSK3, idx);
    }
    test_transport_flips();
    test_nonce_and_rekey();
    test_clone();
    test_low_order(NOISE_XX);
    test_low_order(NOISE_XXPSK3);
    test_sizes();
    test_misuse();
    test_hmac();
    test_hkdf();
    test_dh_public();
    test_read_checked(NOISE_XX);
    test_read_checked(NOISE_XXPSK3);
    return check_summary();
}
