/* channel: lifecycle, handshake and accessors of a secure channel (see channel.h and
 * docs/PROTOCOL.md). The record layer (record.h) does the transport work. */
#include "crypto/channel.h"
#include "sys/clock.h"

#include "crypto/record.h"
#include "crypto/replay.h"
#include "crypto/secmem.h"
#include "sys/be.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOPIC_MAX 255u

_Static_assert(CHANNEL_MIN_REKEY_INTERVAL == REPLAY_WINDOW_BITS,
               "the smallest rekey interval is the replay window");
#define PROLOGUE_MAX (sizeof(CHANNEL_PROLOGUE_LABEL) + FRAME_SESSION_LEN + 2 + 2 * TOPIC_MAX)

struct channel {
    bool initiator;
    bool established;
    bool dead; /* refused peer or internal failure: every further call is CHANNEL_STATE */
    noise_pattern pattern;
    const trust_policy *trust;
    uint64_t rekey_interval;
    uint8_t session[FRAME_SESSION_LEN];
    noise_handshake *hs; /* NULL once established or dead */
    int step;            /* handshake messages processed, once hs is gone */
    uint8_t hash[NOISE_HASH_LEN];
    bool have_peer;
    uint8_t peer_public[32];
    char peer_id[IDENTITY_ID_LEN + 1];
    char refused_id[IDENTITY_ID_LEN + 1]; /* the last peer the trust policy refused, or "" */
    uint8_t *mac1_key; /* XXpsk3 only: CHANNEL_MAC1_KEY_LEN bytes (crypto/secmem.h) */
    uint64_t (*now_ms)(void);
    record_sender tx;
    record_receiver rx;
    uint8_t *scratch; /* CHANNEL_MAX_RECORD bytes: record plaintext while sealing */
};

/* "kchat/3" 0x00 session u8 len(a2b) a2b u8 len(b2a) b2a; 0 when a topic name is too long. */
static size_t build_prologue(uint8_t *out, const uint8_t *session, const char *a2b, const char *b2a)
{
    size_t la = strlen(a2b), lb = strlen(b2a), n = 0;
    if (la > TOPIC_MAX || lb > TOPIC_MAX)
        return 0;
    memcpy(out, CHANNEL_PROLOGUE_LABEL, sizeof(CHANNEL_PROLOGUE_LABEL)); /* with its 0x00 */
    n += sizeof(CHANNEL_PROLOGUE_LABEL);
    memcpy(out + n, session, FRAME_SESSION_LEN);
    n += FRAME_SESSION_LEN;
    out[n++] = (uint8_t)la;
    memcpy(out + n, a2b, la);
    n += la;
    out[n++] = (uint8_t)lb;
    memcpy(out + n, b2a, lb);
    return n + lb;
}

static bool params_valid(const channel_params *p, const uint8_t *session)
{
    if (p == NULL || p->static_priv == NULL || p->a2b == NULL || p->b2a == NULL || p->trust == NULL)
        return false;
    if (p->pattern != NOISE_XX && p->pattern != NOISE_XXPSK3)
        return false;
    if ((p->psk != NULL) != (p->pattern == NOISE_XXPSK3))
        return false;
    if (p->rekey_interval != 0 && p->rekey_interval < CHANNEL_MIN_REKEY_INTERVAL)
        return false;
    return p->initiator || session != NULL; /* the responder takes message 1's session id */
}

static int map_noise(int rc)
{
    switch (rc) {
    case NOISE_OK:
        return CHANNEL_OK;
    case NOISE_ERR_DECRYPT:
    case NOISE_ERR_DH:
        return CHANNEL_TAMPERED;
    case NOISE_ERR_SIZE:
        return CHANNEL_MALFORMED;
    case NOISE_ERR_STATE:
        return CHANNEL_STATE;
    case NOISE_ERR_NOMEM:
        return CHANNEL_NOMEM;
    case NOISE_ERR_NONCE:
        return CHANNEL_NONCE_EXHAUSTED;
    case NOISE_ERR_REFUSED:
        return CHANNEL_UNTRUSTED;
    default:
        return CHANNEL_ERR_ARG;
    }
}

