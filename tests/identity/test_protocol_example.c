/* The worked example of docs/PROTOCOL.md ("Worked example"), recomputed: a private key -> its
 * public key -> its identifier; a secret, topics and that identifier -> the invitation line; the
 * three handshake frames of XXpsk3 (message 1 with its mac1), Alice's first data frame and her
 * second, a batch record of two messages. The
 * inputs and the expected outputs are read from the document itself (lines "example <name>:
 * <value>"), so it cannot drift from the code; the identifier is also fixed here, so that code and
 * document cannot drift together. With --print, prints the lines the document should hold. */
#include "crypto/channel.h"
#include "crypto/encoding.h"
#include "crypto/identity.h"
#include "crypto/invitation.h"
#include "crypto/noise.h"
#include "crypto/record.h"
#include "support/check.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXED_ID "ehbst6ifv64a7ponva3bj73754si6yvpk3s4j5777kravyhu"

static char *doc;
static bool print_mode;

/* The value of the line "example <name>: <value>" of the document; NULL if missing. */
static const char *value_of(const char *name, char *out, size_t cap)
{
    char label[96];
    snprintf(label, sizeof(label), "example %s:", name);
    for (const char *p = doc; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *line = p + strspn(p, " ");
        if (strncmp(line, label, strlen(label)) != 0)
            continue;
        line += strlen(label);
        line += strspn(line, " ");
        size_t n = strcspn(line, "\n");
        while (n > 0 && line[n - 1] == ' ')
            n--;
        if (n >= cap)
            return NULL;
        memcpy(out, line, n);
        out[n] = '\0';
        return out;
    }
    fprintf(stderr, "docs/PROTOCOL.md has no line \"%s\"\n", label);
    return NULL;
}

/* Decodes the hex value of name into out (exactly n bytes). */
static bool hex_of(const char *name, uint8_t *out, size_t n)
{
    char text[1024];
    size_t got = 0;
    if (value_of(name, text, sizeof(text)) == NULL)
        return false;
    return hex_decode(out, n, &got, text, strlen(text)) == 0 && got == n;
}

/* Compares a computed text with the document's (or prints it with --print). */
static void expect_text(const char *name, const char *computed)
{
    char text[1024];
    if (print_mode) {
        printf("example %s: %s\n", name, computed);
        return;
    }
    const char *want = value_of(name, text, sizeof(text));
    CHECK(want != NULL && strcmp(want, computed) == 0);
    if (want != NULL && strcmp(want, computed) != 0)
        fprintf(stderr, "example %s: document %s, computed %s\n", name, want, computed);
}

static void expect_hex(const char *name, const uint8_t *bytes, size_t n)
{
    char text[1024];
    CHECK(hex_encode(text, sizeof(text), bytes, n) == 0);
    expect_text(name, text);
}

static void test_identifier(char id_out[IDENTITY_ID_LEN + 1])
{
    uint8_t priv[32], pub[32];
    CHECK(hex_of("private key", priv, 32));
    identity *id = identity_from_secret(priv);
    CHECK(id != NULL);
    CHECK(noise_dh_public(pub, priv) == 0 && memcmp(pub, identity_public(id), 32) == 0);
    expect_hex("public key", pub, 32);
    /* SHA-256("kchat identity v1" || public key), first 30 bytes, base32 (a-z2-7). */
    uint8_t digest[32];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)"kchat identity v1", 17);
    crypto_hash_sha256_update(&st, pub, 32);
    crypto_hash_sha256_final(&st, digest);
    char by_hand[IDENTITY_ID_LEN + 1];
    CHECK(base32_encode(by_hand, sizeof(by_hand), digest, 30) == 0);
    CHECK(strcmp(by_hand, identity_id(id)) == 0);
    expect_text("identifier", identity_id(id));
    CHECK(strcmp(identity_id(id), FIXED_ID) == 0);
    char short_form[IDENTITY_SHORT_LEN + 1];
    identity_id_short(identity_id(id), short_form);
    expect_text("short form", short_form);
    strcpy(id_out, identity_id(id));
    identity_free(id);
}

static void test_invitation(const char *bob_id, uint8_t secret[32])
{
    char a2b[64], b2a[64], err[256], line[INVITATION_MAX_LEN + 1];
    CHECK(hex_of("secret", secret, 32));
    CHECK(value_of("a2b", a2b, sizeof(a2b)) != NULL && value_of("b2a", b2a, sizeof(b2a)) != NULL);
    invitation *inv = invitation_new(a2b, b2a, bob_id, err, sizeof(err));
    CHECK(inv != NULL);
    if (inv == NULL)
        return;
    memcpy(inv->secret, secret, 32);
    CHECK(invitation_format(inv, line, sizeof(line)) > 0);
    expect_text("invitation", line);
    /* The checksum by hand: the first 4 bytes of SHA-256 over everything before it, in hex. */
    char *last = strrchr(line, ':');
    uint8_t digest[32];
    char check[9];
    crypto_hash_sha256(digest, (const uint8_t *)line, (size_t)(last + 1 - line));
    hex_encode(check, sizeof(check), digest, 4);
    CHECK(strcmp(last + 1, check) == 0);
    invitation *back = invitation_parse(line, err, sizeof(err));
    CHECK(back != NULL && memcmp(back->secret, secret, 32) == 0 && strcmp(back->a2b, a2b) == 0);
    invitation_free(back);
    invitation_free(inv);
}

