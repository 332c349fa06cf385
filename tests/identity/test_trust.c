/* test_trust: listed identifiers are accepted, others refused; anyone accepts all; an empty
 * list accepts nobody; malformed identifiers are rejected with a message. */
#include "crypto/identity.h"
#include "crypto/trust.h"
#include "support/check.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static char err[256];

static void test_list(void)
{
    identity *a = identity_generate(), *b = identity_generate(), *c = identity_generate();
    trust_policy *p = trust_policy_list();
    CHECK(p != NULL && !trust_policy_is_anyone(p));
    CHECK(trust_policy_count(p) == 0);
    CHECK(!trust_policy_accepts(p, identity_public(a))); /* empty list: nobody */

    CHECK(trust_policy_add(p, identity_id(a), err, sizeof err) == 0);
    CHECK(trust_policy_count(p) == 1);
    CHECK(trust_policy_accepts(p, identity_public(a)));
    CHECK(!trust_policy_accepts(p, identity_public(b)));
    CHECK(trust_policy_add(p, identity_id(a), err, sizeof err) == 0); /* duplicate */
    CHECK(trust_policy_count(p) == 1);

    CHECK(trust_policy_add(p, identity_id(b), err, sizeof err) == 0);
    CHECK(trust_policy_count(p) == 2);
    CHECK(trust_policy_accepts(p, identity_public(a)));
    CHECK(trust_policy_accepts(p, identity_public(b)));
    CHECK(!trust_policy_accepts(p, identity_public(c)));
    CHECK(!trust_policy_accepts(p, NULL));

    /* A public key differing in one bit is refused. */
    uint8_t pub[32];
    memcpy(pub, identity_public(a), 32);
    pub[31] ^= 1;
    CHECK(!trust_policy_accepts(p, pub));

    /* Many entries; the last one still matches. */
    for (int i = 0; i < 20; i++) {
        identity *x = identity_generate();
        CHECK(trust_policy_add(p, identity_id(x), err, sizeof err) == 0);
        identity_free(x);
    }
    CHECK(trust_policy_add(p, identity_id(c), err, sizeof err) == 0);
    CHECK(trust_policy_count(p) == 23);
    CHECK(trust_policy_accepts(p, identity_public(c)));
    trust_policy_free(p);
    identity_free(a);
    identity_free(b);
    identity_free(c);
}

static void test_malformed(void)
{
    identity *a = identity_generate();
    trust_policy *p = trust_policy_list();
    char bad[80], shortid[IDENTITY_SHORT_LEN + 1];
    snprintf(bad, sizeof bad, "%.47s", identity_id(a));
    CHECK(trust_policy_add(p, bad, err, sizeof err) == -1);
    CHECK(strstr(err, "invalid identifier") != NULL);
    snprintf(bad, sizeof bad, "%sa", identity_id(a));
    CHECK(trust_policy_add(p, bad, err, sizeof err) == -1);
    snprintf(bad, sizeof bad, "%s", identity_id(a));
    bad[0] = (char)(bad[0] >= 'a' && bad[0] <= 'z' ? bad[0] - 'a' + 'A' : '1');
    CHECK(trust_policy_add(p, bad, err, sizeof err) == -1);
    identity_id_short(identity_id(a), shortid);
    CHECK(trust_policy_add(p, shortid, err, sizeof err) == -1);
    CHECK(trust_policy_add(p, "", err, sizeof err) == -1);
    CHECK(trust_policy_add(p, NULL, err, sizeof err) == -1);
    snprintf(bad, sizeof bad, " %s", identity_id(a));
    CHECK(trust_policy_add(p, bad, err, sizeof err) == -1);
    CHECK(trust_policy_count(p) == 0);
    CHECK(!trust_policy_accepts(p, identity_public(a)));
    trust_policy_free(p);
    identity_free(a);
}

static void test_anyone(void)
{
    identity *a = identity_generate();
    trust_policy *p = trust_policy_anyone();
    uint8_t pub[32];
    randombytes_buf(pub, sizeof pub);
    CHECK(p != NULL && trust_policy_is_anyone(p));
    CHECK(trust_policy_accepts(p, identity_public(a)));
    CHECK(trust_policy_accepts(p, pub));
    CHECK(trust_policy_add(p, identity_id(a), err, sizeof err) == -1);
    CHECK(err[0] != '\0');
    CHECK(!trust_policy_is_anyone(NULL));
    CHECK(!trust_policy_accepts(NULL, pub));
    CHECK(trust_policy_count(NULL) == 0);
    trust_policy_free(p);
    trust_policy_free(NULL);
    identity_free(a);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_list();
    test_malformed();
    test_anyone();
    return check_summary();
}
