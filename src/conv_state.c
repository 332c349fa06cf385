#include "src/conv_state.h"
#include "src/sealed_log.h"
#include "sys/path.h"
#include "sys/be.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONV_PURPOSE "kchat-conv-v1"
/* A queued record is closed past this many bytes: a step's changes (the engine holds at most
 * 6 MiB of undelivered text) make one record, so a crash tears at most the last one. */
#define REC_SOFT SEALED_LOG_REC_MAX
#define COMPACT_MIN CONV_STATE_COMPACT_MIN
#define COMPACT_FACTOR 4 /* compact when the file is this many times its live data */
#define PEND_MAX (CONV_STATE_BYTES_MAX + (16u << 20)) /* queued bytes */

/* Operations, one byte then big-endian fields. */
enum {
    OP_CONV = 'C',   /* conv id (16) */
    OP_NEXT = 'N',   /* our next seq u64 (snapshots) */
    OP_MSG = 'M',    /* seq u64, echo_of u64, flags u8, len u32, text */
    OP_ACKED = 'A',  /* upto u64 */
    OP_ECHOED = 'E', /* upto u64 */
    OP_SHOWN = 'S',  /* seq u64 */
    OP_UPTO = 'U',   /* shown upto u64 */
    OP_RENUM = 'R',  /* first u64 */
    OP_CLEAR = 'Z',  /* u64 0: all messages dropped, numbering from 1 */
};
#define MSG_HDR_LEN (1 + 8 + 8 + 1 + 4)

/* Queued operations, cut into records; sodium_malloc'ed (it holds texts). */
typedef struct jbuf {
    uint8_t *p;
    size_t len, cap, rec_start;
    size_t *lens;
    size_t nrec, reccap;
} jbuf;

struct conv_state {
    sealed_log *lg;
    bool has_conv, resumed, need_sync;
    uint8_t conv[HS_CONV_LEN];
    outbox out;
    seqset shown;
    uint64_t echoed;
    jbuf pend;
};

/* ---- encoding ---- */

typedef struct cursor {
    const uint8_t *p;
    size_t n;
} cursor;

static int get(cursor *c, void *out, size_t n)
{
    if (c->n < n)
        return -1;
    memcpy(out, c->p, n);
    c->p += n;
    c->n -= n;
    return 0;
}

static int get64(cursor *c, uint64_t *v)
{
    uint8_t b[8];
    if (get(c, b, 8) != 0)
        return -1;
    *v = be64_get(b);
    return 0;
}

static int get32(cursor *c, uint32_t *v)
{
    uint8_t b[4];
    if (get(c, b, 4) != 0)
        return -1;
    *v = be32_get(b);
    return 0;
}

/* ---- the queue ---- */

static void jbuf_free(jbuf *b)
{
    if (b->p)
        sodium_free(b->p); /* wipes */
    free(b->lens);
    memset(b, 0, sizeof *b);
}

/* Empties the queue but keeps its buffers (wiped): no sodium_malloc per step. */
static void jbuf_clear(jbuf *b)
{
    if (b->p)
        sodium_memzero(b->p, b->len);
    b->len = b->rec_start = b->nrec = 0;
}

static int jbuf_close_record(jbuf *b)
{
    if (b->len == b->rec_start)
        return 0;
    if (b->nrec == b->reccap) {
        size_t cap = b->reccap ? b->reccap * 2 : 8;
        size_t *p = realloc(b->lens, cap * sizeof *p);
        if (!p)
            return -1;
        b->lens = p;
        b->reccap = cap;
    }
    b->lens[b->nrec++] = b->len - b->rec_start;
    b->rec_start = b->len;
    return 0;
}

/* Room for an operation of n bytes, in the open record unless it would grow past REC_SOFT. */
static uint8_t *jbuf_op(jbuf *b, size_t n)
{
    if (b->len - b->rec_start + n > REC_SOFT && jbuf_close_record(b) != 0)
        return NULL;
    if (n > PEND_MAX - b->len)
        return NULL;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = sodium_malloc(cap);
        if (!p)
            return NULL;
        if (b->len)
            memcpy(p, b->p, b->len);
        if (b->p)
            sodium_free(b->p);
        b->p = p;
        b->cap = cap;
    }
    uint8_t *at = b->p + b->len;
    b->len += n;
    return at;
}