/* The prologue of the document: "kchat/3" 0x00 | session | u8 len | a2b | u8 len | b2a. */
static size_t prologue(uint8_t *out, const uint8_t *session, const char *a2b, const char *b2a)
{
    size_t n = 0;
    memcpy(out, "kchat/3", 8);
    n = 8;
    memcpy(out + n, session, 16);
    n += 16;
    out[n++] = (uint8_t)strlen(a2b);
    memcpy(out + n, a2b, strlen(a2b));
    n += strlen(a2b);
    out[n++] = (uint8_t)strlen(b2a);
    memcpy(out + n, b2a, strlen(b2a));
    return n + strlen(b2a);
}

typedef struct example_hs {
    uint8_t session[16], secret[32];
    char a2b[64], b2a[64];
    noise_handshake *alice, *bob;
    uint8_t frame[512];
    size_t len;
} example_hs;

/* One side of the example handshake from the document's keys. */
static noise_handshake *side(const example_hs *x, bool initiator)
{
    uint8_t priv[32], eph[32], pro[600];
    CHECK(hex_of(initiator ? "alice private key" : "private key", priv, 32));
    CHECK(hex_of(initiator ? "ephemeral private key" : "bob ephemeral private key", eph, 32));
    noise_handshake *hs = NULL;
    CHECK(noise_handshake_new(&hs, NOISE_XXPSK3, initiator, pro,
                              prologue(pro, x->session, x->a2b, x->b2a), priv,
                              x->secret) == NOISE_OK);
    CHECK(noise_handshake_set_ephemeral(hs, eph) == NOISE_OK);
    return hs;
}

/* Writes handshake message `step` (1..3) with the document's payload into x->frame, has the
 * other side read it (message 1 without its mac1) and compares the frame with the document. */
static void hop(example_hs *x, int step, size_t payload_len, size_t mac)
{
    char name[64];
    uint8_t payload[64], back[64];
    noise_handshake *w = step == 2 ? x->bob : x->alice, *r = step == 2 ? x->alice : x->bob;
    snprintf(name, sizeof(name), "message %d payload", step);
    CHECK(hex_of(name, payload, payload_len));
    size_t h = frame_write_header(x->frame, (frame_type)step, x->session, 0), n = 0, got = 0;
    CHECK(noise_handshake_write(w, payload, payload_len, x->frame + h, sizeof(x->frame) - h - 16,
                                &n) == NOISE_OK);
    CHECK(noise_handshake_read(r, x->frame + h, n, back, sizeof(back), &got) == NOISE_OK);
    CHECK(got == payload_len && memcmp(back, payload, got) == 0);
    x->len = h + n;
    if (mac > 0) {
        /* sent_ms, u64 big-endian; mac1 key = BLAKE2b-256(key = secret, "kchat/3 mac1");
         * mac1 = BLAKE2b-128(key = mac1 key, frame header || Noise message 1 || sent_ms). */
        char text[32];
        CHECK(value_of("message 1 sent ms", text, sizeof(text)) != NULL);
        uint64_t sent = strtoull(text, NULL, 10), got_sent = 0;
        for (int i = 0; i < 8; i++)
            x->frame[x->len++] = (uint8_t)(sent >> (56 - 8 * i));
        uint8_t key[32];
        crypto_generichash(key, 32, (const uint8_t *)"kchat/3 mac1", 12, x->secret, 32);
        expect_hex("mac1 key", key, 32);
        crypto_generichash(x->frame + x->len, 16, x->frame, x->len, key, 32);
        expect_hex("mac1", x->frame + x->len, 16);
        x->len += 16;
        CHECK(channel_hs1_check_mac(x->secret, x->frame, x->len, &got_sent) == CHANNEL_OK);
        CHECK(got_sent == sent);
    }
    snprintf(name, sizeof(name), "message %d frame", step);
    expect_hex(name, x->frame, x->len);
}

/* Alice's second data frame: a batch record (ack 0) of two messages, seq 2 and 3, sealed with
 * nonce 1; Bob opens it and reads both back. */
