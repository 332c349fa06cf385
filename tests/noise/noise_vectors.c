/* noise_vectors: runs the cacophony-format Noise test vectors of a JSON file (argv[1]) against
 * crypto/noise for the protocols it supports (Noise_XX and Noise_XXpsk3, 25519, ChaChaPoly,
 * SHA256). Other protocols, and vectors marked "fail" or "fallback", are skipped. Last line:
 * "N passed, N failed, N skipped".
 *
 * The format is that of the Noise wiki, as written by cacophony, snow and flynn/noise:
 * handshake_hash is optional (snow's and flynn's files lack it), init_psks/resp_psks are arrays.
 * JSON integers may be any u64 (jansson's are signed 64-bit and refuse larger ones, so the text is
 * read with every bare integer turned into a string first). Transport messages may carry two
 * optional fields: "rekey": true (both ends of that direction call Rekey() first) and
 * "nonce": u64 (both ends set that direction's nonce first). */
#include "crypto/noise.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTES 65536

struct bytes {
    uint8_t b[MAX_BYTES];
    size_t len;
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes the hex string s into out; false if missing or malformed. */
static bool decode_hex(const char *s, struct bytes *out)
{
    if (!s) {
        return false;
    }
    size_t n = strlen(s);
    if (n % 2 != 0 || n / 2 > MAX_BYTES) {
        return false;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out->b[i] = (uint8_t)(hi << 4 | lo);
    }
    out->len = n / 2;
    return true;
}

static bool get_hex(const json_t *obj, const char *key, struct bytes *out)
{
    return decode_hex(json_string_value(json_object_get(obj, key)), out);
}

static bool get_key32(const json_t *obj, const char *key, uint8_t out[32])
{
    static struct bytes tmp;
    if (!get_hex(obj, key, &tmp) || tmp.len != 32) {
        return false;
    }
    memcpy(out, tmp.b, 32);
    return true;
}

/* The single 32-byte PSK of the "init_psks"/"resp_psks" array. */
static bool get_psk(const json_t *v, const char *key, uint8_t out[32])
{
    const json_t *arr = json_object_get(v, key);
    if (!json_is_array(arr) || json_array_size(arr) != 1) {
        return false;
    }
    static struct bytes tmp;
    if (!decode_hex(json_string_value(json_array_get(arr, 0)), &tmp) || tmp.len != 32) {
        return false;
    }
    memcpy(out, tmp.b, 32);
    return true;
}

static bool supported(const char *name, noise_pattern *p)
{
    if (!name) {
        return false;
    }
    if (strcmp(name, noise_protocol_name(NOISE_XX)) == 0) {
        *p = NOISE_XX;
        return true;
    }
    if (strcmp(name, noise_protocol_name(NOISE_XXPSK3)) == 0) {
        *p = NOISE_XXPSK3;
        return true;
    }
    return false;
}

struct vector_ctx {
    int index;
    const char *name;
};

static bool fail(const struct vector_ctx *vc, const char *what, int msg)
{
    if (msg < 0) {
        fprintf(stderr, "FAIL vector %d (%s): %s\n", vc->index, vc->name, what);
    } else {
        fprintf(stderr, "FAIL vector %d (%s): message %d: %s\n", vc->index, vc->name, msg, what);
    }
    return false;
}

/* Creates one side from the vector's keys ("init" or "resp" prefix). */
static noise_handshake *make_side(const json_t *v, noise_pattern p, bool initiator)
{
    const char *pre = initiator ? "init" : "resp";
    char key[64];
    static struct bytes prologue;
    uint8_t s[32], e[32], psk[32];
    snprintf(key, sizeof key, "%s_prologue", pre);
    if (!get_hex(v, key, &prologue)) {
        prologue.len = 0;
    }
    snprintf(key, sizeof key, "%s_static", pre);
    bool ok = get_key32(v, key, s);
    snprintf(key, sizeof key, "%s_ephemeral", pre);
    ok = ok && get_key32(v, key, e);
    snprintf(key, sizeof key, "%s_psks", pre);
    ok = ok && (p != NOISE_XXPSK3 || get_psk(v, key, psk));
    noise_handshake *hs = NULL;
    if (!ok || noise_handshake_new(&hs, p, initiator, prologue.b, prologue.len, s,
                                   p == NOISE_XXPSK3 ? psk : NULL) != NOISE_OK) {
        return NULL;
    }
    if (noise_handshake_set_ephemeral(hs, e) != NOISE_OK) {
        noise_handshake_free(hs);
        return NULL;
    }
    return hs;
}

static struct bytes g_payload, g_expect, g_out, g_back;

static bool check_handshake_msg(const struct vector_ctx *vc, const json_t *m, int i,
                                noise_handshake *w, noise_handshake *r)
{
    if (!get_hex(m, "payload", &g_payload) || !get_hex(m, "ciphertext", &g_expect)) {
        return fail(vc, "missing payload or ciphertext", i);
    }
    int rc =
        noise_handshake_write(w, g_payload.b, g_payload.len, g_out.b, sizeof g_out.b, &g_out.len);
    if (rc != NOISE_OK) {
        return fail(vc, noise_strerror(rc), i);
    }
    if (g_out.len != g_expect.len || memcmp(g_out.b, g_expect.b, g_out.len) != 0) {
        return fail(vc, "handshake ciphertext differs", i);
    }
    rc = noise_handshake_read(r, g_out.b, g_out.len, g_back.b, sizeof g_back.b, &g_back.len);
    if (rc != NOISE_OK) {
        return fail(vc, noise_strerror(rc), i);
    }
    if (g_back.len != g_payload.len || memcmp(g_back.b, g_payload.b, g_back.len) != 0) {
        return fail(vc, "handshake payload round trip differs", i);
    }
    return true;
}

/* A u64 field: a JSON integer, or (integers read as strings) a string of decimal digits. */
static bool get_u64(const json_t *obj, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strspn(s, "0123456789") != strlen(s)) {
        return false;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno == ERANGE || *end != '\0') {
        return false;
    }
    *out = (uint64_t)n;
    return true;
}

