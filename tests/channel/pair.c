#include "pair.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static trust_policy *trusting(const identity *who)
{
    char err[128];
    trust_policy *t = trust_policy_list();
    if (t == NULL || trust_policy_add(t, identity_id(who), err, sizeof(err)) != 0) {
        fprintf(stderr, "trust setup failed\n");
        exit(2);
    }
    return t;
}

void pair_init(pair *p, noise_pattern pattern, uint64_t interval)
{
    memset(p, 0, sizeof(*p));
    if (sodium_init() < 0)
        exit(2);
    p->alice_id = identity_generate();
    p->bob_id = identity_generate();
    p->eve_id = identity_generate();
    if (p->alice_id == NULL || p->bob_id == NULL || p->eve_id == NULL)
        exit(2);
    p->alice_trusts = trusting(p->bob_id);
    p->bob_trusts = trusting(p->alice_id);
    randombytes_buf(p->psk, sizeof(p->psk));
    channel_params base = {
        .pattern = pattern,
        .psk = pattern == NOISE_XXPSK3 ? p->psk : NULL,
        .a2b = "kchat.test.a2b",
        .b2a = "kchat.test.b2a",
        .rekey_interval = interval,
    };
    p->pa = base;
    p->pa.initiator = true;
    p->pa.static_priv = identity_secret(p->alice_id);
    p->pa.trust = p->alice_trusts;
    p->pb = base;
    p->pb.initiator = false;
    p->pb.static_priv = identity_secret(p->bob_id);
    p->pb.trust = p->bob_trusts;
}

void pair_free(pair *p)
{
    identity_free(p->alice_id);
    identity_free(p->bob_id);
    identity_free(p->eve_id);
    trust_policy_free(p->alice_trusts);
    trust_policy_free(p->bob_trusts);
    sodium_memzero(p, sizeof(*p));
}

channel *pair_alice(const pair *p)
{
    int err = 0;
    return channel_new(&p->pa, NULL, &err);
}

channel *pair_bob(const pair *p, const uint8_t *msg1, size_t len)
{
    frame f;
    int err = 0;
    if (frame_parse(msg1, len, &f) != 0)
        return NULL;
    return channel_new(&p->pb, f.session, &err);
}

int pair_connect(const pair *p, channel **a, channel **b)
{
    static wire w;
    uint8_t payload[NOISE_MAX_MSG];
    size_t plen = 0;
    *b = NULL;
    *a = pair_alice(p);
    if (*a == NULL || channel_hs_write(*a, NULL, 0, w.buf, sizeof(w.buf), &w.len) != 0)
        return -1;
    *b = pair_bob(p, w.buf, w.len);
    if (*b == NULL || channel_hs_read(*b, w.buf, w.len, payload, sizeof(payload), &plen) != 0 ||
        channel_hs_write(*b, NULL, 0, w.buf, sizeof(w.buf), &w.len) != 0 ||
        channel_hs_read(*a, w.buf, w.len, payload, sizeof(payload), &plen) != 0 ||
        channel_hs_write(*a, NULL, 0, w.buf, sizeof(w.buf), &w.len) != 0 ||
        channel_hs_read(*b, w.buf, w.len, payload, sizeof(payload), &plen) != 0)
        return -1;
    return channel_established(*a) && channel_established(*b) ? 0 : -1;
}

int pair_seal_text(channel *c, uint64_t seq, const char *text, wire *w)
{
    channel_record r = {
        .kind = RECORD_MSG,
        .seq = seq,
        .frag_count = 1,
        .body = (const uint8_t *)text,
        .body_len = strlen(text),
    };
    return channel_seal(c, &r, w->buf, sizeof(w->buf), &w->len);
}

int pair_open_text(channel *c, const wire *w, uint64_t seq, const char *text)
{
    static uint8_t buf[CHANNEL_MAX_FRAME];
    channel_record r;
    int rc = channel_open(c, w->buf, w->len, &r, buf, sizeof(buf), NULL);
    if (rc != CHANNEL_OK)
        return rc;
    if (r.kind != RECORD_MSG || r.seq != seq || r.body_len != strlen(text) ||
        memcmp(r.body, text, r.body_len) != 0)
        return CHANNEL_MALFORMED;
    return CHANNEL_OK;
}
