/* invitation: one line Bob hands Alice out of band, carrying the two topic names, Bob's
 * identifier, a 256-bit secret (the XXpsk3 pre-shared key) and, optionally, the Kafka bootstrap
 * brokers Bob used (so Alice needs nothing else but her own cluster credentials):
 *
 *     kchat1:<a2b topic>:<b2a topic>:<bob identifier>:<secret, base64url no padding>:<check>
 *     kchat1:<a2b>:<b2a>:<bob identifier>:<secret>:<brokers, base64url no padding>:<check>
 *
 * The brokers field (7-field form) is a comma-separated host:port list of at most
 * INVITATION_BROKERS_MAX characters of A-Z a-z 0-9 . - _ : , [ ] (base64url-encoded because its
 * colons would split fields).
 * <check> is 8 hex digits of SHA-256 over everything before it, to tell a mistyped invitation
 * from a wrong one. Parsing is strict: version, field count, topic alphabet and length,
 * identifier form, secret length, checksum; each failure has its own message. The secret lives
 * in sodium_malloc'ed memory and is wiped on free. */
#ifndef KCHAT_INVITATION_H
#define KCHAT_INVITATION_H

#include "crypto/identity.h"

#include <stddef.h>
#include <stdint.h>

#define INVITATION_SECRET_LEN 32
#define INVITATION_TOPIC_MAX 249
#define INVITATION_BROKERS_MAX 200
#define INVITATION_MAX_LEN 900

typedef struct invitation {
    char a2b[INVITATION_TOPIC_MAX + 1];
    char b2a[INVITATION_TOPIC_MAX + 1];
    char bob_id[IDENTITY_ID_LEN + 1];
    char brokers[INVITATION_BROKERS_MAX + 1]; /* "" when the invitation names none */
    uint8_t *secret;                          /* INVITATION_SECRET_LEN bytes, sodium_malloc'ed */
} invitation;

/* A new invitation with a fresh random secret. */
invitation *invitation_new(const char *a2b, const char *b2a, const char *bob_id, char *err,
                           size_t errlen);
/* Sets the brokers the invitation names ("" or NULL: none). 0, or -1 with err filled when the
 * list is too long or has a character outside the allowed set. */
int invitation_set_brokers(invitation *inv, const char *brokers, char *err, size_t errlen);
/* Formats into out (at least INVITATION_MAX_LEN+1 bytes). Returns the length or -1. */
int invitation_format(const invitation *inv, char *out, size_t cap);
/* Parses text (surrounding whitespace ignored). NULL with err filled on failure. */
invitation *invitation_parse(const char *text, char *err, size_t errlen);
void invitation_free(invitation *inv);

#endif
