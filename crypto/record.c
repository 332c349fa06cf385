/* record: the plaintext record codec (layout in docs/PROTOCOL.md):
 *   kind u8 | flags u8 | seq u64 | ack u64 | echo_of u64 | frag_idx u32 | frag_count u32 | body */
#include "crypto/record.h"

#include <string.h>

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xffu);
        v >>= 8;
    }
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

int record_validate(const channel_record *r)
{
    if (r->kind < RECORD_MSG || r->kind > RECORD_CLOSE)
        return -1;
    if (r->frag_count < 1 || r->frag_idx >= r->frag_count)
        return -1;
    if (r->kind != RECORD_MSG && (r->seq != 0 || r->frag_idx != 0 || r->frag_count != 1))
        return -1;
    if (r->body_len > CHANNEL_MAX_BODY)
        return -1;
    return 0;
}

void record_encode(uint8_t *out, const channel_record *r)
{
    out[0] = r->kind;
    out[1] = r->flags;
    put_be(out + 2, r->seq, 8);
    put_be(out + 10, r->ack, 8);
    put_be(out + 18, r->echo_of, 8);
    put_be(out + 26, r->frag_idx, 4);
    put_be(out + 30, r->frag_count, 4);
    if (r->body_len > 0)
        memcpy(out + RECORD_HEADER_LEN, r->body, r->body_len);
}

int record_decode(const uint8_t *pt, size_t len, channel_record *r)
{
    if (len < RECORD_HEADER_LEN)
        return -1;
    channel_record d = {
        .kind = pt[0],
        .flags = pt[1],
        .seq = get_be(pt + 2, 8),
        .ack = get_be(pt + 10, 8),
        .echo_of = get_be(pt + 18, 8),
        .frag_idx = (uint32_t)get_be(pt + 26, 4),
        .frag_count = (uint32_t)get_be(pt + 30, 4),
        .body = pt + RECORD_HEADER_LEN,
        .body_len = len - RECORD_HEADER_LEN,
    };
    if (record_validate(&d) != 0)
        return -1;
    *r = d;
    return 0;
}
