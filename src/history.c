#include "src/history.h"
#include "src/sealed_log.h"
#include "sys/be.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_PURPOSE "kchat-history-v1"
#define ENTRY_HDR_LEN (1 + 1 + 8 + 8 + 4)
#define ENTRY_CUT 0x01u

struct history {
    sealed_log *lg;
    size_t keep, count;
    size_t *lens; /* the plaintext length of each record, in file order (count of them) */
    size_t cap_lens;
    bool oom; /* lens could not grow */
    /* entries queued by history_add, written by history_flush: plaintext, wiped once written */
    sealed_buf pend;
    size_t pend_len, pend_n;
    size_t pend_lens[HISTORY_PEND_MAX_N];
};

/* dir u8, flags u8, seq u64, time i64, len u32, text: exactly. */
static int decode(const uint8_t *rec, size_t len, history_entry *e)
{
    if (len < ENTRY_HDR_LEN)
        return -1;
    uint32_t n = be32_get(rec + 18);
    if (rec[0] > HISTORY_OURS || (rec[1] & ~ENTRY_CUT) || n > HISTORY_TEXT_MAX ||
        n != len - ENTRY_HDR_LEN)
        return -1;
    e->dir = rec[0];
    e->cut = rec[1] & ENTRY_CUT;
    e->seq = be64_get(rec + 2);
    e->time_ms = (int64_t)be64_get(rec + 10);
    e->text = rec + ENTRY_HDR_LEN;
    e->len = n;
    return 0;
}

/* Counting (and checking) the records. */
static int count_cb(void *ctx, const uint8_t *rec, size_t len)
{
    history_entry e;
    if (decode(rec, len, &e) != 0)
        return -1;
    (*(size_t *)ctx)++;
    return 0;
}

/* One more record of len plaintext bytes (count and lens). */
static int note_record(history *h, size_t len)
{
    if (h->count == h->cap_lens) {
        size_t cap = h->cap_lens ? h->cap_lens * 2 : 256;
        size_t *p = realloc(h->lens, cap * sizeof *p);
        if (!p) {
            h->oom = true;
            return -1;
        }
        h->lens = p;
        h->cap_lens = cap;
    }
    h->lens[h->count++] = len;
    return 0;
}

/* Opening: each record checked and its length noted. */
static int open_cb(void *ctx, const uint8_t *rec, size_t len)
{
    history_entry e;
    if (decode(rec, len, &e) != 0)
        return -1;
    return note_record(ctx, len);
}

int history_parse(const uint8_t *data, size_t len, const uint8_t *key, char *err, size_t errlen)
{
    size_t count = 0, good;
    uint64_t nrec;
    return sealed_log_parse(data, len, HISTORY_PURPOSE, key, count_cb, &count, &good, &nrec, err,
                            errlen);
}

static int rotate(history *h, char *err, size_t errlen);

/* More than HISTORY_SLACK times the kept count, or HISTORY_BYTES_MAX: time to rotate. */
static bool rotation_due(const history *h)
{
    return h->count > HISTORY_SLACK * h->keep || sealed_log_bytes(h->lg) > HISTORY_BYTES_MAX;
}

history *history_open(const char *path, const uint8_t *key, size_t keep, char *err, size_t errlen)
{
    if (keep > HISTORY_KEEP_MAX) {
        snprintf(err, errlen, "at most %d messages of history", HISTORY_KEEP_MAX);
        return NULL;
    }
    history *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->keep = keep ? keep : HISTORY_KEEP_DEFAULT;
    h->lg = sealed_log_open(path, HISTORY_PURPOSE, key, true, open_cb, h, err, errlen);
    if (h->oom)
        snprintf(err, errlen, "out of memory");
    if (!h->lg || h->oom || (rotation_due(h) && rotate(h, err, errlen) != 0)) {
        history_close(h);
        return NULL;
    }
    return h;
}

static size_t encode(uint8_t *out, uint8_t dir, uint8_t flags, uint64_t seq, int64_t t,
                     const void *text, size_t len)
{
    out[0] = dir;
    out[1] = flags;
    be64_put(out + 2, seq);
    be64_put(out + 10, (uint64_t)t);
    be_put(out + 18, len, 4);
    if (len)
        memcpy(out + ENTRY_HDR_LEN, text, len);
    return ENTRY_HDR_LEN + len;
}

