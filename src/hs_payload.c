#include "src/hs_payload.h"

#include <string.h>

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

size_t hs_payload_encode(int step, const hs_payload *p, uint8_t *out, size_t cap)
{
    if (step == 1) {
        if (cap < HS_PAYLOAD1_LEN)
            return 0;
        out[0] = HS_PAYLOAD_VERSION;
        memcpy(out + 1, p->conv, HS_CONV_LEN);
        return HS_PAYLOAD1_LEN;
    }
    if ((step != 2 && step != 3) || cap < HS_PAYLOAD23_LEN)
        return 0;
    out[0] = HS_PAYLOAD_VERSION;
    out[1] = p->flags;
    put_u64(out + 2, p->acked);
    return HS_PAYLOAD23_LEN;
}

int hs_payload_decode(int step, const uint8_t *in, size_t len, hs_payload *p)
{
    memset(p, 0, sizeof *p);
    if (len < 1 || in[0] != HS_PAYLOAD_VERSION)
        return -1;
    if (step == 1) {
        if (len != HS_PAYLOAD1_LEN)
            return -1;
        memcpy(p->conv, in + 1, HS_CONV_LEN);
        return 0;
    }
    if ((step != 2 && step != 3) || len != HS_PAYLOAD23_LEN)
        return -1;
    if (in[1] & ~HS_FLAG_ECHO)
        return -1;
    p->flags = in[1];
    p->acked = get_u64(in + 2);
    return 0;
}
