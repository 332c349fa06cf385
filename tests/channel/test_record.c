/* Record layer: authenticated but malformed plaintext is refused without changing state; the
 * record codec's field checks. Uses raw Noise ciphers to seal arbitrary plaintext. */
#include "crypto/record.h"
#include "support/check.h"

#include <sodium.h>
#include <string.h>

static noise_cipher *tx_key, *rx_key;
static const uint8_t session[FRAME_SESSION_LEN] = {9};

/* A Noise XX handshake between two random keys; the initiator's send/responder's receive. */
static void make_keys(void)
{
    uint8_t si[32], sr[32], msg[NOISE_MAX_MSG];
    size_t len = 0;
    noise_handshake *i = NULL, *r = NULL;
    noise_cipher *i_send, *i_recv, *r_send, *r_recv;
    randombytes_buf(si, 32);
    randombytes_buf(sr, 32);
    CHECK(noise_handshake_new(&i, NOISE_XX, true, NULL, 0, si, NULL) == NOISE_OK);
    CHECK(noise_handshake_new(&r, NOISE_XX, false, NULL, 0, sr, NULL) == NOISE_OK);
    CHECK(noise_handshake_write(i, NULL, 0, msg, sizeof(msg), &len) == NOISE_OK);
    CHECK(noise_handshake_read(r, msg, len, NULL, 0, NULL) == NOISE_OK);
    CHECK(noise_handshake_write(r, NULL, 0, msg, sizeof(msg), &len) == NOISE_OK);
    CHECK(noise_handshake_read(i, msg, len, NULL, 0, NULL) == NOISE_OK);
    CHECK(noise_handshake_write(i, NULL, 0, msg, sizeof(msg), &len) == NOISE_OK);
    CHECK(noise_handshake_read(r, msg, len, NULL, 0, NULL) == NOISE_OK);
    CHECK(noise_handshake_split(i, &i_send, &i_recv) == NOISE_OK);
    CHECK(noise_handshake_split(r, &r_send, &r_recv) == NOISE_OK);
    tx_key = i_send;
    rx_key = r_recv;
    noise_cipher_free(i_recv);
    noise_cipher_free(r_send);
    noise_handshake_free(i);
    noise_handshake_free(r);
}

/* Seals pt (any bytes) as a frame of the given type and nonce with the sending key. */
static size_t seal_raw(uint8_t *out, frame_type type, uint64_t n, const uint8_t *pt, size_t len)
{
    size_t h = frame_write_header(out, type, session, n);
    CHECK(noise_cipher_encrypt_n(tx_key, n, out, h, pt, len, out + h) == NOISE_OK);
    return h + len + NOISE_TAG_LEN;
}

static int open_raw(record_receiver *rx, const uint8_t *in, size_t len, channel_record *r)
{
    static uint8_t buf[NOISE_MAX_MSG];
    frame f;
    if (frame_parse(in, len, &f) != 0)
        return CHANNEL_MALFORMED;
    return record_open(rx, &f, r, buf, sizeof(buf), NULL);
}

static size_t encode(uint8_t *pt, uint8_t kind, uint64_t seq, uint32_t idx, uint32_t count)
{
    channel_record r = {.kind = kind, .seq = seq, .frag_idx = idx, .frag_count = count};
    return record_encode(pt, &r);
}

