/* channel_transport: one direction's keys of an established channel (see record.h): explicit
 * nonces, key epochs advanced with Noise Rekey(), the replay window. */
#include "crypto/record.h"

#include <sodium.h>
#include <string.h>

static uint64_t epoch_of(uint64_t nonce, uint64_t interval)
{
    return nonce / interval;
}

static void rekey_times(noise_cipher *c, uint64_t times)
{
    for (uint64_t i = 0; i < times; i++)
        noise_cipher_rekey(c);
}

static void cipher_free(noise_cipher *c)
{
    if (c != NULL)
        noise_cipher_free(c);
}

/* A copy of key advanced by steps epochs; NULL when out of memory. */
static noise_cipher *derive(record_receiver *r, const noise_cipher *key, uint64_t steps)
{
    noise_cipher *c = noise_cipher_clone(key);
    if (c != NULL) {
        rekey_times(c, steps);
        r->rekeys += steps;
    }
    return c;
}

/* ---- sender ---- */

void record_sender_init(record_sender *s, noise_cipher *key, uint64_t interval)
{
    memset(s, 0, sizeof(*s));
    s->key = key;
    s->interval = interval;
}

void record_sender_free(record_sender *s)
{
    cipher_free(s->key);
    sodium_memzero(s, sizeof(*s));
}

static void sender_advance(record_sender *s, uint64_t epoch)
{
    if (epoch > s->epoch) {
        rekey_times(s->key, epoch - s->epoch);
        s->epoch = epoch;
    }
}

/* A batch to encode (record_seal_batch). */
typedef struct batch_arg {
    uint64_t ack;
    const channel_record *msgs;
    size_t n;
} batch_arg;

/* Encodes one record or one batch (exactly one of r, b) into scratch; returns its length. */
static size_t encode_into(uint8_t *scratch, const channel_record *r, const batch_arg *b)
{
    return r != NULL ? record_encode(scratch, r)
                     : record_encode_batch(scratch, b->ack, b->msgs, b->n);
}

static int seal(record_sender *s, const uint8_t session[FRAME_SESSION_LEN], frame_type type,
                size_t body_len, const channel_record *r, const batch_arg *b, uint8_t *scratch,
                uint8_t *out, size_t cap, size_t *outlen)
{
    size_t ptlen = record_padded_len(RECORD_HEADER_LEN + body_len);
    size_t total = FRAME_DATA_HEADER_LEN + ptlen + NOISE_TAG_LEN;
    if (cap < total)
        return CHANNEL_ERR_ARG;
    uint64_t n = s->next;
    if (n == UINT64_MAX)
        return CHANNEL_NONCE_EXHAUSTED;
    sender_advance(s, epoch_of(n, s->interval));
    size_t hlen = frame_write_header(out, type, session, n);
    encode_into(scratch, r, b);
    int rc = noise_cipher_encrypt_long_n(s->key, n, out, hlen, scratch, ptlen, out + hlen);
    sodium_memzero(scratch, ptlen);
    if (rc != NOISE_OK)
        return rc == NOISE_ERR_NONCE ? CHANNEL_NONCE_EXHAUSTED : CHANNEL_ERR_ARG;
    s->next = n + 1;
    *outlen = total;
    return CHANNEL_OK;
}

int record_seal(record_sender *s, const uint8_t session[FRAME_SESSION_LEN], const channel_record *r,
                uint8_t *scratch, uint8_t *out, size_t cap, size_t *outlen)
{
    frame_type type = r->kind == RECORD_CLOSE ? FRAME_CLOSE : FRAME_DATA;
    return seal(s, session, type, r->body_len, r, NULL, scratch, out, cap, outlen);
}

int record_seal_batch(record_sender *s, const uint8_t session[FRAME_SESSION_LEN], uint64_t ack,
                      const channel_record *msgs, size_t n, uint8_t *scratch, uint8_t *out,
                      size_t cap, size_t *outlen)
{
    batch_arg b = {.ack = ack, .msgs = msgs, .n = n};
    return seal(s, session, FRAME_DATA, record_batch_len(msgs, n), NULL, &b, scratch, out, cap,
                outlen);
}

int record_sender_rekey_now(record_sender *s)
{
    if (s->next == UINT64_MAX)
        return CHANNEL_NONCE_EXHAUSTED;
    uint64_t e = epoch_of(s->next, s->interval);
    if (e > s->epoch) { /* the next nonce already starts a fresh epoch */
        sender_advance(s, e);
        return CHANNEL_OK;
    }
    if (s->next == e * s->interval)
        return CHANNEL_OK; /* the current key has sealed nothing yet: it is fresh already */
    if (e + 1 > (UINT64_MAX - 1) / s->interval)
        return CHANNEL_NONCE_EXHAUSTED;
    s->next = (e + 1) * s->interval;
    sender_advance(s, e + 1);
    return CHANNEL_OK;
}