/* The optional "rekey" and "nonce" of a transport message, applied to both ends. */
static bool apply_cipher_ops(const struct vector_ctx *vc, const json_t *m, int i,
                             noise_cipher *send, noise_cipher *recv)
{
    if (json_is_true(json_object_get(m, "rekey"))) {
        noise_cipher_rekey(send);
        noise_cipher_rekey(recv);
    }
    if (json_object_get(m, "nonce") != NULL) {
        uint64_t n = 0;
        if (!get_u64(m, "nonce", &n)) {
            return fail(vc, "nonce is not a u64", i);
        }
        noise_cipher_set_nonce(send, n);
        noise_cipher_set_nonce(recv, n);
    }
    return true;
}

static bool check_transport_msg(const struct vector_ctx *vc, const json_t *m, int i,
                                noise_cipher *send, noise_cipher *recv)
{
    if (!get_hex(m, "payload", &g_payload) || !get_hex(m, "ciphertext", &g_expect)) {
        return fail(vc, "missing payload or ciphertext", i);
    }
    if (!apply_cipher_ops(vc, m, i, send, recv)) {
        return false;
    }
    int rc = noise_cipher_encrypt(send, NULL, 0, g_payload.b, g_payload.len, g_out.b);
    if (rc != NOISE_OK) {
        return fail(vc, noise_strerror(rc), i);
    }
    g_out.len = g_payload.len + NOISE_TAG_LEN;
    if (g_out.len != g_expect.len || memcmp(g_out.b, g_expect.b, g_out.len) != 0) {
        return fail(vc, "transport ciphertext differs", i);
    }
    rc = noise_cipher_decrypt(recv, NULL, 0, g_out.b, g_out.len, g_back.b);
    if (rc != NOISE_OK) {
        return fail(vc, noise_strerror(rc), i);
    }
    if (memcmp(g_back.b, g_payload.b, g_payload.len) != 0) {
        return fail(vc, "transport payload round trip differs", i);
    }
    return true;
}

static bool check_hash(const struct vector_ctx *vc, const json_t *v, noise_handshake *ini,
                       noise_handshake *res)
{
    uint8_t h1[NOISE_HASH_LEN], h2[NOISE_HASH_LEN];
    if (!noise_handshake_done(ini) || !noise_handshake_done(res)) {
        return fail(vc, "handshake not done after its messages", -1);
    }
    noise_handshake_hash(ini, h1);
    noise_handshake_hash(res, h2);
    if (memcmp(h1, h2, NOISE_HASH_LEN) != 0) {
        return fail(vc, "the two ends' handshake hashes differ", -1);
    }
    const json_t *want = json_object_get(v, "handshake_hash");
    if (want == NULL || json_is_null(want)) {
        return true; /* optional */
    }
    if (!get_hex(v, "handshake_hash", &g_expect) || g_expect.len != NOISE_HASH_LEN) {
        return fail(vc, "handshake_hash is not 32 bytes of hex", -1);
    }
    if (memcmp(h1, g_expect.b, NOISE_HASH_LEN) != 0) {
        return fail(vc, "handshake_hash differs", -1);
    }
    return true;
}

/* Transport messages after the handshake; both supported patterns are two-way, so senders keep
 * alternating: even indexes from the initiator, odd ones from the responder. */
