/* channel: one secure channel between two identities, over frames (crypto/frame.h).
 *
 * Handshake: Noise XX or XXpsk3 (crypto/noise.h) with the identity as the static key. The
 * prologue binds the protocol label, the session id and both topic names, so a handshake cannot be
 * moved to other topics or sessions. Trust (crypto/trust.h) is checked as soon as the peer's
 * static key is known: the initiator refuses an untrusted responder before revealing its own
 * identity in message 3. Under XXpsk3, message 1 carries a mac1 keyed from the PSK, checked
 * before any Diffie-Hellman, so only invitation holders make the responder spend work or state.
 * No failed handshake read changes the channel: a forged message (tampered, untrusted, without
 * mac1) is refused and the genuine one still completes the handshake afterwards.
 *
 * Transport: each data or close frame carries an explicit nonce; the header is the associated
 * data. A replay window per direction refuses nonces seen before; a frame that fails
 * authentication is refused; neither changes state. Keys rotate every rekey_interval nonces
 * (key epoch = nonce / interval; Noise Rekey() once per epoch), so both sides agree without
 * messages; channel_rekey_now() jumps the sender to the next epoch; a receiver derives keys at
 * most 2 epochs ahead, so a forged frame costs at most 2 Rekey(). Inside the ciphertext, a
 * record: kind, flags, message sequence number, cumulative acknowledgement, echo reference,
 * fragment position and body length, padded with zeros to a size bucket (see docs/PROTOCOL.md).
 * A batch record (version 3) carries several whole messages under one acknowledgement, one
 * nonce and one padding: channel_seal_batch writes one, channel_batch_next reads its messages;
 * channel_open refuses a batch that is not well formed as a whole. */
#ifndef KCHAT_CHANNEL_H
#define KCHAT_CHANNEL_H

#include "crypto/frame.h"
#include "crypto/identity.h"
#include "crypto/noise.h"
#include "crypto/trust.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CHANNEL_OK = 0,
    CHANNEL_ERR_ARG = -1,
    CHANNEL_REPLAYED = -10,        /* nonce seen before or older than the window */
    CHANNEL_TAMPERED = -11,        /* authentication failed */
    CHANNEL_MALFORMED = -12,       /* not a frame, or a bad record inside */
    CHANNEL_UNKNOWN_SESSION = -13, /* frame of another session */
    CHANNEL_UNTRUSTED = -14,       /* peer identity refused by the trust policy */
    CHANNEL_STATE = -15,           /* wrong step (e.g. data before established) */
    CHANNEL_NONCE_EXHAUSTED = -16,
    CHANNEL_NOMEM = -17,
    CHANNEL_UNAUTHENTICATED = -18, /* message 1 without a valid mac1 (XXpsk3) */
} channel_result;

/* Record kinds inside data and close frames. */
typedef enum {
    RECORD_MSG = 1,   /* a message fragment */
    RECORD_ACK = 2,   /* acknowledgement only (seq 0, no body) */
    RECORD_CLOSE = 3, /* the sender leaves (sealed into a close frame) */
    RECORD_BATCH = 4, /* several whole messages (seq 0, fragment 0 of 1, flags and echo_of 0) */
} record_kind;

#define RECORD_FLAG_ECHO 0x01u /* the other flag bits are reserved: zero, else malformed */
#define RECORD_HEADER_LEN 38u
/* The plaintext of a record (header, body) is padded with zeros to a bucket: 256 bytes up to
 * 256, above that Padme (less than 6.25% more; see docs/PROTOCOL.md). */
#define RECORD_MIN_PADDED 256u
/* Largest padded plaintext that fits CHANNEL_MAX_RECORD with its tag: a Padme bucket. */
#define CHANNEL_MAX_PADDED 258048u
/* Largest sealed record (ciphertext and tag) of a data or close frame: above Noise's 65535-byte
 * message limit, so a 64 KiB message is one Kafka record. */
#define CHANNEL_MAX_RECORD FRAME_MAX_DATA_BODY
/* Largest body of one record: the largest padded plaintext less the record header. */
#define CHANNEL_MAX_BODY (CHANNEL_MAX_PADDED - RECORD_HEADER_LEN)
/* Largest frame on the wire. */
#define CHANNEL_MAX_FRAME (FRAME_DATA_HEADER_LEN + CHANNEL_MAX_RECORD)
#define CHANNEL_DEFAULT_REKEY_INTERVAL 65536u
/* Smallest rekey interval: the replay window (4096 nonces), so that reordering inside the window
 * crosses at most one epoch boundary. */