static int jbuf_u64(jbuf *b, uint8_t op, uint64_t v)
{
    uint8_t *p = jbuf_op(b, 9);
    if (!p)
        return -1;
    p[0] = op;
    be64_put(p + 1, v);
    return 0;
}

static int jbuf_conv(jbuf *b, const uint8_t conv[HS_CONV_LEN])
{
    uint8_t *p = jbuf_op(b, 1 + HS_CONV_LEN);
    if (!p)
        return -1;
    p[0] = OP_CONV;
    memcpy(p + 1, conv, HS_CONV_LEN);
    return 0;
}

static int jbuf_msg(jbuf *b, uint64_t seq, uint64_t echo_of, uint8_t flags, const void *text,
                    size_t len)
{
    if (len > CONV_STATE_TEXT_MAX)
        return -1;
    uint8_t *p = jbuf_op(b, MSG_HDR_LEN + len);
    if (!p)
        return -1;
    p[0] = OP_MSG;
    be64_put(p + 1, seq);
    be64_put(p + 9, echo_of);
    p[17] = flags;
    be_put(p + 18, len, 4);
    if (len)
        memcpy(p + MSG_HDR_LEN, text, len);
    return 0;
}

/* ---- applying operations (replay and changes share it: one set of rules) ---- */

static uint64_t last_pending(const conv_state *st)
{
    return st->out.n ? outbox_at(&st->out, st->out.n - 1)->seq : 0;
}

static int apply_msg(conv_state *st, cursor *c)
{
    uint64_t seq, echo_of;
    uint8_t flags;
    uint32_t len;
    if (get64(c, &seq) || get64(c, &echo_of) || get(c, &flags, 1) || get32(c, &len))
        return -1;
    if (len > CONV_STATE_TEXT_MAX || len > c->n || seq > CONV_STATE_SEQ_MAX ||
        echo_of > CONV_STATE_SEQ_MAX || seq <= st->out.acked ||
        (st->out.n ? seq != last_pending(st) + 1 : false) || st->out.n >= CONV_STATE_MSG_MAX ||
        st->out.bytes + len > CONV_STATE_BYTES_MAX)
        return -1;
    uint64_t next = st->out.next_seq > seq ? st->out.next_seq : seq + 1;
    uint64_t saved = st->out.next_seq;
    st->out.next_seq = seq;
    if (!outbox_push(&st->out, c->p, len, echo_of, flags)) {
        st->out.next_seq = saved;
        return -1;
    }
    st->out.next_seq = next;
    c->p += len;
    c->n -= len;
    return 0;
}

static int apply_shown(conv_state *st, uint64_t seq)
{
    if (seq == 0 || seq > CONV_STATE_SEQ_MAX)
        return -1;
    if (seqset_has(&st->shown, seq))
        return 0;
    if (seq > st->shown.upto + 1 && st->shown.n >= CONV_STATE_ABOVE_MAX)
        return -1;
    seqset_add(&st->shown, seq);
    return seqset_has(&st->shown, seq) ? 0 : -1;
}

static int apply_conv(conv_state *st, const uint8_t conv[HS_CONV_LEN])
{
    if (st->has_conv && !memcmp(st->conv, conv, HS_CONV_LEN))
        return 0;
    memcpy(st->conv, conv, HS_CONV_LEN);
    st->has_conv = true;
    seqset_free(&st->shown); /* the peer numbers a new conversation from 1 */
    seqset_init(&st->shown, 0);
    return 0;
}

