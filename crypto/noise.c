/* noise: Noise Protocol Framework rev. 34, Noise_XX and Noise_XXpsk3 with 25519, ChaChaPoly and
 * SHA256 on libsodium. CipherState, SymmetricState and HandshakeState follow the spec's sections
 * 5.1, 5.2 and 5.3; see noise.h for the promises. */
#include "crypto/noise.h"
#include "crypto/secmem.h"

#include <sodium.h>
#include <string.h>

/* ---- Structures. All of them live inside sodium_malloc'ed memory (crypto/secmem.h). ---- */

struct noise_cipher {
    uint8_t k[NOISE_KEY_LEN];
    uint64_t n;
    bool has_key;
    uint8_t tmp[NOISE_KEY_LEN + NOISE_TAG_LEN]; /* Rekey() output */
};

struct symmetric {
    struct noise_cipher cs;
    uint8_t ck[NOISE_HASH_LEN];
    uint8_t h[NOISE_HASH_LEN];
};

/* Scratch space for HMAC/HKDF intermediates and DH outputs. */
struct workspace {
    crypto_auth_hmacsha256_state hmac;
    uint8_t temp_key[NOISE_HASH_LEN];
    uint8_t temp_h[NOISE_HASH_LEN];
    uint8_t temp_k[NOISE_HASH_LEN];
    uint8_t dh[NOISE_DH_LEN];
};

struct hs_state {
    struct symmetric ss;
    uint8_t s_priv[32], s_pub[32];
    uint8_t e_priv[32], e_pub[32];
    uint8_t rs[32], re[32];
    uint8_t psk[32];
    bool initiator, has_psk, has_e, fixed_e, has_rs, has_re;
    int step;
};

/* cur is the live state; each write/read works on work and copies it back on success only. */
struct noise_handshake {
    struct hs_state cur;
    struct hs_state work;
    struct workspace ws;
};

enum token { T_END = 0, T_E, T_S, T_EE, T_ES, T_SE, T_PSK };

static const enum token xx_msgs[3][6] = {
    {T_E, T_END},
    {T_E, T_EE, T_S, T_ES, T_END},
    {T_S, T_SE, T_END},
};
static const enum token xxpsk3_msgs[3][6] = {
    {T_E, T_END},
    {T_E, T_EE, T_S, T_ES, T_END},
    {T_S, T_SE, T_PSK, T_END},
};

/* ---- Names ---- */

const char *noise_protocol_name(noise_pattern p)
{
    switch (p) {
    case NOISE_XX:
        return "Noise_XX_25519_ChaChaPoly_SHA256";
    case NOISE_XXPSK3:
        return "Noise_XXpsk3_25519_ChaChaPoly_SHA256";
    }
    return NULL;
}

const char *noise_strerror(int err)
{
    switch (err) {
    case NOISE_OK:
        return "success";
    case NOISE_ERR_ARG:
        return "bad argument, wrong turn or buffer too small";
    case NOISE_ERR_DECRYPT:
        return "authentication failed";
    case NOISE_ERR_DH:
        return "low-order or invalid public key";
    case NOISE_ERR_SIZE:
        return "message too long or too short";
    case NOISE_ERR_NONCE:
        return "nonce exhausted";
    case NOISE_ERR_STATE:
        return "handshake not finished or already finished";
    case NOISE_ERR_NOMEM:
        return "out of memory";
    case NOISE_ERR_REFUSED:
        return "peer's static key refused";
    }
    return "unknown noise error";
}

/* ---- Primitives ---- */

int noise_dh_public(uint8_t pub[32], const uint8_t priv[32])
{
    if (crypto_scalarmult_base(pub, priv) != 0 || sodium_is_zero(pub, 32)) {
        return -1;
    }
    return 0;
}

/* DH(priv, pub) into out; refuses low-order points (all-zero result). */
static int dh(uint8_t out[NOISE_DH_LEN], const uint8_t priv[32], const uint8_t pub[32])
{
    if (crypto_scalarmult(out, priv, pub) != 0 || sodium_is_zero(out, NOISE_DH_LEN)) {
        sodium_memzero(out, NOISE_DH_LEN);
        return NOISE_ERR_DH;
    }
    return NOISE_OK;
}