/* mac1 key = BLAKE2b-256(key = psk, CHANNEL_MAC1_LABEL). */
static void mac1_key_of(uint8_t key[CHANNEL_MAC1_KEY_LEN], const uint8_t psk[32])
{
    crypto_generichash(key, CHANNEL_MAC1_KEY_LEN, (const uint8_t *)CHANNEL_MAC1_LABEL,
                       strlen(CHANNEL_MAC1_LABEL), psk, 32);
}

/* mac1 = BLAKE2b-128(key = mac1 key, frame header || Noise message 1 || sent_ms). */
static void mac1_of(uint8_t mac[FRAME_MAC1_LEN], const uint8_t key[CHANNEL_MAC1_KEY_LEN],
                    const uint8_t *covered, size_t len)
{
    crypto_generichash(mac, FRAME_MAC1_LEN, covered, len, key, CHANNEL_MAC1_KEY_LEN);
}

/* CHANNEL_OK when buf is a message-1 frame whose mac1 (its last 16 bytes) verifies under key;
 * *sent_ms gets the time before it. */
static int mac1_check(const uint8_t key[CHANNEL_MAC1_KEY_LEN], const uint8_t *buf, size_t len,
                      uint64_t *sent_ms)
{
    frame f;
    uint8_t mac[FRAME_MAC1_LEN];
    if (frame_parse(buf, len, &f) != 0 || f.type != FRAME_HS1 ||
        f.body_len < FRAME_HS1_AUTH_LEN + NOISE_DH_LEN + NOISE_TAG_LEN)
        return CHANNEL_MALFORMED;
    mac1_of(mac, key, buf, len - FRAME_MAC1_LEN);
    int ok = crypto_verify_16(mac, buf + len - FRAME_MAC1_LEN);
    sodium_memzero(mac, sizeof(mac));
    if (ok != 0)
        return CHANNEL_UNAUTHENTICATED;
    if (sent_ms != NULL)
        *sent_ms = be64_get(buf + len - FRAME_HS1_AUTH_LEN);
    return CHANNEL_OK;
}

int channel_hs1_check_mac(const uint8_t *psk, const uint8_t *buf, size_t len, uint64_t *sent_ms)
{
    uint8_t key[CHANNEL_MAC1_KEY_LEN];
    if (psk == NULL || buf == NULL || sodium_init() < 0)
        return CHANNEL_ERR_ARG;
    mac1_key_of(key, psk);
    int rc = mac1_check(key, buf, len, sent_ms);
    sodium_memzero(key, sizeof(key));
    return rc;
}

static int start_handshake(channel *c, const channel_params *p)
{
    uint8_t prologue[PROLOGUE_MAX];
    size_t plen = build_prologue(prologue, c->session, p->a2b, p->b2a);
    if (plen == 0)
        return CHANNEL_ERR_ARG;
    return map_noise(noise_handshake_new(&c->hs, p->pattern, p->initiator, prologue, plen,
                                         p->static_priv, p->psk));
}

channel *channel_new(const channel_params *p, const uint8_t *session, int *err)
{
    int dummy, rc = CHANNEL_NOMEM;
    err = err != NULL ? err : &dummy;
    if (!params_valid(p, session) || sodium_init() < 0) {
        *err = CHANNEL_ERR_ARG;
        return NULL;
    }
    channel *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->scratch = malloc(CHANNEL_MAX_RECORD)) == NULL)
        goto fail;
    c->initiator = p->initiator;
    c->pattern = p->pattern;
    c->trust = p->trust;
    c->now_ms = p->now_ms != NULL ? p->now_ms : sys_wall_ms;
    c->rekey_interval = p->rekey_interval ? p->rekey_interval : CHANNEL_DEFAULT_REKEY_INTERVAL;
    if (p->psk != NULL) {
        if ((c->mac1_key = secmem_alloc(CHANNEL_MAC1_KEY_LEN)) == NULL)
            goto fail;
        mac1_key_of(c->mac1_key, p->psk);
    }
    if (session != NULL)
        memcpy(c->session, session, FRAME_SESSION_LEN);
    else
        randombytes_buf(c->session, FRAME_SESSION_LEN);
    rc = start_handshake(c, p);
    if (rc != CHANNEL_OK)
        goto fail;
    *err = CHANNEL_OK;
    return c;
