#include "src/hs_payload.h"
#include "sys/be.h"

#include <string.h>

static size_t payload_len(int step)
{
    return step == 1 ? HS_PAYLOAD1_LEN : step == 2 ? HS_PAYLOAD2_LEN : HS_PAYLOAD3_LEN;
}

/* Bytes of the UTF-8 sequence starting at p (at most n left), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] < 0x80             ? 1
                 : (p[0] & 0xe0) == 0xc0 ? 2
                 : (p[0] & 0xf0) == 0xe0 ? 3
                 : (p[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 0 || len > n || (len == 2 && p[0] < 0xc2) || (len == 4 && p[0] > 0xf4))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((len == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (len == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
        (len == 4 && p[0] == 0xf0 && p[1] < 0x90) || (len == 4 && p[0] == 0xf4 && p[1] >= 0x90))
        return 0; /* overlong, surrogate, or beyond U+10FFFF */
    if (len == 2 && p[0] == 0xc2 && p[1] < 0xa0)
        return 0; /* C1 control characters */
    return len;
}

bool hs_name_valid(const char *name, size_t len)
{
    const unsigned char *p = (const unsigned char *)name;
    if (len > HS_NAME_MAX)
        return false;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
        size_t n = utf8_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t hs_payload_encode(int step, const hs_payload *p, uint8_t *out, size_t cap)
{
    size_t name_len = step == 1 ? 0 : strlen(p->name);
    if (step < 1 || step > 3 || name_len > HS_NAME_MAX || cap < payload_len(step) + name_len)
        return 0;
    out[0] = HS_PAYLOAD_VERSION;
    if (step == 1) {
        memcpy(out + 1, p->conv, HS_CONV_LEN);
        return HS_PAYLOAD1_LEN;
    }
    out[1] = p->flags;
    be64_put(out + 2, p->acked);
    size_t at = 10;
    if (step == 2) {
        be64_put(out + at, p->base);
        at += 8;
    }
    out[at++] = (uint8_t)name_len;
    memcpy(out + at, p->name, name_len);
    return at + name_len;
}

static int decode_name(const uint8_t *in, size_t len, size_t at, hs_payload *p)
{
    size_t n = in[at];
    if (len != at + 1 + n || !hs_name_valid((const char *)in + at + 1, n))
        return -1;
    memcpy(p->name, in + at + 1, n);
    p->name[n] = '\0';
    return 0;
}

int hs_payload_decode(int step, const uint8_t *in, size_t len, hs_payload *p)
{
    memset(p, 0, sizeof *p);
    if (step < 1 || step > 3 || len < payload_len(step) || in[0] != HS_PAYLOAD_VERSION)
        return -1;
    if (step == 1) {
        if (len != HS_PAYLOAD1_LEN)
            return -1;
        memcpy(p->conv, in + 1, HS_CONV_LEN);
        return 0;
    }
    if (in[1] & ~(step == 2 ? HS_FLAG_ECHO : 0u))
        return -1;
    p->flags = in[1];
    p->acked = be64_get(in + 2);
    if (step == 3)
        return decode_name(in, len, 10, p);
    p->base = be64_get(in + 10);
    if (p->base == 0) /* sequence numbers count from 1 */
        return -1;
    return decode_name(in, len, 18, p);
}