/* HMAC-SHA256(key, d1 || d2). libsodium hashes keys longer than the 64-byte block first. */
static void hmac2(crypto_auth_hmacsha256_state *st, uint8_t out[32], const uint8_t *key,
                  size_t keylen, const uint8_t *d1, size_t l1, const uint8_t *d2, size_t l2)
{
    static const uint8_t empty[1] = {0};
    crypto_auth_hmacsha256_init(st, keylen ? key : empty, keylen);
    if (l1) {
        crypto_auth_hmacsha256_update(st, d1, l1);
    }
    if (l2) {
        crypto_auth_hmacsha256_update(st, d2, l2);
    }
    crypto_auth_hmacsha256_final(st, out);
    sodium_memzero(st, sizeof *st);
}

void noise_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *data,
                       size_t datalen)
{
    crypto_auth_hmacsha256_state st;
    hmac2(&st, out, key, keylen, data, datalen, NULL, 0);
}

/* HKDF of the spec (section 4.3) with the caller's scratch space. out1 may alias ck. */
static void hkdf_ws(struct workspace *ws, const uint8_t ck[32], const uint8_t *ikm, size_t ikm_len,
                    uint8_t out1[32], uint8_t out2[32], uint8_t *out3)
{
    const uint8_t one = 1, two = 2, three = 3;
    hmac2(&ws->hmac, ws->temp_key, ck, NOISE_HASH_LEN, ikm, ikm_len, NULL, 0);
    hmac2(&ws->hmac, out1, ws->temp_key, NOISE_HASH_LEN, &one, 1, NULL, 0);
    hmac2(&ws->hmac, out2, ws->temp_key, NOISE_HASH_LEN, out1, NOISE_HASH_LEN, &two, 1);
    if (out3) {
        hmac2(&ws->hmac, out3, ws->temp_key, NOISE_HASH_LEN, out2, NOISE_HASH_LEN, &three, 1);
    }
    sodium_memzero(ws->temp_key, sizeof ws->temp_key);
}

void noise_hkdf(const uint8_t ck[32], const uint8_t *ikm, size_t ikm_len, uint8_t out1[32],
                uint8_t out2[32], uint8_t *out3)
{
    struct workspace ws;
    hkdf_ws(&ws, ck, ikm, ikm_len, out1, out2, out3);
    sodium_memzero(&ws, sizeof ws);
}

/* ---- CipherState ---- */

static void nonce_bytes(uint8_t nonce[12], uint64_t n)
{
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++) {
        nonce[4 + i] = (uint8_t)(n >> (8 * i));
    }
}

static void aead_encrypt(const uint8_t k[32], uint64_t n, const uint8_t *ad, size_t adlen,
                         const uint8_t *pt, size_t ptlen, uint8_t *out)
{
    uint8_t nonce[12];
    nonce_bytes(nonce, n);
    crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, ptlen, ad, adlen, NULL, nonce, k);
}

static int aead_decrypt(const uint8_t k[32], uint64_t n, const uint8_t *ad, size_t adlen,
                        const uint8_t *ct, size_t ctlen, uint8_t *out)
{
    uint8_t nonce[12];
    nonce_bytes(nonce, n);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, ctlen, ad, adlen, nonce,
                                                  k) != 0) {
        return NOISE_ERR_DECRYPT;
    }
    return NOISE_OK;
}

static void cipher_init_key(struct noise_cipher *c, const uint8_t k[32])
{
    memcpy(c->k, k, NOISE_KEY_LEN);
    c->n = 0;
    c->has_key = true;
}

static noise_cipher *cipher_alloc(const uint8_t k[32])
{
    noise_cipher *c = secmem_alloc(sizeof *c);
    if (!c) {
        return NULL;
    }
    cipher_init_key(c, k);
    return c;
}

static int encrypt_max(const noise_cipher *c, uint64_t n, size_t max_ct, const uint8_t *ad,
                       size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *out)
{
    if (!c || !c->has_key || !out || (ptlen && !pt) || (adlen && !ad)) {
        return NOISE_ERR_ARG;
    }
    if (n == UINT64_MAX) {
        return NOISE_ERR_NONCE;
    }
    if (ptlen > max_ct - NOISE_TAG_LEN) {
        return NOISE_ERR_SIZE;
    }
    aead_encrypt(c->k, n, ad, adlen, pt, ptlen, out);
    return NOISE_OK;
}