fail:
    channel_free(c);
    *err = rc;
    return NULL;
}

/* Ends the handshake state, keeping what the accessors report. */
static void drop_handshake(channel *c)
{
    if (c->hs == NULL)
        return;
    noise_handshake_hash(c->hs, c->hash);
    c->step = noise_handshake_step(c->hs);
    noise_handshake_free(c->hs);
    c->hs = NULL;
}

static void mark_dead(channel *c)
{
    drop_handshake(c);
    c->dead = true;
}

static int finish_handshake(channel *c)
{
    noise_cipher *send = NULL, *recv = NULL;
    int rc = noise_handshake_split(c->hs, &send, &recv);
    if (rc != NOISE_OK) {
        mark_dead(c);
        return map_noise(rc);
    }
    record_sender_init(&c->tx, send, c->rekey_interval);
    record_receiver_init(&c->rx, recv, c->rekey_interval);
    drop_handshake(c);
    c->established = true;
    return CHANNEL_OK;
}

static bool in_handshake(const channel *c)
{
    return c != NULL && !c->dead && !c->established && c->hs != NULL;
}

int channel_hs_write(channel *c, const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
                     size_t *outlen)
{
    if (c == NULL || out == NULL || outlen == NULL || (payload == NULL && plen > 0))
        return CHANNEL_ERR_ARG;
    if (!in_handshake(c) || !noise_handshake_my_turn(c->hs))
        return CHANNEL_STATE;
    if (cap < FRAME_HS_HEADER_LEN)
        return CHANNEL_ERR_ARG;
    frame_type type = (frame_type)(noise_handshake_step(c->hs) + 1);
    size_t auth = type == FRAME_HS1 && c->mac1_key != NULL ? FRAME_HS1_AUTH_LEN : 0;
    if (cap < FRAME_HS_HEADER_LEN + auth)
        return CHANNEL_ERR_ARG;
    size_t hlen = frame_write_header(out, type, c->session, 0);
    size_t n = 0;
    int rc = noise_handshake_write(c->hs, payload, plen, out + hlen, cap - hlen - auth, &n);
    if (rc == NOISE_ERR_SIZE)
        return CHANNEL_ERR_ARG; /* payload too long */
    if (rc != NOISE_OK)
        return map_noise(rc); /* the handshake state is unchanged */
    if (auth > 0) {
        be64_put(out + hlen + n, c->now_ms());
        mac1_of(out + hlen + n + FRAME_HS1_TIME_LEN, c->mac1_key, out,
                hlen + n + FRAME_HS1_TIME_LEN);
    }
    *outlen = hlen + n + auth;
    return noise_handshake_done(c->hs) ? finish_handshake(c) : CHANNEL_OK;
}

/* Asked by Noise as soon as a message reveals the peer's static key, before anything is
 * committed: a refused key leaves the handshake as it was, and its identifier is kept for the
 * error message. */
static bool accept_peer(const uint8_t rs[32], void *ctx)
{
    channel *c = ctx;
    if (trust_policy_accepts(c->trust, rs))
        return true;
    identity_id_of(rs, c->refused_id);
    return false;
}

