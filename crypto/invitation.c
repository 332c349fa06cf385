/* invitation: formatting and strict parsing of kchat1 invitation lines. Parsing works on the
 * caller's text in place (pointer and length per field), so the secret's text is never copied;
 * the decoded secret goes straight into sodium_malloc'ed memory. The check covers every
 * character before it, the final ':' included. */
#include "crypto/invitation.h"

#include "crypto/encoding.h"
#include "sys/errf.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "kchat"
#define VERSION "1"
#define NFIELDS 6
#define NFIELDS_MAX 7 /* with the brokers field */
#define BROKERS_TEXT_MAX BASE64URL_LEN(INVITATION_BROKERS_MAX)
#define SECRET_TEXT_LEN BASE64URL_LEN(INVITATION_SECRET_LEN)
#define CHECK_BYTES 4
#define CHECK_TEXT_LEN HEX_LEN(CHECK_BYTES)
#define SHOW_MAX 60 /* characters of a bad field echoed in a message */

_Static_assert(sizeof PREFIX VERSION ":" - 1 + 2 * INVITATION_TOPIC_MAX + IDENTITY_ID_LEN +
                       SECRET_TEXT_LEN + BROKERS_TEXT_MAX + CHECK_TEXT_LEN + NFIELDS_MAX - 2 <=
                   INVITATION_MAX_LEN,
               "the longest invitation fits INVITATION_MAX_LEN");

typedef struct field {
    const char *p;
    size_t n;
} field;

/* A bounded, printable copy of a field for messages. */
static const char *show(field f, char out[SHOW_MAX + 4])
{
    size_t n = 0;
    for (; n < f.n && n < SHOW_MAX; n++) {
        unsigned char c = (unsigned char)f.p[n];
        out[n] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    strcpy(out + n, f.n > SHOW_MAX ? "..." : "");
    return out;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_topic_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* ---- Field checks, shared by parse and new/format ---- */

static int check_topic(field f, const char *which, char *err, size_t errlen)
{
    char shown[SHOW_MAX + 4];
    if (f.n == 0 || f.n > INVITATION_TOPIC_MAX) {
        errf(err, errlen, "invalid topic name for %s (%s)", which,
             f.n == 0 ? "empty" : "longer than 249 characters");
        return -1;
    }
    if ((f.n == 1 && f.p[0] == '.') || (f.n == 2 && f.p[0] == '.' && f.p[1] == '.')) {
        errf(err, errlen, "invalid topic name \"%s\" for %s (\".\" and \"..\" are not allowed)",
             show(f, shown), which);
        return -1;
    }
    for (size_t i = 0; i < f.n; i++) {
        if (!is_topic_char(f.p[i])) {
            errf(err, errlen,
                 "invalid topic name \"%s\" for %s (only A-Z a-z 0-9 . _ - are allowed)",
                 show(f, shown), which);
            return -1;
        }
    }
    return 0;
}

static int check_topics(field a2b, field b2a, char *err, size_t errlen)
{
    char shown[SHOW_MAX + 4];
    if (check_topic(a2b, "a2b", err, errlen) != 0 || check_topic(b2a, "b2a", err, errlen) != 0)
        return -1;
    if (a2b.n == b2a.n && memcmp(a2b.p, b2a.p, a2b.n) == 0) {
        errf(err, errlen, "invalid topic name \"%s\" (a2b and b2a must differ)", show(a2b, shown));
        return -1;
    }
    return 0;
}

static int check_id(field f, char *err, size_t errlen)
{
    char shown[SHOW_MAX + 4];
    char id[IDENTITY_ID_LEN + 1];
    if (f.n == IDENTITY_ID_LEN) {
        memcpy(id, f.p, IDENTITY_ID_LEN);
        id[IDENTITY_ID_LEN] = '\0';
        if (identity_id_valid(id) == 0)
            return 0;
    }
    errf(err, errlen, "invalid identifier \"%s\" (expected 48 characters of a-z and 2-7)",
         show(f, shown));
    return -1;
}

static bool is_broker_char(char c)
{
    return is_topic_char(c) || c == ':' || c == ',' || c == '[' || c == ']';
}

static int check_brokers(field f, char *err, size_t errlen)
{
    if (f.n == 0 || f.n > INVITATION_BROKERS_MAX) {
        errf(err, errlen, "invalid brokers in the invitation (%s)",
             f.n == 0 ? "empty" : "longer than 200 characters");
        return -1;
    }
    for (size_t i = 0; i < f.n; i++) {
        if (!is_broker_char(f.p[i])) {
            errf(err, errlen,
                 "invalid brokers in the invitation (only A-Z a-z 0-9 . _ - : , [ ] allowed)");
            return -1;
        }
    }
    return 0;
}

static field cstr(const char *s)
{
    field f = {s, s != NULL ? strlen(s) : 0};
    return f;
}

/* ---- Checksum ---- */

static void checksum(const char *text, size_t n, char out[CHECK_TEXT_LEN + 1])
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const uint8_t *)text, n);
    hex_encode(out, CHECK_TEXT_LEN + 1, digest, CHECK_BYTES);
}