static int decrypt_max(const noise_cipher *c, uint64_t n, size_t max_ct, const uint8_t *ad,
                       size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *out)
{
    if (!c || !c->has_key || !ct || (ctlen > NOISE_TAG_LEN && !out) || (adlen && !ad)) {
        return NOISE_ERR_ARG;
    }
    if (n == UINT64_MAX) {
        return NOISE_ERR_NONCE;
    }
    if (ctlen < NOISE_TAG_LEN || ctlen > max_ct) {
        return NOISE_ERR_SIZE;
    }
    return aead_decrypt(c->k, n, ad, adlen, ct, ctlen, out);
}

int noise_cipher_encrypt_n(const noise_cipher *c, uint64_t n, const uint8_t *ad, size_t adlen,
                           const uint8_t *pt, size_t ptlen, uint8_t *out)
{
    return encrypt_max(c, n, NOISE_MAX_MSG, ad, adlen, pt, ptlen, out);
}

int noise_cipher_decrypt_n(const noise_cipher *c, uint64_t n, const uint8_t *ad, size_t adlen,
                           const uint8_t *ct, size_t ctlen, uint8_t *out)
{
    return decrypt_max(c, n, NOISE_MAX_MSG, ad, adlen, ct, ctlen, out);
}

int noise_cipher_encrypt_long_n(const noise_cipher *c, uint64_t n, const uint8_t *ad, size_t adlen,
                                const uint8_t *pt, size_t ptlen, uint8_t *out)
{
    return encrypt_max(c, n, NOISE_MAX_LONG_MSG, ad, adlen, pt, ptlen, out);
}

int noise_cipher_decrypt_long_n(const noise_cipher *c, uint64_t n, const uint8_t *ad, size_t adlen,
                                const uint8_t *ct, size_t ctlen, uint8_t *out)
{
    return decrypt_max(c, n, NOISE_MAX_LONG_MSG, ad, adlen, ct, ctlen, out);
}

int noise_cipher_encrypt(noise_cipher *c, const uint8_t *ad, size_t adlen, const uint8_t *pt,
                         size_t ptlen, uint8_t *out)
{
    if (!c) {
        return NOISE_ERR_ARG;
    }
    int rc = noise_cipher_encrypt_n(c, c->n, ad, adlen, pt, ptlen, out);
    if (rc == NOISE_OK) {
        c->n++;
    }
    return rc;
}

int noise_cipher_decrypt(noise_cipher *c, const uint8_t *ad, size_t adlen, const uint8_t *ct,
                         size_t ctlen, uint8_t *out)
{
    if (!c) {
        return NOISE_ERR_ARG;
    }
    int rc = noise_cipher_decrypt_n(c, c->n, ad, adlen, ct, ctlen, out);
    if (rc == NOISE_OK) {
        c->n++;
    }
    return rc;
}

void noise_cipher_rekey(noise_cipher *c)
{
    static const uint8_t zeros[NOISE_KEY_LEN] = {0};
    if (!c || !c->has_key) {
        return;
    }
    aead_encrypt(c->k, UINT64_MAX, NULL, 0, zeros, sizeof zeros, c->tmp);
    memcpy(c->k, c->tmp, NOISE_KEY_LEN);
    sodium_memzero(c->tmp, sizeof c->tmp);
}

noise_cipher *noise_cipher_clone(const noise_cipher *c)
{
    if (!c || !c->has_key) {
        return NULL;
    }
    return cipher_alloc(c->k);
}

uint64_t noise_cipher_nonce(const noise_cipher *c)
{
    return c ? c->n : 0;
}

void noise_cipher_set_nonce(noise_cipher *c, uint64_t n)
{
    if (c) {
        c->n = n;
    }
}

void noise_cipher_free(noise_cipher *c)
{
    if (!c) {
        return;
    }
    secmem_free(c, sizeof *c);
}

/* ---- SymmetricState ---- */