#define CHANNEL_MIN_REKEY_INTERVAL 4096u
/* The body of a batch record: count u16 (RECORD_BATCH_MIN..RECORD_BATCH_MAX), then count entries
 * of flags u8 | seq u64 | echo_of u64 | len u32 | len bytes, seqs strictly increasing, filling
 * the body exactly (see docs/PROTOCOL.md). */
#define RECORD_BATCH_COUNT_LEN 2u
#define RECORD_BATCH_ENTRY_LEN 21u
#define RECORD_BATCH_MIN 2u
#define RECORD_BATCH_MAX 4096u
/* The body length of a batch of n messages holding bytes bytes of text. */
#define CHANNEL_BATCH_LEN(n, bytes)                                                                \
    (RECORD_BATCH_COUNT_LEN + (size_t)(n)*RECORD_BATCH_ENTRY_LEN + (size_t)(bytes))
#define CHANNEL_PROLOGUE_LABEL "kchat/3"
/* mac1 of message 1 under XXpsk3: key = BLAKE2b-256(key = psk, CHANNEL_MAC1_LABEL),
 * mac1 = BLAKE2b-128(key, frame header || Noise message 1 || sent_ms u64), appended to the frame
 * body after sent_ms (the initiator's clock when it wrote message 1, ms since the Unix epoch). */
#define CHANNEL_MAC1_LABEL "kchat/3 mac1"
#define CHANNEL_MAC1_KEY_LEN 32u

typedef struct channel_record {
    uint8_t kind;
    uint8_t flags;
    uint64_t seq;     /* message sequence number of the sender, from 1 (0 for acks/close) */
    uint64_t ack;     /* every peer message up to and including ack has been received */
    uint64_t echo_of; /* the peer's seq this message echoes, 0 if none */
    uint32_t frag_idx, frag_count; /* fragment position, 0-based; count >= 1 */
    const uint8_t *body;
    size_t body_len;
} channel_record;

typedef struct channel_params {
    bool initiator;
    noise_pattern pattern;
    const uint8_t *static_priv; /* 32 bytes; copied */
    const uint8_t *psk;         /* 32 bytes for XXpsk3 (copied), NULL for XX */
    const char *a2b, *b2a;      /* topic names, bound into the prologue */
    const trust_policy *trust;  /* borrowed; must outlive the channel */
    uint64_t rekey_interval;    /* 0: default; else >= CHANNEL_MIN_REKEY_INTERVAL */
    uint64_t (*now_ms)(void);   /* message 1's sent_ms; NULL: the real clock (for tests) */
} channel_params;

typedef struct channel channel;

/* session NULL: the initiator picks a random session id. The responder passes the session id of
 * the message-1 frame it received. *err gets a channel_result when NULL is returned. */
channel *channel_new(const channel_params *p, const uint8_t *session, int *err);
/* Writes our next handshake frame (initiator: 1 and 3; responder: 2) carrying payload. */
int channel_hs_write(channel *c, const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
                     size_t *outlen);
/* Reads the peer's next handshake frame (responder: 1 and 3; initiator: 2). The payload is
 * written to payload (cap >= NOISE_MAX_MSG is always enough). Every failure leaves the channel
 * exactly as it was, so the genuine frame can still be read afterwards: CHANNEL_MALFORMED,
 * CHANNEL_UNKNOWN_SESSION, CHANNEL_UNAUTHENTICATED (message 1 of XXpsk3 without a valid mac1;
 * no Diffie-Hellman was done), CHANNEL_TAMPERED (Noise authentication failed, e.g. a wrong PSK
 * in message 3) and CHANNEL_UNTRUSTED (the peer's static key is refused by the trust policy;
 * its identifier is then channel_last_refused_id). On failure *plen is 0 and nothing of the
 * payload is returned. */
int channel_hs_read(channel *c, const uint8_t *buf, size_t len, uint8_t *payload, size_t cap,
                    size_t *plen);
/* The cheap check a responder makes on a message-1 frame before creating a channel for it:
 * CHANNEL_OK when its mac1 verifies under psk (32 bytes), CHANNEL_UNAUTHENTICATED when not,
 * CHANNEL_MALFORMED when buf is no message-1 frame. One BLAKE2b pass, no Diffie-Hellman, no
 * allocation. On CHANNEL_OK, *sent_ms (if not NULL) gets the authenticated time the initiator
 * wrote it: a replayed message 1 passes the mac1, so the responder refuses one that is too old
 * or whose session id it has answered already. (channel_hs_read checks the mac1 too, not the
 * time.) Plain XX has no mac1 and no time: message 1 is then unauthenticated. */