static void test_malformed_plaintext(void)
{
    static uint8_t frame_buf[NOISE_MAX_MSG + 64];
    uint8_t pt[RECORD_MIN_PADDED] = {0};
    channel_record r;
    record_receiver rx;
    record_receiver_init(&rx, noise_cipher_clone(rx_key), CHANNEL_MIN_REKEY_INTERVAL);
    struct {
        uint8_t kind;
        uint64_t seq;
        uint32_t idx, count;
        frame_type type;
    } bad[] = {
        {0, 1, 0, 1, FRAME_DATA},
        {5, 0, 0, 1, FRAME_DATA},
        {RECORD_BATCH, 0, 0, 1, FRAME_DATA}, /* a batch without a body */
        {RECORD_MSG, 1, 0, 0, FRAME_DATA},
        {RECORD_MSG, 1, 5, 5, FRAME_DATA},
        {RECORD_MSG, 0, 0, 1, FRAME_DATA}, /* a message has seq >= 1 */
        {RECORD_ACK, 3, 0, 1, FRAME_DATA},
        {RECORD_ACK, 0, 1, 2, FRAME_DATA},
        {RECORD_CLOSE, 2, 0, 1, FRAME_CLOSE},
        {RECORD_CLOSE, 0, 0, 1, FRAME_DATA}, /* a close record in a data frame */
        {RECORD_MSG, 1, 0, 1, FRAME_CLOSE},  /* a message in a close frame */
        {RECORD_ACK, 0, 0, 1, FRAME_CLOSE},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(encode(pt, bad[i].kind, bad[i].seq, bad[i].idx, bad[i].count) == sizeof(pt));
        size_t len = seal_raw(frame_buf, bad[i].type, 7, pt, sizeof(pt));
        CHECK(open_raw(&rx, frame_buf, len, &r) == CHANNEL_MALFORMED);
    }
    /* Too short for a record header, or not padded to its bucket. */
    encode(pt, RECORD_MSG, 1, 0, 1);
    size_t lens[] = {0, RECORD_HEADER_LEN - 1, RECORD_HEADER_LEN, sizeof(pt) - 1};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t len = seal_raw(frame_buf, FRAME_DATA, 7, pt, lens[i]);
        CHECK(open_raw(&rx, frame_buf, len, &r) == CHANNEL_MALFORMED);
    }
    /* Reserved flags, a nonzero padding byte, a body length past the padding or not matching
     * the bucket. */
    const size_t at[] = {1, RECORD_HEADER_LEN + 5, sizeof(pt) - 1, 34, 35, 36, 37};
    const uint8_t val[] = {0x02, 1, 0x80, 1, 1, 1, 0xff};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        encode(pt, RECORD_MSG, 1, 0, 1);
        pt[at[i]] = val[i];
        size_t len = seal_raw(frame_buf, FRAME_DATA, 7, pt, sizeof(pt));
        CHECK(open_raw(&rx, frame_buf, len, &r) == CHANNEL_MALFORMED);
    }
    /* None of that consumed nonce 7 or moved the window. */
    CHECK(rx.win.top == 0 && rx.cur_epoch == 0);
    encode(pt, RECORD_MSG, 1, 0, 1);
    pt[37] = 4; /* body_len 4: four zero bytes of body */
    size_t len = seal_raw(frame_buf, FRAME_DATA, 7, pt, sizeof(pt));
    CHECK(open_raw(&rx, frame_buf, len, &r) == CHANNEL_OK);
    CHECK(r.kind == RECORD_MSG && r.seq == 1 && r.body_len == 4);
    CHECK(open_raw(&rx, frame_buf, len, &r) == CHANNEL_REPLAYED);
    record_receiver_free(&rx);
}

static void test_codec(void)
{
    static uint8_t pt[CHANNEL_MAX_PADDED];
    const uint8_t body[3] = {'a', 'b', 'c'};
    channel_record r = {.kind = RECORD_MSG,
                        .flags = RECORD_FLAG_ECHO,
                        .seq = 0x0102030405060708u,
                        .ack = 0x1112131415161718u,
                        .echo_of = 0x2122232425262728u,
                        .frag_idx = 0x31323334u,
                        .frag_count = 0x41424344u,
                        .body = body,
                        .body_len = 3};
    memset(pt, 0xee, sizeof(pt));
    CHECK(record_encode(pt, &r) == RECORD_MIN_PADDED);
    const uint8_t want[RECORD_HEADER_LEN + 3] = {
        1,    0x01, 1,    2,    3,    4,    5,    6,    7,    8,    0x11, 0x12, 0x13, 0x14,
        0x15, 0x16, 0x17, 0x18, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x31, 0x32,
        0x33, 0x34, 0x41, 0x42, 0x43, 0x44, 0,    0,    0,    3,    'a',  'b',  'c'};
    CHECK(memcmp(pt, want, sizeof(want)) == 0);
    for (size_t i = sizeof(want); i < RECORD_MIN_PADDED; i++)
        CHECK(pt[i] == 0);
    CHECK(pt[RECORD_MIN_PADDED] == 0xee);
    channel_record d;
    CHECK(record_decode(pt, RECORD_MIN_PADDED, &d) == 0);
    CHECK(d.seq == r.seq && d.ack == r.ack && d.echo_of == r.echo_of && d.flags == r.flags);
    CHECK(d.frag_idx == r.frag_idx && d.frag_count == r.frag_count && d.body == pt + 38);
    CHECK(d.body_len == 3);
    CHECK(record_decode(pt, RECORD_MIN_PADDED - 1, &d) == -1);
    CHECK(record_decode(pt, RECORD_HEADER_LEN - 1, &d) == -1);
    r.body_len = CHANNEL_MAX_BODY + 1;
    CHECK(record_validate(&r) == -1);
    r.body_len = 3;
    r.flags = 0x02;
    CHECK(record_validate(&r) == -1);
}