static bool run_transport(const struct vector_ctx *vc, const json_t *msgs, noise_handshake *ini,
                          noise_handshake *res)
{
    noise_cipher *is, *ir, *rs, *rr;
    if (noise_handshake_split(ini, &is, &ir) != NOISE_OK) {
        return fail(vc, "initiator split failed", -1);
    }
    if (noise_handshake_split(res, &rs, &rr) != NOISE_OK) {
        noise_cipher_free(is);
        noise_cipher_free(ir);
        return fail(vc, "responder split failed", -1);
    }
    bool ok = true;
    for (size_t i = 3; ok && i < json_array_size(msgs); i++) {
        const json_t *m = json_array_get(msgs, i);
        ok = i % 2 == 0 ? check_transport_msg(vc, m, (int)i, is, rr)
                        : check_transport_msg(vc, m, (int)i, rs, ir);
    }
    noise_cipher_free(is);
    noise_cipher_free(ir);
    noise_cipher_free(rs);
    noise_cipher_free(rr);
    return ok;
}

static bool run_vector(const struct vector_ctx *vc, const json_t *v, noise_pattern p)
{
    const json_t *msgs = json_object_get(v, "messages");
    if (!json_is_array(msgs) || json_array_size(msgs) < 3) {
        return fail(vc, "fewer than 3 messages", 0);
    }
    noise_handshake *ini = make_side(v, p, true);
    noise_handshake *res = make_side(v, p, false);
    bool ok = ini && res;
    if (!ok) {
        fail(vc, "cannot set up handshake from the vector's keys", 0);
    }
    for (int i = 0; ok && i < 3; i++) {
        const json_t *m = json_array_get(msgs, (size_t)i);
        ok = i % 2 == 0 ? check_handshake_msg(vc, m, i, ini, res)
                        : check_handshake_msg(vc, m, i, res, ini);
    }
    ok = ok && check_hash(vc, v, ini, res);
    ok = ok && run_transport(vc, msgs, ini, res);
    noise_handshake_free(ini);
    noise_handshake_free(res);
    return ok;
}

/* The whole file, NUL-terminated; NULL on failure. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) {
            break;
        }
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
        }
        buf = bigger;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Copies JSON text, putting quotes around every bare integer (digits outside strings, not part
 * of a fraction or exponent), so that any u64 survives jansson. */
static char *quote_integers(const char *in, size_t len)
{
    char *out = malloc(len * 3 + 1), *o = out;
    bool in_string = false;
    for (size_t i = 0; out && i < len; i++) {
        char c = in[i];
        if (in_string) {
            *o++ = c;
            if (c == '\\' && i + 1 < len) {
                *o++ = in[++i];
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            *o++ = c;
            continue;
        }
        size_t j = i;
        while (j < len && in[j] >= '0' && in[j] <= '9') {
            j++;
        }
        bool prev_number = i > 0 && strchr("-+.eE0123456789", in[i - 1]) != NULL;
        bool real = j < len && strchr(".eE", in[j]) != NULL;
        if (j == i || prev_number || real) {
            *o++ = c;
            continue;
        }
        *o++ = '"';
        memcpy(o, in + i, j - i);
        o += j - i;
        *o++ = '"';
        i = j - 1;
    }
    if (out) {
        *o = '\0';
    }
    return out;
}

static json_t *load(const char *path, json_error_t *jerr)
{
    size_t len = 0;
    char *text = read_all(path, &len);
    if (!text) {
        snprintf(jerr->text, sizeof jerr->text, "cannot read the file");
        jerr->line = 0;
        return NULL;
    }
    char *quoted = quote_integers(text, len);
    free(text);
    json_t *root = quoted ? json_loads(quoted, 0, jerr) : NULL;
    free(quoted);
    return root;
}

/* Vectors this runner cannot check even for a supported protocol. */
static bool unsupported_variant(const json_t *v)
{
    return json_is_true(json_object_get(v, "fail")) ||
           json_is_true(json_object_get(v, "fallback")) || json_object_get(v, "hybrid") != NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS.json\n", argv[0]);
        return 2;
    }
    json_error_t jerr;
    json_t *root = load(argv[1], &jerr);
    if (!root) {
        fprintf(stderr, "%s:%d: %s\n", argv[1], jerr.line, jerr.text);
        printf("0 passed, 0 failed, 0 skipped\n");
        return 1;
    }
    const json_t *vectors = json_object_get(root, "vectors");
    unsigned passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < json_array_size(vectors); i++) {
        const json_t *v = json_array_get(vectors, i);
        struct vector_ctx vc = {(int)i, json_string_value(json_object_get(v, "protocol_name"))};
        noise_pattern p;
        if (!supported(vc.name, &p) || unsupported_variant(v)) {
            skipped++;
        } else if (run_vector(&vc, v, p)) {
            passed++;
        } else {
            failed++;
        }
    }
    json_decref(root);
    printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
    return failed == 0 && passed > 0 ? 0 : 1;
}
