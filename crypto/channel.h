/* channel: one secure channel between two identities, over frames (crypto/frame.h).
 *
 * Handshake: Noise XX or XXpsk3 (crypto/noise.h) with the identity as the static key. The
 * prologue binds the protocol label, the session id and both topic names, so a handshake cannot be
 * moved to other topics or sessions. Trust (crypto/trust.h) is checked as soon as the peer's
 * static key is known: the initiator refuses an untrusted responder before revealing its own
 * identity in message 3.
 *
 * Transport: each data or close frame carries an explicit nonce; the header is the associated
 * data. A replay window per direction refuses nonces seen before; a frame that fails
 * authentication is refused; neither changes state. Keys rotate every rekey_interval nonces
 * (key epoch = nonce / interval; Noise Rekey() once per epoch), so both sides agree without
 * messages; channel_rekey_now() jumps the sender to the next epoch. Inside the ciphertext, a
 * record: kind, flags, message sequence number, cumulative acknowledgement, echo reference and
 * fragment position (see docs/PROTOCOL.md). */
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
} channel_result;

/* Record kinds inside data and close frames. */
typedef enum {
    RECORD_MSG = 1,   /* a message fragment */
    RECORD_ACK = 2,   /* acknowledgement only (seq 0, no body) */
    RECORD_CLOSE = 3, /* the sender leaves (sealed into a close frame) */
} record_kind;

#define RECORD_FLAG_ECHO 0x01u
#define RECORD_HEADER_LEN 34u
/* Largest sealed record (ciphertext and tag) of a data or close frame: above Noise's 65535-byte
 * message limit, so a 64 KiB message is one Kafka record. */
#define CHANNEL_MAX_RECORD FRAME_MAX_DATA_BODY
/* Largest body of one record: the sealed record less tag and record header. */
#define CHANNEL_MAX_BODY (CHANNEL_MAX_RECORD - NOISE_TAG_LEN - RECORD_HEADER_LEN)
/* Largest frame on the wire. */
#define CHANNEL_MAX_FRAME (FRAME_DATA_HEADER_LEN + CHANNEL_MAX_RECORD)
#define CHANNEL_DEFAULT_REKEY_INTERVAL 65536u
#define CHANNEL_PROLOGUE_LABEL "kchat/1"

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
    uint64_t rekey_interval;    /* 0: CHANNEL_DEFAULT_REKEY_INTERVAL */
} channel_params;

typedef struct channel channel;

/* session NULL: the initiator picks a random session id. The responder passes the session id of
 * the message-1 frame it received. *err gets a channel_result when NULL is returned. */
channel *channel_new(const channel_params *p, const uint8_t *session, int *err);
/* Writes our next handshake frame (initiator: 1 and 3; responder: 2) carrying payload. */
int channel_hs_write(channel *c, const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
                     size_t *outlen);
/* Reads the peer's next handshake frame (responder: 1 and 3; initiator: 2). The payload is
 * written to payload (cap >= NOISE_MAX_MSG is always enough). Fails without changing state. */
int channel_hs_read(channel *c, const uint8_t *buf, size_t len, uint8_t *payload, size_t cap,
                    size_t *plen);
int channel_step(const channel *c); /* handshake messages processed, 0..3 */
bool channel_established(const channel *c);
bool channel_my_turn(const channel *c);
const uint8_t *channel_session(const channel *c);
/* The peer's identifier, once its static key is known; "" before. */
const char *channel_peer_id(const channel *c);
const uint8_t *channel_peer_public(const channel *c); /* NULL before */
const char *channel_suite(const channel *c);          /* Noise protocol name */
void channel_handshake_hash(const channel *c, uint8_t out[NOISE_HASH_LEN]);

/* Seals a record into a data frame (or a close frame for RECORD_CLOSE) with the next nonce. */
int channel_seal(channel *c, const channel_record *r, uint8_t *out, size_t cap, size_t *outlen);
/* Opens a data or close frame. r->body points into buf (cap >= len is always enough). */
int channel_open(channel *c, const uint8_t *in, size_t len, channel_record *r, uint8_t *buf,
                 size_t cap, uint64_t *nonce_out);
/* Starts the next key epoch for our sending direction now. */
int channel_rekey_now(channel *c);
uint64_t channel_send_epoch(const channel *c);
uint64_t channel_recv_epoch(const channel *c);
/* For tests: set the next sending nonce (e.g. near 2^64-1). */
void channel_test_set_send_nonce(channel *c, uint64_t n);
const char *channel_strerror(int err);
void channel_free(channel *c);

#endif