/* A raw batch body: count, then n entries (flags, seq, echo_of, len, bytes 'a'+i). */
typedef struct raw_entry {
    uint8_t flags;
    uint64_t seq, echo_of;
    uint32_t len;
} raw_entry;

static size_t raw_batch(uint8_t *out, uint16_t count, const raw_entry *e, size_t n)
{
    size_t pos = 2;
    out[0] = (uint8_t)(count >> 8);
    out[1] = (uint8_t)count;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = out + pos;
        p[0] = e[i].flags;
        for (int b = 0; b < 8; b++) {
            p[1 + b] = (uint8_t)(e[i].seq >> (56 - 8 * b));
            p[9 + b] = (uint8_t)(e[i].echo_of >> (56 - 8 * b));
        }
        for (int b = 0; b < 4; b++)
            p[17 + b] = (uint8_t)(e[i].len >> (24 - 8 * b));
        memset(p + 21, 'a' + (int)i, e[i].len);
        pos += 21 + e[i].len;
    }
    return pos;
}

/* Seals a batch record (header fields as given, body raw) and opens it. */
static int open_batch(record_receiver *rx, frame_type type, uint8_t flags, uint64_t seq,
                      uint32_t idx, uint32_t count, const uint8_t *body, size_t body_len)
{
    static uint8_t pt[CHANNEL_MAX_PADDED], frame_buf[CHANNEL_MAX_FRAME];
    static uint8_t buf[CHANNEL_MAX_PADDED];
    channel_record h = {.kind = RECORD_BATCH,
                        .flags = flags,
                        .seq = seq,
                        .ack = 9,
                        .frag_idx = idx,
                        .frag_count = count,
                        .body = body,
                        .body_len = body_len};
    size_t ptlen = record_encode(pt, &h);
    size_t hl = frame_write_header(frame_buf, type, session, 11);
    CHECK(noise_cipher_encrypt_long_n(tx_key, 11, frame_buf, hl, pt, ptlen, frame_buf + hl) ==
          NOISE_OK);
    frame f;
    CHECK(frame_parse(frame_buf, hl + ptlen + NOISE_TAG_LEN, &f) == 0);
    channel_record r;
    return record_open(rx, &f, &r, buf, sizeof(buf), NULL);
}

/* A batch encodes as documented and reads back message by message. */
static void test_batch_codec(void)
{
    static uint8_t pt[CHANNEL_MAX_PADDED];
    const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};
    channel_record m[3] = {
        {.kind = RECORD_MSG, .seq = 7, .frag_count = 1, .body = hello, .body_len = 5},
        {.kind = RECORD_MSG, .seq = 8, .frag_count = 1, .body = NULL, .body_len = 0},
        {.kind = RECORD_MSG,
         .flags = RECORD_FLAG_ECHO,
         .seq = 0x0102030405060708u,
         .echo_of = 0x1112131415161718u,
         .frag_count = 1,
         .body = hello,
         .body_len = 2},
    };
    CHECK(record_batch_msgs_valid(m, 3) == 0);
    CHECK(record_batch_len(m, 3) == 2 + 3 * 21 + 7);
    CHECK(record_encode_batch(pt, 0x2122232425262728u, m, 3) == RECORD_MIN_PADDED);
    const uint8_t want[] = {
        4,    0,    0,    0,    0,    0,    0,    0,    0,   0, /* kind 4, flags 0, seq 0 */
        0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,         /* ack */
        0,    0,    0,    0,    0,    0,    0,    0,            /* echo_of 0 */
        0,    0,    0,    0,    0,    0,    0,    1,            /* fragment 0 of 1 */
        0,    0,    0,    72,                                   /* body_len 2 + 63 + 7 */
        0,    3,                                                /* count */
        0,    0,    0,    0,    0,    0,    0,    0,    7,      /* flags, seq 7 */
        0,    0,    0,    0,    0,    0,    0,    0,            /* echo_of */
        0,    0,    0,    5,    'h',  'e',  'l',  'l',  'o',    /* len, text */
        0,    0,    0,    0,    0,    0,    0,    0,    8,   0, 0, 0, 0,   0,  0,
        0,    0,    0,    0,    0,    0,    1,    1,    2,   3, 4, 5, 6,   7,  8,
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0,   0, 0, 2, 'h', 'e'};
    CHECK(sizeof(want) == RECORD_HEADER_LEN + 72);
    CHECK(memcmp(pt, want, sizeof(want)) == 0);
    channel_record d, got;
    CHECK(record_decode(pt, RECORD_MIN_PADDED, &d) == 0);
    CHECK(d.kind == RECORD_BATCH && d.ack == 0x2122232425262728u && d.body_len == 72);
    size_t pos = 0;
    for (size_t i = 0; i < 3; i++) {
        CHECK(channel_batch_next(&d, &pos, &got) == 1);
        CHECK(got.kind == RECORD_MSG && got.flags == m[i].flags && got.seq == m[i].seq);
        CHECK(got.echo_of == m[i].echo_of && got.ack == d.ack && got.body_len == m[i].body_len);
        CHECK(got.frag_idx == 0 && got.frag_count == 1);
        CHECK(got.body_len == 0 || memcmp(got.body, m[i].body, got.body_len) == 0);
    }
    CHECK(channel_batch_next(&d, &pos, &got) == 0);
    channel_record single = {.kind = RECORD_MSG, .seq = 1, .frag_count = 1};
    pos = 0;
    CHECK(channel_batch_next(&single, &pos, &got) == -1);
}