static int apply_u64(conv_state *st, uint8_t op, uint64_t v)
{
    uint64_t top = st->out.next_seq - 1; /* our highest seq */
    if (v > CONV_STATE_SEQ_MAX)
        return -1;
    switch (op) {
    case OP_NEXT:
        if (v < st->out.next_seq || v <= last_pending(st))
            return -1;
        st->out.next_seq = v;
        return 0;
    case OP_ACKED:
        if (v > top)
            return -1;
        if (v > st->out.acked)
            outbox_ack(&st->out, v, NULL, NULL);
        return 0;
    case OP_ECHOED:
        if (v > top)
            return -1;
        if (v > st->echoed)
            st->echoed = v;
        return 0;
    case OP_SHOWN:
        return apply_shown(st, v);
    case OP_UPTO:
        seqset_advance(&st->shown, v);
        return 0;
    case OP_RENUM:
        if (v == 0)
            return -1;
        outbox_renumber(&st->out, v);
        st->echoed = v - 1;
        return 0;
    case OP_CLEAR:
        if (v != 0)
            return -1;
        outbox_free(&st->out);
        outbox_init(&st->out, 1);
        st->echoed = 0;
        return 0;
    }
    return -1;
}

static int apply_one(conv_state *st, cursor *c)
{
    uint8_t op;
    uint64_t v;
    uint8_t conv[HS_CONV_LEN];
    if (get(c, &op, 1) != 0)
        return -1;
    if (op == OP_MSG)
        return apply_msg(st, c);
    if (op == OP_CONV)
        return get(c, conv, sizeof conv) == 0 ? apply_conv(st, conv) : -1;
    if (get64(c, &v) != 0)
        return -1;
    return apply_u64(st, op, v);
}

static int replay_record(void *ctx, const uint8_t *rec, size_t len)
{
    cursor c = {rec, len};
    if (len == 0)
        return -1;
    while (c.n)
        if (apply_one(ctx, &c) != 0)
            return -1;
    return 0;
}

/* Queues the operation just written at pend[mark..] after applying it; undone if invalid. */
static int commit(conv_state *st, const jbuf *mark)
{
    cursor c = {st->pend.p + mark->len, st->pend.len - mark->len};
    if (apply_one(st, &c) == 0 && c.n == 0)
        return 0;
    sodium_memzero(st->pend.p + mark->len, st->pend.len - mark->len);
    st->pend.len = mark->len;
    st->pend.rec_start = mark->rec_start;
    st->pend.nrec = mark->nrec;
    return -1;
}

static int queue_u64(conv_state *st, uint8_t op, uint64_t v)
{
    jbuf mark = st->pend;
    if (jbuf_u64(&st->pend, op, v) != 0)
        return -1;
    return commit(st, &mark);
}

/* ---- the state ---- */

static conv_state *state_new(void)
{
    conv_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    outbox_init(&st->out, 1);
    seqset_init(&st->shown, 0);
    return st;
}

static void state_free(conv_state *st)
{
    outbox_free(&st->out);
    seqset_free(&st->shown);
    jbuf_free(&st->pend);
    sodium_memzero(st->conv, sizeof st->conv);
    free(st);
}

void conv_state_name(char out[CONV_STATE_NAME_LEN + 1], bool listener, const char *a2b,
                     const char *b2a, const char *bob_id)
{
    crypto_generichash_state h;
    uint8_t sum[CONV_STATE_NAME_LEN / 2];
    const char *role = listener ? "listen" : "connect";
    crypto_generichash_init(&h, NULL, 0, sizeof sum);
    crypto_generichash_update(&h, (const uint8_t *)CONV_PURPOSE, sizeof CONV_PURPOSE);
    crypto_generichash_update(&h, (const uint8_t *)role, strlen(role) + 1);
    crypto_generichash_update(&h, (const uint8_t *)a2b, strlen(a2b) + 1);
    crypto_generichash_update(&h, (const uint8_t *)b2a, strlen(b2a) + 1);
    crypto_generichash_update(&h, (const uint8_t *)bob_id, strlen(bob_id) + 1);
    crypto_generichash_final(&h, sum, sizeof sum);
    sodium_bin2hex(out, CONV_STATE_NAME_LEN + 1, sum, sizeof sum);
}

int conv_state_path(char *out, size_t cap, const char *dir, const char *name)
{
    char leaf[256];
    if (snprintf(leaf, sizeof leaf, "kchat/%s/%s", dir, name) >= (int)sizeof leaf)
        return -1;
    return sys_xdg_path(out, cap, "XDG_STATE_HOME", ".local/state", leaf);
}