/* ---- Construction ---- */

static invitation *alloc_invitation(field a2b, field b2a, field bob_id)
{
    if (sodium_init() < 0)
        return NULL;
    invitation *inv = calloc(1, sizeof *inv);
    if (inv == NULL)
        return NULL;
    inv->secret = sodium_malloc(INVITATION_SECRET_LEN);
    if (inv->secret == NULL) {
        free(inv);
        return NULL;
    }
    memcpy(inv->a2b, a2b.p, a2b.n);
    memcpy(inv->b2a, b2a.p, b2a.n);
    memcpy(inv->bob_id, bob_id.p, bob_id.n);
    return inv;
}

invitation *invitation_new(const char *a2b, const char *b2a, const char *bob_id, char *err,
                           size_t errlen)
{
    field fa = cstr(a2b), fb = cstr(b2a), fid = cstr(bob_id);
    if (check_topics(fa, fb, err, errlen) != 0 || check_id(fid, err, errlen) != 0)
        return NULL;
    invitation *inv = alloc_invitation(fa, fb, fid);
    if (inv == NULL) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    randombytes_buf(inv->secret, INVITATION_SECRET_LEN);
    return inv;
}

void invitation_free(invitation *inv)
{
    if (inv == NULL)
        return;
    sodium_free(inv->secret);
    sodium_memzero(inv, sizeof *inv);
    free(inv);
}

int invitation_set_brokers(invitation *inv, const char *brokers, char *err, size_t errlen)
{
    if (brokers == NULL || brokers[0] == '\0') {
        inv->brokers[0] = '\0';
        return 0;
    }
    field f = cstr(brokers);
    if (check_brokers(f, err, errlen) != 0)
        return -1;
    memcpy(inv->brokers, f.p, f.n);
    inv->brokers[f.n] = '\0';
    return 0;
}

/* ---- Formatting ---- */

/* The ":<base64url brokers>" part at out (room for cap bytes); its length, 0 when none. */
static size_t format_brokers(const invitation *inv, char *out, size_t cap)
{
    size_t n = strnlen(inv->brokers, sizeof inv->brokers);
    if (n == 0 || n == sizeof inv->brokers || check_brokers((field){inv->brokers, n}, NULL, 0))
        return 0;
    if (cap < 2 + BASE64URL_LEN(n))
        return 0;
    out[0] = ':';
    base64url_encode(out + 1, cap - 1, (const uint8_t *)inv->brokers, n);
    return 1 + BASE64URL_LEN(n);
}

int invitation_format(const invitation *inv, char *out, size_t cap)
{
    if (inv == NULL || inv->secret == NULL || out == NULL ||
        strnlen(inv->a2b, sizeof inv->a2b) == sizeof inv->a2b ||
        strnlen(inv->b2a, sizeof inv->b2a) == sizeof inv->b2a ||
        strnlen(inv->bob_id, sizeof inv->bob_id) == sizeof inv->bob_id)
        return -1;
    if (check_topics(cstr(inv->a2b), cstr(inv->b2a), NULL, 0) != 0 ||
        check_id(cstr(inv->bob_id), NULL, 0) != 0)
        return -1;
    size_t head =
        strlen(PREFIX VERSION) + strlen(inv->a2b) + strlen(inv->b2a) + IDENTITY_ID_LEN + 4;
    size_t bl = strnlen(inv->brokers, sizeof inv->brokers);
    size_t btext = bl ? 1 + BASE64URL_LEN(bl) : 0;
    size_t total = head + SECRET_TEXT_LEN + btext + 1 + CHECK_TEXT_LEN;
    if (total > INVITATION_MAX_LEN || cap <= total)
        return -1;
    snprintf(out, cap, "%s:%s:%s:%s:", PREFIX VERSION, inv->a2b, inv->b2a, inv->bob_id);
    base64url_encode(out + head, cap - head, inv->secret, INVITATION_SECRET_LEN);
    size_t at = head + SECRET_TEXT_LEN;
    if (bl && format_brokers(inv, out + at, cap - at) != btext)
        return -1;
    at += btext;
    out[at] = ':';
    checksum(out, at + 1, out + at + 1);
    return (int)total;
}

/* ---- Parsing ---- */