static void mix_hash(struct symmetric *ss, const uint8_t *data, size_t len)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, ss->h, NOISE_HASH_LEN);
    if (len) {
        crypto_hash_sha256_update(&st, data, len);
    }
    crypto_hash_sha256_final(&st, ss->h);
    sodium_memzero(&st, sizeof st);
}

static void mix_key(struct symmetric *ss, struct workspace *ws, const uint8_t *ikm, size_t len)
{
    hkdf_ws(ws, ss->ck, ikm, len, ss->ck, ws->temp_k, NULL);
    cipher_init_key(&ss->cs, ws->temp_k);
    sodium_memzero(ws->temp_k, sizeof ws->temp_k);
}

static void mix_key_and_hash(struct symmetric *ss, struct workspace *ws, const uint8_t *ikm,
                             size_t len)
{
    hkdf_ws(ws, ss->ck, ikm, len, ss->ck, ws->temp_h, ws->temp_k);
    mix_hash(ss, ws->temp_h, NOISE_HASH_LEN);
    cipher_init_key(&ss->cs, ws->temp_k);
    sodium_memzero(ws->temp_h, sizeof ws->temp_h);
    sodium_memzero(ws->temp_k, sizeof ws->temp_k);
}

static size_t overhead(const struct symmetric *ss)
{
    return ss->cs.has_key ? NOISE_TAG_LEN : 0;
}

/* EncryptAndHash: out gets len (+16 with a key) bytes. The nonce cannot reach 2^64-1 during a
 * handshake (at most a few messages per key). */
static void encrypt_and_hash(struct symmetric *ss, const uint8_t *pt, size_t len, uint8_t *out)
{
    if (ss->cs.has_key) {
        aead_encrypt(ss->cs.k, ss->cs.n, ss->h, NOISE_HASH_LEN, pt, len, out);
        ss->cs.n++;
    } else if (len) {
        memmove(out, pt, len);
    }
    mix_hash(ss, out, len + overhead(ss));
}

/* DecryptAndHash of ct (ctlen includes the tag if keyed) into out. */
static int decrypt_and_hash(struct symmetric *ss, const uint8_t *ct, size_t ctlen, uint8_t *out)
{
    uint8_t old_h[NOISE_HASH_LEN];
    memcpy(old_h, ss->h, NOISE_HASH_LEN);
    mix_hash(ss, ct, ctlen); /* before decrypting: out may alias ct */
    if (!ss->cs.has_key) {
        if (ctlen) {
            memmove(out, ct, ctlen);
        }
        return NOISE_OK;
    }
    int rc = aead_decrypt(ss->cs.k, ss->cs.n, old_h, NOISE_HASH_LEN, ct, ctlen, out);
    if (rc == NOISE_OK) {
        ss->cs.n++;
    }
    return rc;
}

static void symmetric_init(struct symmetric *ss, noise_pattern p)
{
    const char *name = noise_protocol_name(p);
    size_t len = strlen(name);
    memset(ss, 0, sizeof *ss);
    if (len <= NOISE_HASH_LEN) {
        memcpy(ss->h, name, len);
    } else {
        crypto_hash_sha256(ss->h, (const uint8_t *)name, len);
    }
    memcpy(ss->ck, ss->h, NOISE_HASH_LEN);
}

/* ---- HandshakeState ---- */

static const enum token *message_tokens(const struct hs_state *st)
{
    return st->has_psk ? xxpsk3_msgs[st->step] : xx_msgs[st->step];
}

/* The length of the next message with a payload of payload_len bytes. */
static size_t message_size(const struct hs_state *st, size_t payload_len)
{
    bool keyed = st->ss.cs.has_key;
    size_t len = 0;
    for (const enum token *t = message_tokens(st); *t != T_END; t++) {
        if (*t == T_E) {
            len += NOISE_DH_LEN;
            keyed = keyed || st->has_psk;
        } else if (*t == T_S) {
            len += NOISE_DH_LEN + (keyed ? NOISE_TAG_LEN : 0);
        } else {
            keyed = true;
        }
    }
    return len + payload_len + (keyed ? NOISE_TAG_LEN : 0);
}