/* The whole state as operations, for a fresh file. */
static int snapshot(const conv_state *st, jbuf *b)
{
    int rc = st->has_conv ? jbuf_conv(b, st->conv) : 0;
    rc |= jbuf_u64(b, OP_NEXT, st->out.next_seq);
    rc |= jbuf_u64(b, OP_ACKED, st->out.acked);
    rc |= jbuf_u64(b, OP_ECHOED, st->echoed);
    rc |= jbuf_u64(b, OP_UPTO, st->shown.upto);
    for (size_t i = 0; i < st->shown.n && rc == 0; i++)
        rc |= jbuf_u64(b, OP_SHOWN, st->shown.above[i]);
    for (size_t i = 0; i < st->out.n && rc == 0; i++) {
        const out_msg *m = outbox_at(&st->out, i);
        rc |= jbuf_msg(b, m->seq, m->echo_of, m->flags, m->text, m->len);
    }
    return rc == 0 ? jbuf_close_record(b) : -1;
}

static int compact(conv_state *st, char *err, size_t errlen)
{
    jbuf b = {0};
    if (snapshot(st, &b) != 0) {
        jbuf_free(&b);
        snprintf(err, errlen, "cannot compact the conversation state: out of memory");
        return -1;
    }
    int rc = sealed_log_rewrite(st->lg, b.p, b.lens, b.nrec, err, errlen);
    jbuf_free(&b);
    if (rc == 0) {
        jbuf_free(&st->pend); /* the snapshot holds it */
        st->need_sync = false;
    }
    return rc;
}

static bool compaction_due(const conv_state *st)
{
    uint64_t live =
        256 + st->out.bytes + (uint64_t)st->out.n * (MSG_HDR_LEN + 44) + (uint64_t)st->shown.n * 9;
    uint64_t after = sealed_log_bytes(st->lg) + st->pend.len + (st->pend.nrec + 1) * 44;
    return after > COMPACT_MIN && after > COMPACT_FACTOR * live;
}

conv_state *conv_state_open(const char *path, const uint8_t *key, bool create, char *err,
                            size_t errlen)
{
    conv_state *st = state_new();
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->lg = sealed_log_open(path, CONV_PURPOSE, key, create, replay_record, st, err, errlen);
    if (!st->lg) {
        int saved = errno;
        state_free(st);
        errno = saved;
        return NULL;
    }
    st->resumed = st->has_conv;
    if (!st->has_conv) {
        uint8_t conv[HS_CONV_LEN];
        randombytes_buf(conv, sizeof conv);
        conv_state_set_conv(st, conv);
    }
    /* A fresh file holds only its header: the new conversation id is appended to it and synced
     * (it goes out in message 1, so it is kept before anything is sent), no rewrite needed. */
    bool fresh = sealed_log_records(st->lg) == 0;
    if ((fresh ? conv_state_sync(st, err, errlen) : compact(st, err, errlen)) != 0) {
        conv_state_close(st);
        return NULL;
    }
    return st;
}

bool conv_state_resumed(const conv_state *st)
{
    return st->resumed;
}

void conv_state_close(conv_state *st)
{
    if (!st)
        return;
    sealed_log_close(st->lg);
    state_free(st);
}

const uint8_t *conv_state_conv(const conv_state *st)
{
    return st->conv;
}

uint64_t conv_state_next_seq(const conv_state *st)
{
    return st->out.next_seq;
}

uint64_t conv_state_acked_upto(const conv_state *st)
{
    return st->out.acked;
}

uint64_t conv_state_echoed_upto(const conv_state *st)
{
    return st->echoed;
}

const seqset *conv_state_shown_set(const conv_state *st)
{
    return &st->shown;
}

const outbox *conv_state_pending(const conv_state *st)
{
    return &st->out;
}

static int restore_outbox(const conv_state *st, outbox *out)
{
    outbox_init(out, st->out.acked + 1);
    for (size_t i = 0; i < st->out.n; i++) {
        const out_msg *m = outbox_at(&st->out, i);
        out->next_seq = m->seq;
        if (!outbox_push(out, m->text, m->len, m->echo_of, m->flags))
            return -1;
    }
    out->next_seq = st->out.next_seq;
    return 0;
}

