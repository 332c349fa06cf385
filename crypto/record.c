/* record: the plaintext record codec (layout in docs/PROTOCOL.md):
 *   kind u8 | flags u8 | seq u64 | ack u64 | echo_of u64 | frag_idx u32 | frag_count u32 |
 *   body_len u32 | body | zeros up to record_padded_len */
#include "crypto/record.h"
#include "sys/be.h"

#include <stdbool.h>
#include <string.h>

int record_validate(const channel_record *r)
{
    if (r->kind < RECORD_MSG || r->kind > RECORD_CLOSE)
        return -1;
    if ((r->flags & ~RECORD_FLAG_ECHO) != 0)
        return -1; /* reserved flag bits */
    if (r->kind == RECORD_MSG && r->seq == 0)
        return -1;
    if (r->frag_count < 1 || r->frag_idx >= r->frag_count)
        return -1;
    if (r->kind != RECORD_MSG && (r->seq != 0 || r->frag_idx != 0 || r->frag_count != 1))
        return -1;
    if (r->body_len > CHANNEL_MAX_BODY)
        return -1;
    return 0;
}

static unsigned floor_log2(size_t v)
{
    unsigned n = 0;
    while (v >>= 1)
        n++;
    return n;
}

size_t record_padded_len(size_t len)
{
    if (len <= RECORD_MIN_PADDED)
        return RECORD_MIN_PADDED;
    unsigned e = floor_log2(len), s = floor_log2(e) + 1;
    size_t mask = ((size_t)1 << (e - s)) - 1;
    return (len + mask) & ~mask;
}

size_t record_encode(uint8_t *out, const channel_record *r)
{
    size_t len = RECORD_HEADER_LEN + r->body_len, padded = record_padded_len(len);
    out[0] = r->kind;
    out[1] = r->flags;
    be_put(out + 2, r->seq, 8);
    be_put(out + 10, r->ack, 8);
    be_put(out + 18, r->echo_of, 8);
    be_put(out + 26, r->frag_idx, 4);
    be_put(out + 30, r->frag_count, 4);
    be_put(out + 34, r->body_len, 4);
    if (r->body_len > 0)
        memcpy(out + RECORD_HEADER_LEN, r->body, r->body_len);
    memset(out + len, 0, padded - len);
    return padded;
}

static bool zeros(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

int record_decode(const uint8_t *pt, size_t len, channel_record *r)
{
    if (len < RECORD_HEADER_LEN)
        return -1;
    size_t body_len = (size_t)be_get(pt + 34, 4);
    if (body_len > len - RECORD_HEADER_LEN)
        return -1;
    size_t used = RECORD_HEADER_LEN + body_len;
    if (record_padded_len(used) != len || !zeros(pt + used, len - used))
        return -1;
    channel_record d = {
        .kind = pt[0],
        .flags = pt[1],
        .seq = be_get(pt + 2, 8),
        .ack = be_get(pt + 10, 8),
        .echo_of = be_get(pt + 18, 8),
        .frag_idx = (uint32_t)be_get(pt + 26, 4),
        .frag_count = (uint32_t)be_get(pt + 30, 4),
        .body = pt + RECORD_HEADER_LEN,
        .body_len = body_len,
    };
    if (record_validate(&d) != 0)
        return -1;
    *r = d;
    return 0;
}
