/* trust: decides, after a handshake, whether the peer's static key is accepted.
 * A policy is a list of identifiers, or "anyone" (explicit opt-in; the guide's
 * TrustEveryonePolicy). The invitation policy is a list holding the inviter's identifier. */
#ifndef KCHAT_TRUST_H
#define KCHAT_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct trust_policy trust_policy;

trust_policy *trust_policy_anyone(void);
trust_policy *trust_policy_list(void);
/* Adds an identifier; -1 with a message if it is malformed. */
int trust_policy_add(trust_policy *p, const char *identifier, char *err, size_t errlen);
bool trust_policy_is_anyone(const trust_policy *p);
size_t trust_policy_count(const trust_policy *p);
/* Constant-time comparison against every listed identifier. */
bool trust_policy_accepts(const trust_policy *p, const uint8_t peer_public[32]);
void trust_policy_free(trust_policy *p);

#endif
