/* record: the plaintext record codec (layout in docs/PROTOCOL.md):
 *   kind u8 | flags u8 | seq u64 | ack u64 | echo_of u64 | frag_idx u32 | frag_count u32 |
 *   body_len u32 | body | zeros up to record_padded_len
 * and, for a batch record (kind 4), its body:
 *   count u16 | count x (flags u8 | seq u64 | echo_of u64 | len u32 | len bytes) */
#include "crypto/record.h"
#include "sys/be.h"

#include <stdbool.h>
#include <string.h>

/* Reads the batch entry at *pos of body (len bytes) into m; -1 when it does not fit or is no
 * valid message. */
static int batch_entry(const uint8_t *body, size_t len, size_t *pos, channel_record *m)
{
    if (len - *pos < RECORD_BATCH_ENTRY_LEN)
        return -1;
    const uint8_t *p = body + *pos;
    size_t n = (size_t)be_get(p + 17, 4);
    if (n > len - *pos - RECORD_BATCH_ENTRY_LEN)
        return -1;
    channel_record d = {.kind = RECORD_MSG,
                        .flags = p[0],
                        .seq = be_get(p + 1, 8),
                        .echo_of = be_get(p + 9, 8),
                        .frag_count = 1,
                        .body = p + RECORD_BATCH_ENTRY_LEN,
                        .body_len = n};
    if (record_validate(&d) != 0)
        return -1;
    *pos += RECORD_BATCH_ENTRY_LEN + n;
    *m = d;
    return 0;
}

int record_batch_check(const uint8_t *body, size_t len)
{
    if (body == NULL || len < RECORD_BATCH_COUNT_LEN || len > CHANNEL_MAX_BODY)
        return -1;
    size_t count = (size_t)be_get(body, 2), pos = RECORD_BATCH_COUNT_LEN;
    if (count < RECORD_BATCH_MIN || count > RECORD_BATCH_MAX)
        return -1;
    uint64_t last = 0;
    for (size_t i = 0; i < count; i++) {
        channel_record m;
        if (batch_entry(body, len, &pos, &m) != 0 || m.seq <= last)
            return -1; /* cut short, an invalid message, or a seq not above the one before */
        last = m.seq;
    }
    return pos == len ? 0 : -1;
}

/* Later calls trust *pos to be where the previous one left it. */
int channel_batch_next(const channel_record *batch, size_t *pos, channel_record *msg)
{
    if (batch == NULL || pos == NULL || msg == NULL || batch->kind != RECORD_BATCH)
        return -1;
    if (*pos == 0) { /* the whole batch is checked once, before its first message */
        if (record_validate(batch) != 0)
            return -1;
        *pos = RECORD_BATCH_COUNT_LEN;
    }
    if (*pos >= batch->body_len)
        return 0;
    if (batch_entry(batch->body, batch->body_len, pos, msg) != 0)
        return -1;
    msg->ack = batch->ack;
    return 1;
}

int record_batch_msgs_valid(const channel_record *msgs, size_t n)
{
    if (msgs == NULL || n < RECORD_BATCH_MIN || n > RECORD_BATCH_MAX)
        return -1;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const channel_record *m = &msgs[i];
        if (m->kind != RECORD_MSG || m->frag_idx != 0 || m->frag_count != 1 ||
            record_validate(m) != 0 || (m->body == NULL && m->body_len > 0) ||
            (i > 0 && m->seq <= msgs[i - 1].seq))
            return -1;
        bytes += m->body_len;
        if (CHANNEL_BATCH_LEN(i + 1, bytes) > CHANNEL_MAX_BODY)
            return -1;
    }
    return 0;
}

int record_validate(const channel_record *r)
{
    if (r->kind < RECORD_MSG || r->kind > RECORD_BATCH)
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
    if (r->kind == RECORD_BATCH &&
        (r->flags != 0 || r->echo_of != 0 || record_batch_check(r->body, r->body_len) != 0))
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

static void encode_header(uint8_t *out, const channel_record *r)
{
    out[0] = r->kind;
    out[1] = r->flags;
    be_put(out + 2, r->seq, 8);
    be_put(out + 10, r->ack, 8);
    be_put(out + 18, r->echo_of, 8);
    be_put(out + 26, r->frag_idx, 4);
    be_put(out + 30, r->frag_count, 4);
    be_put(out + 34, r->body_len, 4);
}

size_t record_encode(uint8_t *out, const channel_record *r)
{
    size_t len = RECORD_HEADER_LEN + r->body_len, padded = record_padded_len(len);
    encode_header(out, r);
    if (r->body_len > 0)
        memcpy(out + RECORD_HEADER_LEN, r->body, r->body_len);
    memset(out + len, 0, padded - len);
    return padded;
}

size_t record_batch_len(const channel_record *msgs, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += msgs[i].body_len;
    return CHANNEL_BATCH_LEN(n, bytes);
}

size_t record_encode_batch(uint8_t *out, uint64_t ack, const channel_record *msgs, size_t n)
{
    size_t body_len = record_batch_len(msgs, n);
    size_t len = RECORD_HEADER_LEN + body_len, padded = record_padded_len(len);
    channel_record h = {.kind = RECORD_BATCH, .ack = ack, .frag_count = 1, .body_len = body_len};
    encode_header(out, &h);
    uint8_t *p = out + RECORD_HEADER_LEN;
    be_put(p, n, 2);
    p += RECORD_BATCH_COUNT_LEN;
    for (size_t i = 0; i < n; i++) {
        p[0] = msgs[i].flags;
        be_put(p + 1, msgs[i].seq, 8);
        be_put(p + 9, msgs[i].echo_of, 8);
        be_put(p + 17, msgs[i].body_len, 4);
        if (msgs[i].body_len > 0)
            memcpy(p + RECORD_BATCH_ENTRY_LEN, msgs[i].body, msgs[i].body_len);
        p += RECORD_BATCH_ENTRY_LEN + msgs[i].body_len;
    }
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