void record_sender_set_next(record_sender *s, uint64_t n)
{
    uint64_t e = epoch_of(n, s->interval);
    s->next = n;
    if (e < s->epoch || e - s->epoch > RECORD_MAX_EPOCH_SKIP)
        s->epoch = e;
}

/* ---- receiver ---- */

void record_receiver_init(record_receiver *r, noise_cipher *key, uint64_t interval)
{
    memset(r, 0, sizeof(*r));
    r->cur = key;
    r->interval = interval;
    replay_init(&r->win);
}

void record_receiver_free(record_receiver *r)
{
    cipher_free(r->cur);
    cipher_free(r->old);
    sodium_memzero(r, sizeof(*r));
}

/* The key for epoch e: *key borrowed from r, or derived into *derived (caller frees). */
static int select_key(record_receiver *r, uint64_t e, const noise_cipher **key,
                      noise_cipher **derived)
{
    *derived = NULL;
    if (e == r->cur_epoch) {
        *key = r->cur;
        return CHANNEL_OK;
    }
    if (e > r->cur_epoch) {
        if (e - r->cur_epoch > RECORD_MAX_EPOCH_SKIP)
            return CHANNEL_REPLAYED;
        *derived = derive(r, r->cur, e - r->cur_epoch);
    } else {
        if (r->old == NULL || e < r->old_epoch)
            return CHANNEL_REPLAYED;
        if (e == r->old_epoch) {
            *key = r->old;
            return CHANNEL_OK;
        }
        *derived = derive(r, r->old, e - r->old_epoch);
    }
    if (*derived == NULL)
        return CHANNEL_NOMEM;
    *key = *derived;
    return CHANNEL_OK;
}

/* The epoch of the lowest nonce the replay window still holds. */
static uint64_t window_floor_epoch(const record_receiver *r)
{
    uint64_t top = r->win.top;
    uint64_t lowest = top > REPLAY_WINDOW_BITS ? top - REPLAY_WINDOW_BITS : 0;
    return epoch_of(lowest, r->interval);
}

/* After the window moved: keep in r->old the key of the window's oldest epoch, derived from the
 * newest of the old keys (r->old, spare) that is not past it; free the rest. */
static void settle_old(record_receiver *r, noise_cipher *spare, uint64_t spare_epoch)
{
    uint64_t target = window_floor_epoch(r);
    noise_cipher *keep = NULL;
    uint64_t keep_epoch = 0;
    if (target < r->cur_epoch) {
        if (r->old != NULL && r->old_epoch <= target) {
            keep = r->old;
            keep_epoch = r->old_epoch;
        }
        if (spare != NULL && spare_epoch <= target && (keep == NULL || spare_epoch > keep_epoch)) {
            keep = spare;
            keep_epoch = spare_epoch;
        }
    }
    if (r->old != NULL && r->old != keep)
        cipher_free(r->old);
    if (spare != keep)
        cipher_free(spare);
    r->old = keep;
    r->old_epoch = target;
    if (keep != NULL) {
        rekey_times(keep, target - keep_epoch);
        r->rekeys += target - keep_epoch;
    }
}

static void commit(record_receiver *r, uint64_t n, uint64_t e, noise_cipher *derived)
{
    noise_cipher *spare = NULL;
    uint64_t spare_epoch = 0;
    replay_commit(&r->win, n);
    if (e > r->cur_epoch) { /* derived is the key of the new current epoch */
        spare = r->cur;
        spare_epoch = r->cur_epoch;
        r->cur = derived;
        r->cur_epoch = e;
    } else {
        cipher_free(derived);
    }
    settle_old(r, spare, spare_epoch);
}

static bool kind_fits_frame(uint8_t kind, uint8_t type)
{
    return (type == FRAME_CLOSE) == (kind == RECORD_CLOSE);
}

int record_open(record_receiver *rx, const frame *f, channel_record *r, uint8_t *buf, size_t cap,
                uint64_t *nonce_out)
{
    size_t ptlen = f->body_len - NOISE_TAG_LEN;
    if (cap < ptlen)
        return CHANNEL_ERR_ARG;
    if (!replay_check(&rx->win, f->nonce))
        return CHANNEL_REPLAYED;
    uint64_t e = epoch_of(f->nonce, rx->interval);
    const noise_cipher *key = NULL;
    noise_cipher *derived = NULL;
    int rc = select_key(rx, e, &key, &derived);
    if (rc != CHANNEL_OK)
        return rc;
    if (noise_cipher_decrypt_long_n(key, f->nonce, f->header, f->header_len, f->body, f->body_len,
                                    buf) != NOISE_OK) {
        cipher_free(derived);
        return CHANNEL_TAMPERED;
    }
    channel_record d;
    if (record_decode(buf, ptlen, &d) != 0 || !kind_fits_frame(d.kind, f->type)) {
        cipher_free(derived);
        sodium_memzero(buf, ptlen);
        return CHANNEL_MALFORMED;
    }
    commit(rx, f->nonce, e, derived);
    *r = d;
    if (nonce_out != NULL)
        *nonce_out = f->nonce;
    return CHANNEL_OK;
}
