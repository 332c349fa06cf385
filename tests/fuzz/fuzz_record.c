/* libFuzzer target: the record plaintext codec (record_decode) and the batch body parser
 * (record_batch_check, channel_batch_next) on arbitrary bytes. Never crashes or reads past the
 * input; what parses keeps its invariants (2..RECORD_BATCH_MAX whole messages, seqs strictly
 * increasing, bodies inside the input) and re-encodes to exactly the input: one encoding per
 * content. The input is tried as a batch body and as a record's padded plaintext. */
#include "crypto/record.h"

#include <stdlib.h>
#include <string.h>

static uint8_t pt[CHANNEL_MAX_PADDED], again[CHANNEL_MAX_PADDED];
static channel_record msgs[RECORD_BATCH_MAX];

/* Reads every message of an accepted batch record and checks it against its bytes. */
static size_t read_batch(const channel_record *b)
{
    size_t pos = 0, n = 0;
    channel_record m;
    int rc;
    while ((rc = channel_batch_next(b, &pos, &m)) == 1) {
        if (n == RECORD_BATCH_MAX || m.kind != RECORD_MSG || m.seq == 0 || m.frag_idx != 0 ||
            m.frag_count != 1 || m.ack != b->ack || (n > 0 && m.seq <= msgs[n - 1].seq) ||
            m.body < b->body || m.body + m.body_len > b->body + b->body_len)
            abort();
        msgs[n++] = m;
    }
    if (rc != 0 || n < RECORD_BATCH_MIN || pos != b->body_len)
        abort();
    return n;
}

static void check_batch_body(const uint8_t *data, size_t size)
{
    if (record_batch_check(data, size) != 0)
        return;
    channel_record b = {
        .kind = RECORD_BATCH, .ack = 7, .frag_count = 1, .body = data, .body_len = size};
    size_t n = read_batch(&b);
    if (record_batch_msgs_valid(msgs, n) != 0 || record_batch_len(msgs, n) != size)
        abort();
    size_t len = record_encode_batch(again, 7, msgs, n);
    if (len != record_padded_len(RECORD_HEADER_LEN + size) ||
        memcmp(again + RECORD_HEADER_LEN, data, size) != 0)
        abort();
    channel_record d;
    if (record_decode(again, len, &d) != 0 || d.kind != RECORD_BATCH || d.body_len != size)
        abort();
}

static void check_plaintext(const uint8_t *data, size_t size)
{
    channel_record r;
    if (record_decode(data, size, &r) != 0)
        return;
    if (record_validate(&r) != 0 || r.body != data + RECORD_HEADER_LEN ||
        RECORD_HEADER_LEN + r.body_len > size)
        abort();
    if (r.kind == RECORD_BATCH)
        read_batch(&r);
    if (record_encode(pt, &r) != size || memcmp(pt, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > CHANNEL_MAX_PADDED)
        return 0;
    check_batch_body(data, size);
    check_plaintext(data, size);
    return 0;
}
