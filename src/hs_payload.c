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

static size_t payload_len(int step)
{
    return step == 1 ? HS_PAYLOAD1_LEN : step == 2 ? HS_PAYLOAD2_LEN : HS_PAYLOAD3_LEN;
}

size_t hs_payload_encode(int step, const hs_payload *p, uint8_t *out, size_t cap)
{
    if (step < 1 || step > 3 || cap < payload_len(step))
        return 0;
    out[0] = HS_PAYLOAD_VERSION;
    if (step == 1) {
        memcpy(out + 1, p->conv, HS_CONV_LEN);
        return HS_PAYLOAD1_LEN;
    }
    out[1] = p->flags;
    put_u64(out + 2, p->acked);
    if (step == 2)
        put_u64(out + 10, p->base);
    return payload_len(step);
}

int hs_payload_decode(int step, const uint8_t *in, size_t len, hs_payload *p)
{
    memset(p, 0, sizeof *p);
    if (step < 1 || step > 3 || len != payload_len(step) || in[0] != HS_PAYLOAD_VERSION)
        return -1;
    if (step == 1) {
        memcpy(p->conv, in + 1, HS_CONV_LEN);
        return 0;
    }
    if (in[1] & ~(step == 2 ? HS_FLAG_ECHO : 0u))
        return -1;
    p->flags = in[1];
    p->acked = get_u64(in + 2);
    if (step == 2) {
        p->base = get_u64(in + 10);
        if (p->base == 0) /* sequence numbers count from 1 */
            return -1;
    }
    return 0;
}