int history_flush(history *h, char *err, size_t errlen)
{
    if (h->oom) { /* the lengths no longer match the file: nothing more is written */
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!h->pend_n)
        return 0;
    int rc = sealed_log_append(h->lg, h->pend.p, h->pend_lens, h->pend_n, err, errlen);
    for (size_t i = 0; rc == 0 && i < h->pend_n; i++)
        if (note_record(h, h->pend_lens[i]) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    sodium_memzero(h->pend.p, h->pend_len);
    h->pend_len = h->pend_n = 0;
    if (rc == 0 && rotation_due(h))
        rc = rotate(h, err, errlen);
    return rc;
}

int history_add(history *h, uint8_t dir, uint64_t seq, int64_t time_ms, const void *text,
                size_t len, char *err, size_t errlen)
{
    if (dir > HISTORY_OURS) {
        snprintf(err, errlen, "bad history direction");
        return -1;
    }
    uint8_t flags = len > HISTORY_TEXT_MAX ? ENTRY_CUT : 0;
    if (flags)
        len = HISTORY_TEXT_MAX;
    if ((h->pend_len + ENTRY_HDR_LEN + len > HISTORY_PEND_MAX || h->pend_n == HISTORY_PEND_MAX_N) &&
        history_flush(h, err, errlen) != 0)
        return -1;
    if (!h->pend.p &&
        !sealed_buf_get(&h->pend, HISTORY_PEND_MAX + ENTRY_HDR_LEN + HISTORY_TEXT_MAX)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = encode(h->pend.p + h->pend_len, dir, flags, seq, time_ms, text, len);
    h->pend_len += n;
    h->pend_lens[h->pend_n++] = n;
    return 0;
}

/* ---- rotation: keep the last `keep` records within 1/HISTORY_SLACK of the byte bound ---- */

typedef struct keeper {
    size_t off, total;
    uint8_t *buf;
} keeper;

static int keep_cb(void *ctx, const uint8_t *rec, size_t len)
{
    keeper *k = ctx;
    if (len > k->total - k->off)
        return -1; /* not the records the lengths say */
    memcpy(k->buf + k->off, rec, len);
    k->off += len;
    return 0;
}

/* Rewrites the file with the records from index first on: only they are read (from their offset
 * on, known from the lengths), opened and sealed again. */
static int rewrite_from(history *h, size_t first, char *err, size_t errlen)
{
    size_t total = 0;
    uint64_t offset = SEALED_LOG_HDR_LEN;
    for (size_t i = 0; i < h->count; i++) {
        if (i < first)
            offset += sealed_log_record_size(h->lens[i]);
        else
            total += h->lens[i];
    }
    keeper k = {0, total, sodium_malloc(total ? total : 1)};
    if (!k.buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = sealed_log_replay_tail(h->lg, first, offset, keep_cb, &k, err, errlen);
    if (rc == 0 && k.off != total) {
        snprintf(err, errlen, "the history changed while it was rotated");
        rc = -1;
    }
    if (rc == 0)
        rc = sealed_log_rewrite(h->lg, k.buf, h->lens + first, h->count - first, err, errlen);
    if (rc == 0) {
        memmove(h->lens, h->lens + first, (h->count - first) * sizeof *h->lens);
        h->count -= first;
    }
    sodium_free(k.buf);
    return rc;
}

static int rotate(history *h, char *err, size_t errlen)
{
    size_t first = h->count > h->keep ? h->count - h->keep : 0, bytes = 0;
    for (size_t i = h->count; i > first; i--) {
        bytes += h->lens[i - 1] + 64;
        if (bytes > HISTORY_BYTES_MAX / HISTORY_SLACK) {
            first = i;
            break;
        }
    }
    return rewrite_from(h, first, err, errlen);
}

/* ---- reading the last messages ---- */

typedef struct ring {
    uint8_t **rec;
    size_t *len;
    size_t n, cap, next;
    bool oom;
} ring;

static int ring_cb(void *ctx, const uint8_t *rec, size_t len)
{
    ring *r = ctx;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        r->oom = true;
        return -1;
    }
    memcpy(copy, rec, len);
    size_t i = r->next % r->cap;
    if (r->rec[i]) {
        sodium_memzero(r->rec[i], r->len[i]);
        free(r->rec[i]);
    }
    r->rec[i] = copy;
    r->len[i] = len;
    r->next++;
    if (r->n < r->cap)
        r->n++;
    return 0;
}

static void ring_free(ring *r)
{
    for (size_t i = 0; r->rec && i < r->cap; i++) {
        if (r->rec[i]) {
            sodium_memzero(r->rec[i], r->len[i]);
            free(r->rec[i]);
        }
    }
    free(r->rec);
    free(r->len);
}

int history_last(history *h, size_t n, history_fn fn, void *ctx, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    if (history_flush(h, err, errlen) != 0)
        return -1;
    if (n > h->count)
        n = h->count ? h->count : 1;
    ring r = {calloc(n, sizeof *r.rec), calloc(n, sizeof *r.len), 0, n, 0, false};
    int rc = -1;
    if (!r.rec || !r.len)
        snprintf(err, errlen, "out of memory");
    else
        rc = sealed_log_replay(h->lg, ring_cb, &r, err, errlen);
    if (rc != 0 && r.oom)
        snprintf(err, errlen, "out of memory");
    for (size_t i = 0; rc == 0 && i < r.n; i++) {
        size_t at = (r.next - r.n + i) % r.cap;
        history_entry e;
        if (decode(r.rec[at], r.len[at], &e) == 0)
            fn(ctx, &e);
    }
    ring_free(&r);
    return rc;
}

size_t history_count(const history *h)
{
    return h->count + h->pend_n;
}

int history_sync(history *h, char *err, size_t errlen)
{
    if (history_flush(h, err, errlen) != 0)
        return -1;
    return sealed_log_sync(h->lg, err, errlen);
}

void history_close(history *h)
{
    if (!h)
        return;
    if (h->lg) {
        char err[256];
        if (history_flush(h, err, sizeof err) == 0)
            sealed_log_sync(h->lg, err, sizeof err);
        sealed_log_close(h->lg);
    }
    sealed_buf_free(&h->pend);
    free(h->lens);
    free(h);
}