/* After a successful read: remember the peer once its static key is known. */
static void note_peer(channel *c)
{
    const uint8_t *rs = noise_handshake_remote_static(c->hs);
    if (c->have_peer || rs == NULL)
        return;
    memcpy(c->peer_public, rs, sizeof(c->peer_public));
    identity_id_of(c->peer_public, c->peer_id);
    c->have_peer = true;
}

/* The Noise message inside f: message 1 of XXpsk3 loses its time and mac1, checked first
 * (before any Diffie-Hellman). */
static int noise_body(const channel *c, const frame *f, const uint8_t *buf, size_t len,
                      size_t *body_len)
{
    *body_len = f->body_len;
    if (f->type != FRAME_HS1 || c->mac1_key == NULL)
        return CHANNEL_OK;
    int rc = mac1_check(c->mac1_key, buf, len, NULL);
    if (rc == CHANNEL_OK)
        *body_len -= FRAME_HS1_AUTH_LEN;
    return rc;
}

int channel_hs_read(channel *c, const uint8_t *buf, size_t len, uint8_t *payload, size_t cap,
                    size_t *plen)
{
    if (c == NULL || buf == NULL || plen == NULL || (payload == NULL && cap > 0))
        return CHANNEL_ERR_ARG;
    *plen = 0;
    if (!in_handshake(c) || noise_handshake_my_turn(c->hs))
        return CHANNEL_STATE;
    frame f;
    if (frame_parse(buf, len, &f) != 0)
        return CHANNEL_MALFORMED;
    if (memcmp(f.session, c->session, FRAME_SESSION_LEN) != 0)
        return CHANNEL_UNKNOWN_SESSION;
    if (f.type != noise_handshake_step(c->hs) + 1)
        return CHANNEL_MALFORMED;
    size_t body_len = 0, n = 0;
    int rc = noise_body(c, &f, buf, len, &body_len);
    if (rc != CHANNEL_OK)
        return rc;
    rc = noise_handshake_read_checked(c->hs, f.body, body_len, payload, cap, &n, accept_peer, c);
    if (rc != NOISE_OK)
        return map_noise(rc); /* the handshake state is unchanged */
    note_peer(c);
    *plen = n;
    return noise_handshake_done(c->hs) ? finish_handshake(c) : CHANNEL_OK;
}

int channel_step(const channel *c)
{
    if (c == NULL)
        return 0;
    return c->hs != NULL ? noise_handshake_step(c->hs) : c->step;
}

bool channel_established(const channel *c)
{
    return c != NULL && c->established && !c->dead;
}

bool channel_my_turn(const channel *c)
{
    return in_handshake(c) && noise_handshake_my_turn(c->hs);
}

const uint8_t *channel_session(const channel *c)
{
    return c != NULL ? c->session : NULL;
}

const char *channel_peer_id(const channel *c)
{
    return c != NULL && c->have_peer ? c->peer_id : "";
}

const char *channel_last_refused_id(const channel *c)
{
    return c != NULL ? c->refused_id : "";
}

const uint8_t *channel_peer_public(const channel *c)
{
    return c != NULL && c->have_peer ? c->peer_public : NULL;
}

const char *channel_suite(const channel *c)
{
    return c != NULL ? noise_protocol_name(c->pattern) : "";
}

void channel_handshake_hash(const channel *c, uint8_t out[NOISE_HASH_LEN])
{
    if (c != NULL && c->hs != NULL)
        noise_handshake_hash(c->hs, out);
    else if (c != NULL)
        memcpy(out, c->hash, NOISE_HASH_LEN);
}

static bool transport_ready(const channel *c)
{
    return c != NULL && c->established && !c->dead;
}

int channel_seal(channel *c, const channel_record *r, uint8_t *out, size_t cap, size_t *outlen)
{
    if (c == NULL || r == NULL || out == NULL || outlen == NULL ||
        (r->body == NULL && r->body_len > 0))
        return CHANNEL_ERR_ARG;
    if (!transport_ready(c))
        return CHANNEL_STATE;
    if (record_validate(r) != 0)
        return CHANNEL_ERR_ARG;
    return record_seal(&c->tx, c->session, r, c->scratch, out, cap, outlen);
}