static bool is_done(const struct hs_state *st)
{
    return st->step >= 3;
}

static bool my_turn(const struct hs_state *st)
{
    return !is_done(st) && ((st->step % 2 == 0) == st->initiator);
}

/* The DH of a token from our side: ee, es or se. */
static int mix_dh(struct hs_state *st, struct workspace *ws, enum token t)
{
    const uint8_t *priv, *pub;
    bool ours_e = (t == T_EE) || (t == T_ES && st->initiator) || (t == T_SE && !st->initiator);
    bool theirs_e = (t == T_EE) || (t == T_ES && !st->initiator) || (t == T_SE && st->initiator);
    priv = ours_e ? st->e_priv : st->s_priv;
    pub = theirs_e ? st->re : st->rs;
    if ((ours_e && !st->has_e) || (theirs_e && !st->has_re) || (!theirs_e && !st->has_rs)) {
        return NOISE_ERR_STATE;
    }
    int rc = dh(ws->dh, priv, pub);
    if (rc == NOISE_OK) {
        mix_key(&st->ss, ws, ws->dh, NOISE_DH_LEN);
    }
    sodium_memzero(ws->dh, sizeof ws->dh);
    return rc;
}

/* Tokens other than e and s: the same for writer and reader. */
static int mix_token(struct hs_state *st, struct workspace *ws, enum token t)
{
    if (t == T_PSK) {
        mix_key_and_hash(&st->ss, ws, st->psk, sizeof st->psk);
        return NOISE_OK;
    }
    return mix_dh(st, ws, t);
}

static int write_e(struct hs_state *st, struct workspace *ws, uint8_t *out)
{
    if (!st->fixed_e) {
        randombytes_buf(st->e_priv, sizeof st->e_priv);
    }
    if (noise_dh_public(st->e_pub, st->e_priv) != 0) {
        return NOISE_ERR_DH;
    }
    st->has_e = true;
    memcpy(out, st->e_pub, NOISE_DH_LEN);
    mix_hash(&st->ss, st->e_pub, NOISE_DH_LEN);
    if (st->has_psk) {
        mix_key(&st->ss, ws, st->e_pub, NOISE_DH_LEN);
    }
    return NOISE_OK;
}

static int write_tokens(struct hs_state *st, struct workspace *ws, uint8_t *out, size_t *pos)
{
    for (const enum token *t = message_tokens(st); *t != T_END; t++) {
        int rc = NOISE_OK;
        if (*t == T_E) {
            rc = write_e(st, ws, out + *pos);
            *pos += NOISE_DH_LEN;
        } else if (*t == T_S) {
            size_t n = NOISE_DH_LEN + overhead(&st->ss);
            encrypt_and_hash(&st->ss, st->s_pub, NOISE_DH_LEN, out + *pos);
            *pos += n;
        } else {
            rc = mix_token(st, ws, *t);
        }
        if (rc != NOISE_OK) {
            return rc;
        }
    }
    return NOISE_OK;
}

/* A received ephemeral must not be a low-order point: check it with our static key now so that
 * the message carrying it is refused, not the next one. */
static int read_e(struct hs_state *st, struct workspace *ws, const uint8_t *in)
{
    memcpy(st->re, in, NOISE_DH_LEN);
    int rc = dh(ws->dh, st->s_priv, st->re);
    sodium_memzero(ws->dh, sizeof ws->dh);
    if (rc != NOISE_OK) {
        return rc;
    }
    st->has_re = true;
    mix_hash(&st->ss, st->re, NOISE_DH_LEN);
    if (st->has_psk) {
        mix_key(&st->ss, ws, st->re, NOISE_DH_LEN);
    }
    return NOISE_OK;
}

static int read_tokens(struct hs_state *st, struct workspace *ws, const uint8_t *msg, size_t *pos)
{
    for (const enum token *t = message_tokens(st); *t != T_END; t++) {
        int rc = NOISE_OK;
        if (*t == T_E) {
            rc = read_e(st, ws, msg + *pos);
            *pos += NOISE_DH_LEN;
        } else if (*t == T_S) {
            size_t n = NOISE_DH_LEN + overhead(&st->ss);
            rc = decrypt_and_hash(&st->ss, msg + *pos, n, st->rs);
            st->has_rs = (rc == NOISE_OK);
            *pos += n;
        } else {
            rc = mix_token(st, ws, *t);
        }
        if (rc != NOISE_OK) {
            return rc;
        }
    }
    return NOISE_OK;
}

