/* trust: a list of accepted identifiers, or anyone. Every listed identifier is compared
 * (sodium_memcmp, no early exit) against the peer's, so timing does not tell which matched. */
#include "crypto/trust.h"

#include "crypto/identity.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct trust_policy {
    bool anyone;
    size_t count, cap;
    char (*ids)[IDENTITY_ID_LEN];
};

static trust_policy *policy_new(bool anyone)
{
    trust_policy *p = calloc(1, sizeof *p);
    if (p != NULL)
        p->anyone = anyone;
    return p;
}

trust_policy *trust_policy_anyone(void)
{
    return policy_new(true);
}

trust_policy *trust_policy_list(void)
{
    return policy_new(false);
}

static void set_err(char *err, size_t errlen, const char *msg, const char *identifier)
{
    char shown[IDENTITY_ID_LEN + 8];
    size_t n = 0;
    /* Echo at most a bounded, printable prefix of what we were given. */
    for (; identifier != NULL && identifier[n] != '\0' && n < IDENTITY_ID_LEN + 4; n++) {
        unsigned char c = (unsigned char)identifier[n];
        shown[n] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    shown[n] = '\0';
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, msg, shown);
}

static bool contains(const trust_policy *p, const char *identifier)
{
    for (size_t i = 0; i < p->count; i++)
        if (memcmp(p->ids[i], identifier, IDENTITY_ID_LEN) == 0)
            return true;
    return false;
}

int trust_policy_add(trust_policy *p, const char *identifier, char *err, size_t errlen)
{
    if (p == NULL || p->anyone) {
        set_err(err, errlen, "cannot add identifier %s to a policy that accepts anyone",
                identifier);
        return -1;
    }
    if (identity_id_valid(identifier) != 0) {
        set_err(err, errlen, "invalid identifier \"%s\" (expected 48 characters of a-z and 2-7)",
                identifier);
        return -1;
    }
    if (contains(p, identifier))
        return 0;
    if (p->count == p->cap) {
        size_t cap = p->cap == 0 ? 4 : p->cap * 2;
        void *ids = realloc(p->ids, cap * sizeof *p->ids);
        if (ids == NULL) {
            set_err(err, errlen, "out of memory adding identifier %s", identifier);
            return -1;
        }
        p->ids = ids;
        p->cap = cap;
    }
    memcpy(p->ids[p->count++], identifier, IDENTITY_ID_LEN);
    return 0;
}

bool trust_policy_is_anyone(const trust_policy *p)
{
    return p != NULL && p->anyone;
}

size_t trust_policy_count(const trust_policy *p)
{
    return p != NULL ? p->count : 0;
}

bool trust_policy_accepts(const trust_policy *p, const uint8_t peer_public[32])
{
    char peer[IDENTITY_ID_LEN + 1];
    unsigned found = 0;
    if (p == NULL || peer_public == NULL)
        return false;
    if (p->anyone)
        return true;
    identity_id_of(peer_public, peer);
    for (size_t i = 0; i < p->count; i++)
        found |= (unsigned)(1 + sodium_memcmp(p->ids[i], peer, IDENTITY_ID_LEN));
    return found != 0;
}

void trust_policy_free(trust_policy *p)
{
    if (p == NULL)
        return;
    free(p->ids);
    free(p);
}