/* Checks the "kchat<version>:" start of t. */
static int check_version(field t, char *err, size_t errlen)
{
    size_t plen = strlen(PREFIX), v = plen;
    if (t.n < plen || memcmp(t.p, PREFIX, plen) != 0) {
        errf(err, errlen, "not a kchat invitation (expected it to start with kchat1:)");
        return -1;
    }
    while (v < t.n && t.p[v] >= '0' && t.p[v] <= '9')
        v++;
    bool ended = v == t.n || t.p[v] == ':';
    if (v == plen || !ended) {
        errf(err, errlen, "not a kchat invitation (expected it to start with kchat1:)");
        return -1;
    }
    if (v - plen != strlen(VERSION) || memcmp(t.p + plen, VERSION, strlen(VERSION)) != 0) {
        errf(err, errlen, "unsupported invitation version %.*s%s",
             (int)(v - plen > 12 ? 12 : v - plen), t.p + plen, v - plen > 12 ? "..." : "");
        return -1;
    }
    return 0;
}

/* Splits t at ':' into NFIELDS or NFIELDS_MAX fields; *count gets how many. */
static int split_fields(field t, field out[NFIELDS_MAX], size_t *nout, char *err, size_t errlen)
{
    size_t count = 0;
    const char *p = t.p, *end = t.p + t.n;
    for (;;) {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        const char *stop = colon != NULL ? colon : end;
        if (count < NFIELDS_MAX)
            out[count] = (field){p, (size_t)(stop - p)};
        count++;
        if (colon == NULL)
            break;
        p = colon + 1;
    }
    if (count != NFIELDS && count != NFIELDS_MAX) {
        errf(err, errlen, "invitation has %zu field%s, expected %d (or %d with brokers)", count,
             count == 1 ? "" : "s", NFIELDS, NFIELDS_MAX);
        return -1;
    }
    *nout = count;
    return 0;
}

static field trim(const char *text)
{
    field t = cstr(text);
    while (t.n > 0 && is_space(t.p[0])) {
        t.p++;
        t.n--;
    }
    while (t.n > 0 && is_space(t.p[t.n - 1]))
        t.n--;
    return t;
}

static int check_fields(const field f[NFIELDS_MAX], char *err, size_t errlen)
{
    if (check_topics(f[1], f[2], err, errlen) != 0 || check_id(f[3], err, errlen) != 0)
        return -1;
    if (f[4].n != SECRET_TEXT_LEN) {
        errf(err, errlen, "invalid secret (expected %u base64url characters, got %zu)",
             (unsigned)SECRET_TEXT_LEN, f[4].n);
        return -1;
    }
    return 0;
}

static int check_checksum(field t, field check, char *err, size_t errlen)
{
    char want[CHECK_TEXT_LEN + 1];
    checksum(t.p, (size_t)(check.p - t.p), want);
    if (check.n != CHECK_TEXT_LEN || memcmp(check.p, want, CHECK_TEXT_LEN) != 0) {
        errf(err, errlen, "invitation checksum mismatch (mistyped or truncated?)");
        return -1;
    }
    return 0;
}

/* The brokers field: base64url of the list, decoded into inv->brokers and checked. */
static int parse_brokers(invitation *inv, field f, char *err, size_t errlen)
{
    uint8_t raw[INVITATION_BROKERS_MAX + 3];
    size_t n = 0;
    if (f.n == 0 || f.n > BROKERS_TEXT_MAX ||
        base64url_decode(raw, sizeof raw - 1, &n, f.p, f.n) != 0 || n > INVITATION_BROKERS_MAX) {
        errf(err, errlen, "invalid brokers in the invitation (not base64url of a broker list)");
        return -1;
    }
    raw[n] = '\0';
    return invitation_set_brokers(inv, (const char *)raw, err, errlen) == 0 && inv->brokers[0] ? 0
                                                                                               : -1;
}

invitation *invitation_parse(const char *text, char *err, size_t errlen)
{
    field t = trim(text), f[NFIELDS_MAX];
    size_t nf = 0;
    if (t.n > INVITATION_MAX_LEN) {
        errf(err, errlen, "invitation is too long (%zu characters, at most %d)", t.n,
             INVITATION_MAX_LEN);
        return NULL;
    }
    if (check_version(t, err, errlen) != 0 || split_fields(t, f, &nf, err, errlen) != 0 ||
        check_fields(f, err, errlen) != 0)
        return NULL;
    invitation *inv = alloc_invitation(f[1], f[2], f[3]);
    if (inv == NULL) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    if (base64url_decode(inv->secret, INVITATION_SECRET_LEN, NULL, f[4].p, f[4].n) != 0) {
        errf(err, errlen, "invalid secret (not the base64url form of 32 bytes)");
        invitation_free(inv);
        return NULL;
    }
    if (check_checksum(t, f[nf - 1], err, errlen) != 0 ||
        (nf == NFIELDS_MAX && parse_brokers(inv, f[5], err, errlen) != 0)) {
        invitation_free(inv);
        return NULL;
    }
    return inv;
}