/* What a sender may not put into one batch. */
static void test_batch_bounds(void)
{
    static channel_record m[RECORD_BATCH_MAX + 1];
    static uint8_t big[CHANNEL_MAX_BODY];
    for (size_t i = 0; i <= RECORD_BATCH_MAX; i++)
        m[i] = (channel_record){.kind = RECORD_MSG, .seq = i + 1, .frag_count = 1};
    CHECK(record_batch_msgs_valid(m, RECORD_BATCH_MAX) == 0);
    CHECK(record_batch_msgs_valid(m, RECORD_BATCH_MAX + 1) == -1);
    CHECK(record_batch_msgs_valid(m, 1) == -1); /* one message goes as a message record */
    CHECK(record_batch_msgs_valid(m, 0) == -1);
    m[1].seq = 1; /* duplicate */
    CHECK(record_batch_msgs_valid(m, 2) == -1);
    m[1].seq = 2;
    m[1].frag_count = 2; /* a fragment */
    CHECK(record_batch_msgs_valid(m, 2) == -1);
    m[1].frag_count = 1;
    m[1].kind = RECORD_ACK;
    CHECK(record_batch_msgs_valid(m, 2) == -1);
    m[1].kind = RECORD_MSG;
    m[1].flags = 0x04;
    CHECK(record_batch_msgs_valid(m, 2) == -1);
    m[1].flags = 0;
    /* The whole body within CHANNEL_MAX_BODY: exactly full is fine, one byte more is not. */
    m[0].body = m[1].body = big;
    m[0].body_len = 1000;
    m[1].body_len = CHANNEL_MAX_BODY - CHANNEL_BATCH_LEN(2, 1000);
    CHECK(record_batch_msgs_valid(m, 2) == 0);
    CHECK(record_batch_len(m, 2) == CHANNEL_MAX_BODY);
    m[1].body_len++;
    CHECK(record_batch_msgs_valid(m, 2) == -1);
}