static int check_turn(const struct hs_state *st, bool writing)
{
    if (is_done(st)) {
        return NOISE_ERR_STATE;
    }
    return my_turn(st) == writing ? NOISE_OK : NOISE_ERR_ARG;
}

static int write_message(struct hs_state *st, struct workspace *ws, const uint8_t *payload,
                         size_t payload_len, uint8_t *out, size_t out_cap, size_t *outlen)
{
    size_t need = message_size(st, payload_len);
    if (payload_len > NOISE_MAX_MSG || need > NOISE_MAX_MSG) {
        return NOISE_ERR_SIZE;
    }
    if (need > out_cap) {
        return NOISE_ERR_ARG;
    }
    size_t pos = 0;
    int rc = write_tokens(st, ws, out, &pos);
    if (rc != NOISE_OK) {
        return rc;
    }
    encrypt_and_hash(&st->ss, payload, payload_len, out + pos);
    *outlen = need;
    st->step++;
    return NOISE_OK;
}

static int read_message(struct hs_state *st, struct workspace *ws, const uint8_t *msg,
                        size_t msg_len, uint8_t *payload, size_t payload_cap, size_t *payload_len)
{
    size_t min = message_size(st, 0);
    if (msg_len > NOISE_MAX_MSG || msg_len < min) {
        return NOISE_ERR_SIZE;
    }
    size_t plen = msg_len - min;
    if (plen > payload_cap || (plen && !payload)) {
        return NOISE_ERR_ARG;
    }
    size_t pos = 0;
    int rc = read_tokens(st, ws, msg, &pos);
    if (rc != NOISE_OK) {
        return rc;
    }
    rc = decrypt_and_hash(&st->ss, msg + pos, msg_len - pos, payload);
    if (rc != NOISE_OK) {
        return rc;
    }
    if (payload_len) {
        *payload_len = plen;
    }
    st->step++;
    return NOISE_OK;
}

int noise_handshake_new(noise_handshake **out, noise_pattern p, bool initiator,
                        const uint8_t *prologue, size_t prologue_len, const uint8_t s_priv[32],
                        const uint8_t *psk)
{
    if (!out) {
        return NOISE_ERR_ARG;
    }
    *out = NULL;
    if ((p != NOISE_XX && p != NOISE_XXPSK3) || !s_priv || (prologue_len && !prologue) ||
        ((p == NOISE_XXPSK3) != (psk != NULL))) {
        return NOISE_ERR_ARG;
    }
    noise_handshake *hs = secmem_alloc(sizeof *hs);
    if (!hs) {
        return NOISE_ERR_NOMEM;
    }
    struct hs_state *st = &hs->cur;
    symmetric_init(&st->ss, p);
    mix_hash(&st->ss, prologue, prologue_len);
    st->initiator = initiator;
    st->has_psk = (p == NOISE_XXPSK3);
    if (psk) {
        memcpy(st->psk, psk, sizeof st->psk);
    }
    memcpy(st->s_priv, s_priv, sizeof st->s_priv);
    if (noise_dh_public(st->s_pub, st->s_priv) != 0) {
        noise_handshake_free(hs);
        return NOISE_ERR_DH;
    }
    *out = hs;
    return NOISE_OK;
}

int noise_handshake_set_ephemeral(noise_handshake *hs, const uint8_t e_priv[32])
{
    if (!hs || !e_priv) {
        return NOISE_ERR_ARG;
    }
    if (hs->cur.has_e || is_done(&hs->cur)) {
        return NOISE_ERR_STATE;
    }
    memcpy(hs->cur.e_priv, e_priv, sizeof hs->cur.e_priv);
    hs->cur.fixed_e = true;
    return NOISE_OK;
}

/* Commits the work copy on success; wipes it either way. */
static int finish(noise_handshake *hs, int rc)
{
    if (rc == NOISE_OK) {
        hs->cur = hs->work;
    }
    sodium_memzero(&hs->work, sizeof hs->work);
    sodium_memzero(&hs->ws, sizeof hs->ws);
    return rc;
}

