/* record: the record layer under a channel (internal to crypto/).
 *
 * The codec turns a channel_record into its 38-byte big-endian plaintext header, body and zero
 * padding up to a bucket (record_padded_len) and back, refusing impossible field combinations,
 * reserved flags and any padding that is not exactly the bucket's zeros. The sender and receiver
 * hold one direction's keys: explicit nonces, key epochs (epoch = nonce / interval, Noise Rekey()
 * once per epoch boundary) and, for the receiver, the replay window. A receiver keeps the key of
 * the newest epoch it accepted and of the oldest epoch that still has nonces inside the replay
 * window; keys of later epochs (at most RECORD_MAX_EPOCH_SKIP ahead) are derived on a copy and kept
 * only once a frame authenticated with them. Failed seals and opens change nothing. */
#ifndef KCHAT_RECORD_H
#define KCHAT_RECORD_H

#include "crypto/channel.h"
#include "crypto/frame.h"
#include "crypto/noise.h"
#include "crypto/replay.h"

#include <stddef.h>
#include <stdint.h>

/* A frame more than this many epochs ahead of the receiver is refused (CHANNEL_REPLAYED) before
 * any key derivation: a forged frame costs at most this many Rekey() (one ChaCha20 block each)
 * and one failed decryption, about three times the work of opening a genuine small frame. With
 * intervals of at least CHANNEL_MIN_REKEY_INTERVAL (the replay window) reordering inside the
 * window never crosses more than one epoch. */
#define RECORD_MAX_EPOCH_SKIP 2u

/* 0 when r is a valid record (kind, reserved flags zero, a message has seq >= 1, fragment
 * position, ACK/CLOSE/BATCH carry seq 0 and no fragments, body within CHANNEL_MAX_BODY, a batch
 * has flags and echo_of 0 and a well-formed body); -1 otherwise. */
int record_validate(const channel_record *r);
/* 0 when body (len bytes) is a well-formed batch body: count within RECORD_BATCH_MIN..
 * RECORD_BATCH_MAX, that many entries each a valid whole message, seqs strictly increasing, no
 * byte left over; -1 otherwise. */
int record_batch_check(const uint8_t *body, size_t len);
/* 0 when msgs[0..n) can be sealed as one batch (see channel_seal_batch); -1 otherwise. */
int record_batch_msgs_valid(const channel_record *msgs, size_t n);
/* The body length of a batch of msgs[0..n). */
size_t record_batch_len(const channel_record *msgs, size_t n);
/* Writes the padded plaintext of a batch record carrying ack and msgs[0..n) (valid) to out;
 * returns its length. */
size_t record_encode_batch(uint8_t *out, uint64_t ack, const channel_record *msgs, size_t n);
/* The padded length of a plaintext of len bytes (header and body): RECORD_MIN_PADDED up to
 * that, above it Padme(len): len rounded up to a multiple of 2^(E - S), E = floor(log2 len),
 * S = floor(log2 E) + 1. */
size_t record_padded_len(size_t len);
/* Writes the padded plaintext of r (header, body, zeros) to out; returns its length,
 * record_padded_len(RECORD_HEADER_LEN + r->body_len). */
size_t record_encode(uint8_t *out, const channel_record *r);
/* 0 and r filled (body pointing into pt) when pt holds a valid record with exactly its padding,
 * all zero; -1 otherwise. */
int record_decode(const uint8_t *pt, size_t len, channel_record *r);

typedef struct record_sender {
    noise_cipher *key; /* key of epoch */
    uint64_t epoch;
    uint64_t next; /* next nonce */
    uint64_t interval;
} record_sender;

typedef struct record_receiver {
    noise_cipher *cur; /* key of cur_epoch: the epoch of the highest accepted nonce */
    uint64_t cur_epoch;
    noise_cipher *old; /* key of old_epoch (oldest epoch in the window); NULL: same as cur */
    uint64_t old_epoch;
    uint64_t interval;
    replay_window win;
    uint64_t rekeys; /* Rekey() operations done so far (for tests of the cost bound) */
} record_receiver;

/* Take ownership of key (a split cipher). interval >= 1. */
void record_sender_init(record_sender *s, noise_cipher *key, uint64_t interval);
void record_receiver_init(record_receiver *r, noise_cipher *key, uint64_t interval);
void record_sender_free(record_sender *s);
void record_receiver_free(record_receiver *r);

/* Seals a valid record into a data (or close) frame with the next nonce. scratch holds
 * CHANNEL_MAX_RECORD bytes; it is wiped afterwards. Returns a channel_result. */
int record_seal(record_sender *s, const uint8_t session[FRAME_SESSION_LEN], const channel_record *r,
                uint8_t *scratch, uint8_t *out, size_t cap, size_t *outlen);
/* The same for a batch record of msgs[0..n) (valid: record_batch_msgs_valid) carrying ack. */
int record_seal_batch(record_sender *s, const uint8_t session[FRAME_SESSION_LEN], uint64_t ack,
                      const channel_record *msgs, size_t n, uint8_t *scratch, uint8_t *out,
                      size_t cap, size_t *outlen);
/* Jumps the sender to a fresh key epoch. */
int record_sender_rekey_now(record_sender *s);
/* Test hook: sets the next nonce. A jump of more than RECORD_MAX_EPOCH_SKIP epochs (or
 * backwards) relabels the current key instead of deriving, so the peer cannot open it. */
void record_sender_set_next(record_sender *s, uint64_t n);

/* Opens a parsed data or close frame of our session: replay check, key epoch, decryption, record
 * validation, and only then commits. Returns a channel_result. */
int record_open(record_receiver *rx, const frame *f, channel_record *r, uint8_t *buf, size_t cap,
                uint64_t *nonce_out);

#endif