int channel_seal_batch(channel *c, uint64_t ack, const channel_record *msgs, size_t n, uint8_t *out,
                       size_t cap, size_t *outlen)
{
    if (c == NULL || out == NULL || outlen == NULL)
        return CHANNEL_ERR_ARG;
    if (!transport_ready(c))
        return CHANNEL_STATE;
    if (record_batch_msgs_valid(msgs, n) != 0)
        return CHANNEL_ERR_ARG;
    return record_seal_batch(&c->tx, c->session, ack, msgs, n, c->scratch, out, cap, outlen);
}

int channel_open(channel *c, const uint8_t *in, size_t len, channel_record *r, uint8_t *buf,
                 size_t cap, uint64_t *nonce_out)
{
    if (c == NULL || in == NULL || r == NULL || buf == NULL)
        return CHANNEL_ERR_ARG;
    if (!transport_ready(c))
        return CHANNEL_STATE;
    frame f;
    if (frame_parse(in, len, &f) != 0)
        return CHANNEL_MALFORMED;
    if (memcmp(f.session, c->session, FRAME_SESSION_LEN) != 0)
        return CHANNEL_UNKNOWN_SESSION;
    if (f.type != FRAME_DATA && f.type != FRAME_CLOSE)
        return CHANNEL_MALFORMED;
    return record_open(&c->rx, &f, r, buf, cap, nonce_out);
}

int channel_rekey_now(channel *c)
{
    if (c == NULL)
        return CHANNEL_ERR_ARG;
    if (!transport_ready(c))
        return CHANNEL_STATE;
    return record_sender_rekey_now(&c->tx);
}

uint64_t channel_send_epoch(const channel *c)
{
    return transport_ready(c) ? c->tx.epoch : 0;
}

uint64_t channel_recv_epoch(const channel *c)
{
    return transport_ready(c) ? c->rx.cur_epoch : 0;
}

void channel_test_set_send_nonce(channel *c, uint64_t n)
{
    if (transport_ready(c))
        record_sender_set_next(&c->tx, n);
}

uint64_t channel_test_recv_rekeys(const channel *c)
{
    return transport_ready(c) ? c->rx.rekeys : 0;
}

const char *channel_strerror(int err)
{
    switch (err) {
    case CHANNEL_OK:
        return "ok";
    case CHANNEL_ERR_ARG:
        return "invalid argument";
    case CHANNEL_REPLAYED:
        return "replayed or out-of-window frame";
    case CHANNEL_TAMPERED:
        return "frame failed authentication";
    case CHANNEL_MALFORMED:
        return "malformed frame or record";
    case CHANNEL_UNKNOWN_SESSION:
        return "frame of another session";
    case CHANNEL_UNTRUSTED:
        return "peer identity not trusted";
    case CHANNEL_STATE:
        return "operation not valid in this channel state";
    case CHANNEL_NONCE_EXHAUSTED:
        return "nonce space exhausted";
    case CHANNEL_NOMEM:
        return "out of memory";
    case CHANNEL_UNAUTHENTICATED:
        return "handshake message 1 without a valid mac1 (writer lacks the invitation secret)";
    default:
        return "unknown channel error";
    }
}

void channel_free(channel *c)
{
    if (c == NULL)
        return;
    if (c->hs != NULL)
        noise_handshake_free(c->hs);
    if (c->established) {
        record_sender_free(&c->tx);
        record_receiver_free(&c->rx);
    }
    if (c->mac1_key != NULL)
        secmem_free(c->mac1_key, CHANNEL_MAC1_KEY_LEN);
    if (c->scratch != NULL) {
        sodium_memzero(c->scratch, CHANNEL_MAX_RECORD);
        free(c->scratch);
    }
    sodium_memzero(c, sizeof(*c));
    free(c);
}