static int restore_seen(const conv_state *st, seqset *seen)
{
    seqset_init(seen, st->shown.upto);
    for (size_t i = 0; i < st->shown.n; i++) {
        seqset_add(seen, st->shown.above[i]);
        if (!seqset_has(seen, st->shown.above[i]))
            return -1;
    }
    return 0;
}

int conv_state_restore(const conv_state *st, outbox *out, seqset *seen, seqset *echoed)
{
    int rc = 0;
    if (out)
        rc |= restore_outbox(st, out);
    if (seen)
        rc |= restore_seen(st, seen);
    if (echoed)
        seqset_init(echoed, st->echoed);
    if (rc == 0)
        return 0;
    if (out)
        outbox_free(out);
    if (seen)
        seqset_free(seen);
    if (echoed)
        seqset_free(echoed);
    return -1;
}

int conv_state_msg(conv_state *st, uint64_t seq, uint64_t echo_of, uint8_t flags, const void *text,
                   size_t len)
{
    if (seq < st->out.next_seq)
        return -1;
    jbuf mark = st->pend;
    if (jbuf_msg(&st->pend, seq, echo_of, flags, text, len) != 0)
        return -1;
    return commit(st, &mark);
}

int conv_state_acked(conv_state *st, uint64_t upto)
{
    return upto <= st->out.acked ? 0 : queue_u64(st, OP_ACKED, upto);
}

int conv_state_shown(conv_state *st, uint64_t seq)
{
    return seq && seqset_has(&st->shown, seq) ? 0 : queue_u64(st, OP_SHOWN, seq);
}

int conv_state_shown_upto(conv_state *st, uint64_t upto)
{
    return upto <= st->shown.upto ? 0 : queue_u64(st, OP_UPTO, upto);
}

int conv_state_echoed(conv_state *st, uint64_t upto)
{
    return upto <= st->echoed ? 0 : queue_u64(st, OP_ECHOED, upto);
}

int conv_state_set_conv(conv_state *st, const uint8_t conv[HS_CONV_LEN])
{
    if (st->has_conv && !memcmp(st->conv, conv, HS_CONV_LEN))
        return 0;
    jbuf mark = st->pend;
    if (jbuf_conv(&st->pend, conv) != 0)
        return -1;
    return commit(st, &mark);
}

int conv_state_renumber(conv_state *st, uint64_t first)
{
    return queue_u64(st, OP_RENUM, first);
}

int conv_state_clear(conv_state *st)
{
    return queue_u64(st, OP_CLEAR, 0);
}

int conv_state_write(conv_state *st, char *err, size_t errlen)
{
    if (st->pend.len == 0)
        return 0;
    if (jbuf_close_record(&st->pend) != 0) {
        snprintf(err, errlen, "cannot save the conversation state: out of memory");
        return -1;
    }
    if (compaction_due(st))
        return compact(st, err, errlen); /* synced and renamed: nothing left to sync */
    if (st->pend.nrec) {
        if (sealed_log_append(st->lg, st->pend.p, st->pend.lens, st->pend.nrec, err, errlen) != 0)
            return -1; /* nothing written: still queued */
        jbuf_clear(&st->pend);
        st->need_sync = true;
    }
    return 0;
}

int conv_state_sync(conv_state *st, char *err, size_t errlen)
{
    if (st->pend.len == 0 && !st->need_sync)
        return 0;
    if (conv_state_write(st, err, errlen) != 0)
        return -1;
    if (!st->need_sync)
        return 0;
    if (sealed_log_sync(st->lg, err, errlen) != 0)
        return -1; /* written: the next sync syncs again */
    st->need_sync = false;
    return 0;
}

int conv_state_parse(const uint8_t *data, size_t len, const uint8_t *key, char *err, size_t errlen)
{
    conv_state *st = state_new();
    if (!st)
        return -1;
    size_t good;
    uint64_t nrec;
    int rc = sealed_log_parse(data, len, CONV_PURPOSE, key, replay_record, st, &good, &nrec, err,
                              errlen);
    state_free(st);
    return rc;
}