int noise_handshake_write(noise_handshake *hs, const uint8_t *payload, size_t payload_len,
                          uint8_t *out, size_t out_cap, size_t *outlen)
{
    if (!hs || !out || !outlen || (payload_len && !payload)) {
        return NOISE_ERR_ARG;
    }
    int rc = check_turn(&hs->cur, true);
    if (rc != NOISE_OK) {
        return rc;
    }
    hs->work = hs->cur;
    rc = write_message(&hs->work, &hs->ws, payload, payload_len, out, out_cap, outlen);
    return finish(hs, rc);
}

/* The work copy learnt the peer's static key in this message and accept refuses it. */
static bool refused(const noise_handshake *hs, noise_accept_fn accept, void *ctx)
{
    return accept && hs->work.has_rs && !hs->cur.has_rs && !accept(hs->work.rs, ctx);
}

int noise_handshake_read_checked(noise_handshake *hs, const uint8_t *msg, size_t msg_len,
                                 uint8_t *payload, size_t payload_cap, size_t *payload_len,
                                 noise_accept_fn accept, void *ctx)
{
    if (!hs || (msg_len && !msg)) {
        return NOISE_ERR_ARG;
    }
    int rc = check_turn(&hs->cur, false);
    if (rc != NOISE_OK) {
        return rc;
    }
    hs->work = hs->cur;
    size_t plen = 0;
    rc = read_message(&hs->work, &hs->ws, msg, msg_len, payload, payload_cap, &plen);
    if (rc == NOISE_OK && refused(hs, accept, ctx)) {
        if (plen) {
            sodium_memzero(payload, plen);
        }
        rc = NOISE_ERR_REFUSED;
    }
    if (rc == NOISE_OK && payload_len) {
        *payload_len = plen;
    }
    return finish(hs, rc);
}

int noise_handshake_read(noise_handshake *hs, const uint8_t *msg, size_t msg_len, uint8_t *payload,
                         size_t payload_cap, size_t *payload_len)
{
    return noise_handshake_read_checked(hs, msg, msg_len, payload, payload_cap, payload_len, NULL,
                                        NULL);
}

bool noise_handshake_my_turn(const noise_handshake *hs)
{
    return hs && my_turn(&hs->cur);
}

int noise_handshake_step(const noise_handshake *hs)
{
    return hs ? hs->cur.step : 0;
}

bool noise_handshake_done(const noise_handshake *hs)
{
    return hs && is_done(&hs->cur);
}

const uint8_t *noise_handshake_remote_static(const noise_handshake *hs)
{
    return (hs && hs->cur.has_rs) ? hs->cur.rs : NULL;
}

void noise_handshake_hash(const noise_handshake *hs, uint8_t out[NOISE_HASH_LEN])
{
    if (hs && out) {
        memcpy(out, hs->cur.ss.h, NOISE_HASH_LEN);
    }
}

int noise_handshake_split(noise_handshake *hs, noise_cipher **send, noise_cipher **recv)
{
    if (!hs || !send || !recv) {
        return NOISE_ERR_ARG;
    }
    *send = *recv = NULL;
    if (!is_done(&hs->cur)) {
        return NOISE_ERR_STATE;
    }
    struct workspace *ws = &hs->ws;
    hkdf_ws(ws, hs->cur.ss.ck, NULL, 0, ws->temp_h, ws->temp_k, NULL);
    noise_cipher *c1 = cipher_alloc(ws->temp_h);
    noise_cipher *c2 = cipher_alloc(ws->temp_k);
    sodium_memzero(ws, sizeof *ws);
    if (!c1 || !c2) {
        noise_cipher_free(c1);
        noise_cipher_free(c2);
        return NOISE_ERR_NOMEM;
    }
    *send = hs->cur.initiator ? c1 : c2;
    *recv = hs->cur.initiator ? c2 : c1;
    return NOISE_OK;
}

void noise_handshake_free(noise_handshake *hs)
{
    if (!hs) {
        return;
    }
    secmem_free(hs, sizeof *hs);
}
