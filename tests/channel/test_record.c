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
        {4, 1, 0, 1, FRAME_DATA},
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
    noise_cipher_free(tx_key);
    noise_cipher_free(rx_key);
    return check_summary();
}