/* Every malformed batch is refused after authentication, changing nothing. */
static void test_batch_malformed(void)
{
    static uint8_t body[CHANNEL_MAX_BODY];
    record_receiver rx;
    record_receiver_init(&rx, noise_cipher_clone(rx_key), CHANNEL_MIN_REKEY_INTERVAL);
    const raw_entry ok[2] = {{0, 1, 0, 3}, {RECORD_FLAG_ECHO, 2, 5, 0}};
    size_t len = raw_batch(body, 2, ok, 2);
    /* The header of a batch: flags, seq, fragments; and no batch in a close frame. */
    CHECK(open_batch(&rx, FRAME_DATA, 1, 0, 0, 1, body, len) == CHANNEL_MALFORMED);
    CHECK(open_batch(&rx, FRAME_DATA, 0, 1, 0, 1, body, len) == CHANNEL_MALFORMED);
    CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 1, 2, body, len) == CHANNEL_MALFORMED);
    CHECK(open_batch(&rx, FRAME_CLOSE, 0, 0, 0, 1, body, len) == CHANNEL_MALFORMED);
    /* Counts: below 2, above the maximum, not matching the entries either way. */
    const uint16_t counts[] = {0, 1, 3, RECORD_BATCH_MAX + 1, 0xffff};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        len = raw_batch(body, counts[i], ok, 2);
        CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 0, 1, body, len) == CHANNEL_MALFORMED);
    }
    const raw_entry three[3] = {{0, 1, 0, 3}, {0, 2, 0, 1}, {0, 3, 0, 0}};
    len = raw_batch(body, 2, three, 3); /* bytes left after the counted entries */
    CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 0, 1, body, len) == CHANNEL_MALFORMED);
    /* Bad entries: seq 0, reserved flags, a duplicate, a seq going down. */
    const raw_entry bad[][2] = {
        {{0, 0, 0, 1}, {0, 1, 0, 1}},
        {{0, 1, 0, 1}, {0x02, 2, 0, 1}},
        {{0, 4, 0, 1}, {0, 4, 0, 1}},
        {{0, 5, 0, 1}, {0, 4, 0, 1}},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        len = raw_batch(body, 2, bad[i], 2);
        CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 0, 1, body, len) == CHANNEL_MALFORMED);
    }
    /* Cut short: inside the count, inside an entry header, inside a text; a length past the end. */
    len = raw_batch(body, 2, ok, 2);
    const size_t cuts[] = {0, 1, 2, 10, 2 + 21 + 2, len - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
        CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 0, 1, body, cuts[i]) == CHANNEL_MALFORMED);
    body[2 + 21 + 3 + 20] = 1; /* the second entry claims one byte more than is left */
    CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 0, 1, body, len) == CHANNEL_MALFORMED);
    body[2 + 17] = 0xff; /* the first entry's length far past the end */
    CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 0, 1, body, len) == CHANNEL_MALFORMED);
    /* None of it consumed nonce 11 or moved the window; the genuine batch still opens. */
    CHECK(rx.win.top == 0 && rx.cur_epoch == 0);
    len = raw_batch(body, 2, ok, 2);
    CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 0, 1, body, len) == CHANNEL_OK);
    CHECK(open_batch(&rx, FRAME_DATA, 0, 0, 0, 1, body, len) == CHANNEL_REPLAYED);
    record_receiver_free(&rx);
    /* The largest count with empty texts is fine. */
    static raw_entry many[RECORD_BATCH_MAX];
    for (size_t i = 0; i < RECORD_BATCH_MAX; i++)
        many[i] = (raw_entry){0, i + 1, 0, 0};
    len = raw_batch(body, RECORD_BATCH_MAX, many, RECORD_BATCH_MAX);
    CHECK(record_batch_check(body, len) == 0);
    body[1]++; /* count 4097 with 4096 entries */
    CHECK(record_batch_check(body, len) == -1);
}

/* The buckets of docs/PROTOCOL.md. */
static void test_buckets(void)
{
    const size_t in[] = {0,    1,     38,    256,   257,   300,    1062,   65574,
                         4096, 65536, 65537, 66000, 99999, 258048, 258049, 262128};
    const size_t out[] = {256,  256,   256,   256,   272,    304,    1088,   67584,
                          4096, 65536, 67584, 67584, 100352, 258048, 262144, 262144};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        CHECK(record_padded_len(in[i]) == out[i]);
    CHECK(CHANNEL_MAX_PADDED + NOISE_TAG_LEN <= CHANNEL_MAX_RECORD);
    CHECK(record_padded_len(CHANNEL_MAX_PADDED + 1) + NOISE_TAG_LEN > CHANNEL_MAX_RECORD);
    CHECK(CHANNEL_MAX_BODY == 258010u);
    /* Overhead: above 256 bytes Padme adds less than 1/16 (6.25%). */
    for (size_t len = RECORD_MIN_PADDED; len <= CHANNEL_MAX_PADDED; len += 7) {
        size_t p = record_padded_len(len);
        CHECK(p >= len && (p - len) * 16 < len);
        CHECK(record_padded_len(p) == p);
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 2;
    make_keys();
    test_codec();
    test_buckets();
    test_malformed_plaintext();
    test_batch_codec();
    test_batch_bounds();
    test_batch_malformed();
    noise_cipher_free(tx_key);
    noise_cipher_free(rx_key);
    return check_summary();
}
