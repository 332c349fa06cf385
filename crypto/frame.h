/* frame: the bytes of one Kafka record. Big-endian, versioned:
 *
 *   0      version (3; frames of other versions are refused)
 *   1      type    (1, 2, 3: handshake message; 4: data; 5: close)
 *   2..17  session id (16 random bytes chosen by the initiator)
 *   18..25 nonce, u64 (data and close only: the explicit Noise nonce)
 *   ...    body: the Noise handshake message (message 1 under XXpsk3: followed by the u64 time
 *          it was sent and its 16-byte mac1), or the ciphertext (with its 16-byte tag)
 *
 * Parsing is strict and allocation-free; the body points into the caller's buffer. */
#ifndef KCHAT_FRAME_H
#define KCHAT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_VERSION 3
#define FRAME_SESSION_LEN 16
#define FRAME_HS_HEADER_LEN 18
#define FRAME_DATA_HEADER_LEN 26
/* Largest body: a handshake frame carries one Noise message (NOISE_MAX_MSG); a data or close
 * frame one sealed record of kchat's record layer, which may be longer. */
#define FRAME_MAX_DATA_BODY (256u * 1024u)
/* Under XXpsk3 a message-1 body ends with the time it was sent (u64, milliseconds since the Unix
 * epoch) and a 16-byte MAC keyed from the PSK over everything before it (see channel.h). */
#define FRAME_HS1_TIME_LEN 8u
#define FRAME_MAC1_LEN 16u
#define FRAME_HS1_AUTH_LEN (FRAME_HS1_TIME_LEN + FRAME_MAC1_LEN)

typedef enum {
    FRAME_HS1 = 1,
    FRAME_HS2 = 2,
    FRAME_HS3 = 3,
    FRAME_DATA = 4,
    FRAME_CLOSE = 5,
} frame_type;

typedef struct frame {
    uint8_t version;
    uint8_t type;
    uint8_t session[FRAME_SESSION_LEN];
    uint64_t nonce;        /* data and close only */
    const uint8_t *header; /* the header bytes: associated data for data and close */
    size_t header_len;
    const uint8_t *body;
    size_t body_len;
} frame;

/* 0 on success, -1 when malformed (unknown version or type, too short, body over the Noise limit,
 * handshake bodies of impossible size, data bodies shorter than a tag). */
int frame_parse(const uint8_t *buf, size_t len, frame *out);
/* Writes the header for type into out (FRAME_*_HEADER_LEN bytes); returns its length. */
size_t frame_write_header(uint8_t *out, frame_type type, const uint8_t session[FRAME_SESSION_LEN],
                          uint64_t nonce);
size_t frame_header_len(frame_type type);

#endif
