/* hs_payload: what the session puts inside the three handshake messages (the channel treats
 * them as opaque bytes). Version byte first; big-endian integers; strict parsing.
 *
 *   message 1 (authenticated by mac1, readable): v=2 | conversation id (16)
 *   message 2 (encrypted, Bob):   v=2 | flags (bit 0: Bob echoes) | acked u64 | base u64 |
 *                                 name length u8 | name
 *   message 3 (encrypted, Alice): v=2 | flags (0) | acked u64 | name length u8 | name
 *
 * The conversation id survives re-handshakes (same Alice process), so sequence numbers continue
 * and `acked` tells the peer which of its messages need no retransmission. `base` is Bob's
 * lowest sequence number still waiting for an acknowledgement (his next one when none waits):
 * everything below it was settled earlier, so an Alice who starts a conversation anew (a new
 * process of the identity Bob is pinned to) neither reports it as a gap nor waits for it.
 * `name` is the sender's display name (--name): at most HS_NAME_MAX bytes of UTF-8 without
 * control characters, empty when none (it travels encrypted; the receiver still shows it
 * escaped like any text from the peer). */
#ifndef KCHAT_HS_PAYLOAD_H
#define KCHAT_HS_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_PAYLOAD_VERSION 2
#define HS_CONV_LEN 16
#define HS_FLAG_ECHO 0x01u
#define HS_PAYLOAD1_LEN (1 + HS_CONV_LEN)
#define HS_NAME_MAX 32
#define HS_PAYLOAD2_LEN (1 + 1 + 8 + 8 + 1) /* without the name */
#define HS_PAYLOAD3_LEN (1 + 1 + 8 + 1)

typedef struct hs_payload {
    uint8_t conv[HS_CONV_LEN];  /* message 1 */
    uint8_t flags;              /* messages 2 and 3 */
    uint64_t acked;             /* messages 2 and 3 */
    uint64_t base;              /* message 2 (>= 1) */
    char name[HS_NAME_MAX + 1]; /* messages 2 and 3: NUL-terminated, "" for none */
} hs_payload;

/* step 1, 2 or 3. Returns the encoded length, or 0 if cap is too small. */
size_t hs_payload_encode(int step, const hs_payload *p, uint8_t *out, size_t cap);
/* A display name may travel: 0..HS_NAME_MAX bytes of UTF-8, no control characters. */
bool hs_name_valid(const char *name, size_t len);
/* 0 on success; -1 when malformed for that step. */
int hs_payload_decode(int step, const uint8_t *in, size_t len, hs_payload *p);

#endif
