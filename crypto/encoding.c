/* encoding: strict base32 (lowercase, no padding), base64url (no padding) and lowercase hex.
 * The character mapping is branch-free arithmetic (as in libsodium's codecs), so secret bytes
 * do not select table entries or branches. */
#include "crypto/encoding.h"

#include <sodium.h>

/* 0xFF when the relation holds, 0 otherwise; x and y below 256. */
static unsigned ct_eq(unsigned x, unsigned y)
{
    return ((0u - (x ^ y)) >> 8 & 0xFFu) ^ 0xFFu;
}

static unsigned ct_gt(unsigned x, unsigned y)
{
    return (y - x) >> 8 & 0xFFu;
}

static unsigned ct_ge(unsigned x, unsigned y)
{
    return ct_gt(y, x) ^ 0xFFu;
}

static unsigned ct_lt(unsigned x, unsigned y)
{
    return ct_gt(y, x);
}

static unsigned ct_le(unsigned x, unsigned y)
{
    return ct_ge(y, x);
}

/* ---- Character mapping: value -> character, character -> value or 0xFF. ---- */

static char b32_char(unsigned x)
{
    return (char)((ct_lt(x, 26) & (x + 'a')) | (ct_ge(x, 26) & (x + ('2' - 26))));
}

static unsigned b32_value(unsigned char c)
{
    unsigned x = (ct_ge(c, 'a') & ct_le(c, 'z') & (c - 'a')) |
                 (ct_ge(c, '2') & ct_le(c, '7') & (c - ('2' - 26)));
    return x | (ct_eq(x, 0) & (ct_eq(c, 'a') ^ 0xFFu));
}

static char b64_char(unsigned x)
{
    return (char)((ct_lt(x, 26) & (x + 'A')) | (ct_ge(x, 26) & ct_lt(x, 52) & (x + ('a' - 26))) |
                  (ct_ge(x, 52) & ct_lt(x, 62) & (x + ('0' - 52))) | (ct_eq(x, 62) & '-') |
                  (ct_eq(x, 63) & '_'));
}

static unsigned b64_value(unsigned char c)
{
    unsigned x = (ct_ge(c, 'A') & ct_le(c, 'Z') & (c - 'A')) |
                 (ct_ge(c, 'a') & ct_le(c, 'z') & (c - ('a' - 26))) |
                 (ct_ge(c, '0') & ct_le(c, '9') & (c - ('0' - 52))) | (ct_eq(c, '-') & 62) |
                 (ct_eq(c, '_') & 63);
    return x | (ct_eq(x, 0) & (ct_eq(c, 'A') ^ 0xFFu));
}

static char hex_char(unsigned x)
{
    return (char)((ct_lt(x, 10) & (x + '0')) | (ct_ge(x, 10) & (x + ('a' - 10))));
}

static unsigned hex_value(unsigned char c)
{
    unsigned x = (ct_ge(c, '0') & ct_le(c, '9') & (c - '0')) |
                 (ct_ge(c, 'a') & ct_le(c, 'f') & (c - ('a' - 10)));
    return x | (ct_eq(x, 0) & (ct_eq(c, '0') ^ 0xFFu));
}

/* ---- Generic radix-2^bits coding, most significant bit first. ---- */

typedef struct codec {
    unsigned bits;
    char (*to_char)(unsigned);
    unsigned (*to_value)(unsigned char);
} codec;

static const codec base32 = {5, b32_char, b32_value};
static const codec base64 = {6, b64_char, b64_value};
static const codec hex16 = {4, hex_char, hex_value};

static int encode(const codec *c, char *out, size_t cap, const uint8_t *in, size_t n)
{
    size_t want = (n * 8 + c->bits - 1) / c->bits;
    if (out == NULL || (in == NULL && n > 0) || n > SIZE_MAX / 8 - 8 || cap <= want)
        return -1;
    unsigned acc = 0, acc_bits = 0, mask = (1u << c->bits) - 1;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8 | in[i]) & 0xFFFFu;
        acc_bits += 8;
        while (acc_bits >= c->bits) {
            acc_bits -= c->bits;
            out[pos++] = c->to_char(acc >> acc_bits & mask);
        }
    }
    if (acc_bits > 0)
        out[pos++] = c->to_char(acc << (c->bits - acc_bits) & mask);
    out[pos] = '\0';
    sodium_memzero(&acc, sizeof acc);
    return 0;
}

static int decode_fail(uint8_t *out, size_t cap, size_t *out_len)
{
    if (out != NULL)
        sodium_memzero(out, cap);
    if (out_len != NULL)
        *out_len = 0;
    return -1;
}

static int decode(const codec *c, uint8_t *out, size_t cap, size_t *out_len, const char *in,
                  size_t len)
{
    if (out == NULL || (in == NULL && len > 0) || len > SIZE_MAX / 8)
        return decode_fail(out, cap, out_len);
    size_t total_bits = len * c->bits;
    /* A canonical encoding leaves fewer unused bits than one character holds. */
    if (total_bits % 8 >= c->bits || total_bits / 8 > cap)
        return decode_fail(out, cap, out_len);
    unsigned acc = 0, acc_bits = 0, bad = 0;
    size_t pos = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned v = c->to_value((unsigned char)in[i]);
        bad |= ct_eq(v, 0xFFu);
        acc = (acc << c->bits | (v & ((1u << c->bits) - 1))) & 0xFFFFu;
        acc_bits += c->bits;
        if (acc_bits >= 8) {
            acc_bits -= 8;
            out[pos++] = (uint8_t)(acc >> acc_bits);
        }
    }
    bad |= acc & ((1u << acc_bits) - 1); /* unused trailing bits must be zero */
    sodium_memzero(&acc, sizeof acc);
    if (bad != 0)
        return decode_fail(out, cap, out_len);
    if (out_len != NULL)
        *out_len = pos;
    return 0;
}

int base32_encode(char *out, size_t cap, const uint8_t *in, size_t n)
{
    return encode(&base32, out, cap, in, n);
}

int base32_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len)
{
    return decode(&base32, out, cap, out_len, in, len);
}

int base64url_encode(char *out, size_t cap, const uint8_t *in, size_t n)
{
    return encode(&base64, out, cap, in, n);
}

int base64url_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len)
{
    return decode(&base64, out, cap, out_len, in, len);
}

int hex_encode(char *out, size_t cap, const uint8_t *in, size_t n)
{
    return encode(&hex16, out, cap, in, n);
}

int hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len)
{
    return decode(&hex16, out, cap, out_len, in, len);
}