static void batch_frame(example_hs *x, noise_cipher *send, noise_cipher *brecv)
{
    char t1[64], t2[64];
    CHECK(value_of("batch text 1", t1, sizeof(t1)) != NULL);
    CHECK(value_of("batch text 2", t2, sizeof(t2)) != NULL);
    channel_record m[2] = {
        {.kind = RECORD_MSG,
         .seq = 2,
         .frag_count = 1,
         .body = (const uint8_t *)t1,
         .body_len = strlen(t1)},
        {.kind = RECORD_MSG,
         .seq = 3,
         .frag_count = 1,
         .body = (const uint8_t *)t2,
         .body_len = strlen(t2)},
    };
    uint8_t pt[RECORD_MIN_PADDED];
    size_t used = RECORD_HEADER_LEN + record_batch_len(m, 2);
    CHECK(record_batch_msgs_valid(m, 2) == 0 && record_padded_len(used) == sizeof(pt));
    CHECK(record_encode_batch(pt, 0, m, 2) == sizeof(pt));
    expect_hex("batch record", pt, used);
    static uint8_t out[FRAME_DATA_HEADER_LEN + RECORD_MIN_PADDED + NOISE_TAG_LEN];
    size_t h = frame_write_header(out, FRAME_DATA, x->session, 1);
    CHECK(noise_cipher_encrypt_long_n(send, 1, out, h, pt, sizeof(pt), out + h) == NOISE_OK);
    expect_hex("batch frame", out, sizeof(out));
    uint8_t back[RECORD_MIN_PADDED];
    channel_record d, one;
    size_t pos = 0;
    CHECK(noise_cipher_decrypt_long_n(brecv, 1, out, h, out + h, sizeof(out) - h, back) ==
          NOISE_OK);
    CHECK(record_decode(back, sizeof(back), &d) == 0 && d.kind == RECORD_BATCH);
    CHECK(channel_batch_next(&d, &pos, &one) == 1 && one.seq == 2 && one.body_len == strlen(t1));
    CHECK(channel_batch_next(&d, &pos, &one) == 1 && one.seq == 3 && one.body_len == strlen(t2));
    CHECK(channel_batch_next(&d, &pos, &one) == 0);
}

/* Alice's first data frame after the handshake: a message record "hello bob" (seq 1), padded
 * and sealed with nonce 0 under her sending key. */
static void data_frame(example_hs *x)
{
    noise_cipher *send = NULL, *recv = NULL, *bsend = NULL, *brecv = NULL;
    CHECK(noise_handshake_split(x->alice, &send, &recv) == NOISE_OK);
    CHECK(noise_handshake_split(x->bob, &bsend, &brecv) == NOISE_OK);
    uint8_t hash[NOISE_HASH_LEN];
    noise_handshake_hash(x->alice, hash);
    expect_hex("handshake hash", hash, NOISE_HASH_LEN);
    char text[64];
    CHECK(value_of("record body", text, sizeof(text)) != NULL);
    channel_record r = {.kind = RECORD_MSG,
                        .seq = 1,
                        .frag_count = 1,
                        .body = (const uint8_t *)text,
                        .body_len = strlen(text)};
    uint8_t pt[RECORD_MIN_PADDED];
    CHECK(record_padded_len(RECORD_HEADER_LEN + r.body_len) == sizeof(pt));
    CHECK(record_encode(pt, &r) == sizeof(pt));
    expect_hex("record header", pt, RECORD_HEADER_LEN);
    static uint8_t out[FRAME_DATA_HEADER_LEN + RECORD_MIN_PADDED + NOISE_TAG_LEN];
    size_t h = frame_write_header(out, FRAME_DATA, x->session, 0);
    CHECK(noise_cipher_encrypt_long_n(send, 0, out, h, pt, sizeof(pt), out + h) == NOISE_OK);
    expect_hex("data frame", out, sizeof(out));
    /* Bob opens it with his receiving key. */
    uint8_t back[RECORD_MIN_PADDED];
    channel_record d;
    CHECK(noise_cipher_decrypt_long_n(brecv, 0, out, h, out + h, sizeof(out) - h, back) ==
          NOISE_OK);
    CHECK(record_decode(back, sizeof(back), &d) == 0 && d.body_len == strlen(text));
    batch_frame(x, send, brecv);
    noise_cipher_free(send);
    noise_cipher_free(recv);
    noise_cipher_free(bsend);
    noise_cipher_free(brecv);
}

static void test_handshake(const uint8_t secret[32])
{
    example_hs x;
    memset(&x, 0, sizeof(x));
    memcpy(x.secret, secret, 32);
    CHECK(hex_of("session id", x.session, 16));
    CHECK(value_of("a2b", x.a2b, sizeof(x.a2b)) != NULL);
    CHECK(value_of("b2a", x.b2a, sizeof(x.b2a)) != NULL);
    x.alice = side(&x, true);
    x.bob = side(&x, false);
    hop(&x, 1, 17, 16);
    CHECK(x.len == 18 + 32 + 17 + 16 + 8 + 16);
    x.frame[20] ^= 1;
    CHECK(channel_hs1_check_mac(secret, x.frame, x.len, NULL) == CHANNEL_UNAUTHENTICATED);
    hop(&x, 2, 10, 0);
    hop(&x, 3, 10, 0);
    CHECK(noise_handshake_done(x.alice) && noise_handshake_done(x.bob));
    data_frame(&x);
    noise_handshake_free(x.alice);
    noise_handshake_free(x.bob);
}

static char *read_doc(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: %s docs/PROTOCOL.md [--print]\n", argv[0]);
        return 2;
    }
    print_mode = argc > 2 && strcmp(argv[2], "--print") == 0;
    doc = read_doc(argv[1]);
    if (doc == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    char id[IDENTITY_ID_LEN + 1];
    uint8_t secret[32];
    test_identifier(id);
    test_invitation(id, secret);
    test_handshake(secret);
    return print_mode ? 0 : check_summary();
}
