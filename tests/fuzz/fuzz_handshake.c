/* fuzz_handshake: libFuzzer target for the Noise handshake reader (crypto/noise).
 * Input: byte 0 selects the pattern (bit 0: XXpsk3), bytes 1-2 (little endian) the split point;
 * the rest is cut there into A and B. A is read as message 1 by a fresh responder; B as message 2
 * by an initiator that has written message 1, first with a check that refuses every static key
 * (the state must stay unchanged), then normally. Accepted messages continue the handshake. Keys
 * and ephemerals are fixed so that inputs reproduce. */
#include "crypto/noise.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t g_out[NOISE_MAX_MSG], g_pay[NOISE_MAX_MSG];

static void fill(uint8_t k[32], uint8_t v)
{
    memset(k, v, 32);
}

static noise_handshake *side(noise_pattern pat, bool initiator)
{
    uint8_t s[32], e[32], psk[32];
    fill(s, initiator ? 0x11 : 0x22);
    fill(e, initiator ? 0x33 : 0x44);
    fill(psk, 0x55);
    noise_handshake *hs = NULL;
    if (noise_handshake_new(&hs, pat, initiator, (const uint8_t *)"fuzz", 4, s,
                            pat == NOISE_XXPSK3 ? psk : NULL) != NOISE_OK) {
        abort();
    }
    if (noise_handshake_set_ephemeral(hs, e) != NOISE_OK) {
        abort();
    }
    return hs;
}

/* After an accepted read the reader's own write must work. */
static void must_write(noise_handshake *hs)
{
    size_t len;
    if (noise_handshake_write(hs, (const uint8_t *)"ok", 2, g_out, sizeof g_out, &len) != 0) {
        abort();
    }
}

static void fuzz_msg1(noise_pattern pat, const uint8_t *msg, size_t len)
{
    noise_handshake *r = side(pat, false);
    size_t plen;
    uint8_t h[NOISE_HASH_LEN], h2[NOISE_HASH_LEN];
    noise_handshake_hash(r, h);
    if (noise_handshake_read(r, msg, len, g_pay, sizeof g_pay, &plen) == NOISE_OK) {
        if (plen > len || noise_handshake_step(r) != 1) {
            abort();
        }
        must_write(r);
    } else {
        noise_handshake_hash(r, h2);
        if (noise_handshake_step(r) != 0 || memcmp(h, h2, sizeof h) != 0) {
            abort(); /* a failed read must leave the state unchanged */
        }
    }
    noise_handshake_free(r);
}

static bool refuse(const uint8_t rs[32], void *ctx)
{
    (void)rs;
    (void)ctx;
    return false;
}

static void fuzz_msg2(noise_pattern pat, const uint8_t *msg, size_t len)
{
    noise_handshake *i = side(pat, true);
    size_t plen;
    if (noise_handshake_write(i, NULL, 0, g_out, sizeof g_out, &plen) != NOISE_OK) {
        abort();
    }
    /* A refused static key must leave the state unchanged; then the message reads as usual. */
    uint8_t h[NOISE_HASH_LEN], h2[NOISE_HASH_LEN];
    noise_handshake_hash(i, h);
    int rc = noise_handshake_read_checked(i, msg, len, g_pay, sizeof g_pay, &plen, refuse, NULL);
    noise_handshake_hash(i, h2);
    if (rc == NOISE_OK || noise_handshake_step(i) != 1 || memcmp(h, h2, sizeof h) != 0) {
        abort();
    }
    if (noise_handshake_read(i, msg, len, g_pay, sizeof g_pay, &plen) == NOISE_OK) {
        if (rc != NOISE_ERR_REFUSED || noise_handshake_remote_static(i) == NULL) {
            abort();
        }
        must_write(i);
        noise_cipher *s, *r;
        if (noise_handshake_split(i, &s, &r) != NOISE_OK) {
            abort();
        }
        noise_cipher_free(s);
        noise_cipher_free(r);
    } else if (noise_handshake_step(i) != 1) {
        abort();
    }
    noise_handshake_free(i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    noise_pattern pat = (data[0] & 1) ? NOISE_XXPSK3 : NOISE_XX;
    size_t cut = (size_t)data[1] | (size_t)data[2] << 8;
    const uint8_t *in = data + 3;
    size_t rest = size - 3;
    if (cut > rest) {
        cut = rest;
    }
    fuzz_msg1(pat, in, cut);
    fuzz_msg2(pat, in + cut, rest - cut);
    return 0;
}