int channel_hs1_check_mac(const uint8_t *psk, const uint8_t *buf, size_t len, uint64_t *sent_ms);

/* The responder's admission of message-1 frames (XXpsk3): the mac1 check, then freshness, so a
 * recorded genuine message 1 written again is refused before any Diffie-Hellman or state. A
 * frame is admitted once: its sent_ms within CHANNEL_HS1_WINDOW_MS of now (either way: the two
 * clocks must agree to within that), and its session id not admitted before within the window.
 * The guard remembers the last CHANNEL_HS1_GUARD_SLOTS admitted session ids (only holders of the
 * secret can add any; an initiator retrying every 5 s writes 240 in 20 minutes). */
#define CHANNEL_HS1_WINDOW_MS (10u * 60u * 1000u)
#define CHANNEL_HS1_GUARD_SLOTS 256u
typedef struct channel_hs1_guard {
    struct {
        uint8_t session[FRAME_SESSION_LEN];
        uint64_t sent_ms;
        uint64_t admitted_ms; /* 0: free slot */
    } seen[CHANNEL_HS1_GUARD_SLOTS];
} channel_hs1_guard;

void channel_hs1_guard_init(channel_hs1_guard *g);
/* CHANNEL_OK: answer it (now remembered); CHANNEL_UNAUTHENTICATED: no valid mac1;
 * CHANNEL_REPLAYED: stale (sent_ms outside the window) or its session id was admitted already;
 * CHANNEL_MALFORMED: no message-1 frame; CHANNEL_ERR_ARG. now_ms: the responder's clock. */
int channel_hs1_admit(channel_hs1_guard *g, const uint8_t *psk, const uint8_t *buf, size_t len,
                      uint64_t now_ms);
int channel_step(const channel *c); /* handshake messages processed, 0..3 */
bool channel_established(const channel *c);
bool channel_my_turn(const channel *c);
const uint8_t *channel_session(const channel *c);
/* The peer's identifier, once its static key is known and accepted; "" before. */
const char *channel_peer_id(const channel *c);
/* The identifier of the last static key the trust policy refused (CHANNEL_UNTRUSTED), "" if
 * none: for the error message. */
const char *channel_last_refused_id(const channel *c);
const uint8_t *channel_peer_public(const channel *c); /* NULL before */
const char *channel_suite(const channel *c);          /* Noise protocol name */
void channel_handshake_hash(const channel *c, uint8_t out[NOISE_HASH_LEN]);

/* Seals a record into a data frame (or a close frame for RECORD_CLOSE) with the next nonce. */
int channel_seal(channel *c, const channel_record *r, uint8_t *out, size_t cap, size_t *outlen);
/* Seals n whole messages into one batch record (a data frame) carrying ack: each msgs[i] a valid
 * RECORD_MSG, fragment 0 of 1 (its ack ignored), seqs strictly increasing, RECORD_BATCH_MIN <=
 * n <= RECORD_BATCH_MAX and CHANNEL_BATCH_LEN(n, text bytes) <= CHANNEL_MAX_BODY; anything
 * else is CHANNEL_ERR_ARG. The messages are encoded straight into the record (no copy of them
 * is kept). */
int channel_seal_batch(channel *c, uint64_t ack, const channel_record *msgs, size_t n, uint8_t *out,
                       size_t cap, size_t *outlen);
/* The messages of an opened batch record, in order: *pos starts at 0; each call fills msg (kind
 * RECORD_MSG, fragment 0 of 1, the batch's ack, body pointing into the batch's body) and returns
 * 1, then 0 after the last; -1 when batch is no well-formed batch record. */
int channel_batch_next(const channel_record *batch, size_t *pos, channel_record *msg);
/* Opens a data or close frame. r->body points into buf (cap >= len is always enough). */
int channel_open(channel *c, const uint8_t *in, size_t len, channel_record *r, uint8_t *buf,
                 size_t cap, uint64_t *nonce_out);
/* Starts the next key epoch for our sending direction now (destroying the current key). When the
 * current key has sealed nothing yet it is fresh already and nothing changes, so repeated calls
 * never put the sender more than one epoch ahead of what it sealed. */
int channel_rekey_now(channel *c);
uint64_t channel_send_epoch(const channel *c);
uint64_t channel_recv_epoch(const channel *c);
/* For tests: set the next sending nonce (e.g. near 2^64-1). */
void channel_test_set_send_nonce(channel *c, uint64_t n);
/* For tests: Rekey() operations the receiving direction has done so far. */
uint64_t channel_test_recv_rekeys(const channel *c);
const char *channel_strerror(int err);
void channel_free(channel *c);

#endif
