/* pair: test fixture for the channel tests. Two identities (Alice the initiator, Bob the
 * responder), trust lists naming each other, a shared PSK, and helpers that run a handshake
 * over in-memory buffers. */
#ifndef KCHAT_TEST_PAIR_H
#define KCHAT_TEST_PAIR_H

#include "crypto/channel.h"
#include "crypto/identity.h"
#include "crypto/trust.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pair {
    identity *alice_id, *bob_id, *eve_id;
    trust_policy *alice_trusts, *bob_trusts; /* each lists the other */
    uint8_t psk[32];
    channel_params pa, pb; /* templates for Alice and Bob */
} pair;

typedef struct wire {
    uint8_t buf[CHANNEL_MAX_FRAME];
    size_t len;
} wire;

/* pattern XX or XXPSK3; interval 0 for the default. */
void pair_init(pair *p, noise_pattern pattern, uint64_t interval);
void pair_free(pair *p);
channel *pair_alice(const pair *p);
/* Bob's channel for the session id of message 1 (NULL if msg1 does not parse). */
channel *pair_bob(const pair *p, const uint8_t *msg1, size_t len);
/* Full handshake with empty payloads; 0 when both ends are established. */
int pair_connect(const pair *p, channel **a, channel **b);
/* Seals a message record with body "text" (and seq) into w; the channel result. */
int pair_seal_text(channel *c, uint64_t seq, const char *text, wire *w);
/* Opens w and compares it to seq/text; the channel result (CHANNEL_MALFORMED on mismatch). */
int pair_open_text(channel *c, const wire *w, uint64_t seq, const char *text);

#endif
