#include "src/outbox.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void outbox_init(outbox *o, uint64_t next_seq)
{
    memset(o, 0, sizeof *o);
    o->next_seq = next_seq ? next_seq : 1;
    o->acked = o->next_seq - 1;
}

static int grow(outbox *o)
{
    size_t cap = o->cap ? o->cap * 2 : 64;
    out_msg **ring = calloc(cap, sizeof *ring);
    if (!ring)
        return -1;
    for (size_t i = 0; i < o->n; i++)
        ring[i] = o->ring[(o->head + i) % o->cap];
    free(o->ring);
    o->ring = ring;
    o->cap = cap;
    o->head = 0;
    return 0;
}

out_msg *outbox_push(outbox *o, const void *text, size_t len, uint64_t echo_of, uint8_t flags)
{
    if (o->n == o->cap && grow(o) != 0)
        return NULL;
    out_msg *m = malloc(sizeof *m + len); /* the text follows the message: one allocation */
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    m->text = (uint8_t *)(m + 1);
    if (len)
        memcpy(m->text, text, len);
    m->len = len;
    m->seq = o->next_seq++;
    m->echo_of = echo_of;
    m->flags = flags;
    o->ring[(o->head + o->n) % o->cap] = m;
    o->n++;
    o->bytes += len;
    return m;
}

out_msg *outbox_at(const outbox *o, size_t i)
{
    return i < o->n ? o->ring[(o->head + i) % o->cap] : NULL;
}

out_msg *outbox_find(const outbox *o, uint64_t seq)
{
    if (o->n == 0 || seq <= o->acked)
        return NULL;
    out_msg *first = outbox_at(o, 0);
    if (seq < first->seq)
        return NULL;
    return outbox_at(o, (size_t)(seq - first->seq));
}

static void free_msg(out_msg *m)
{
    sodium_memzero(m->text, m->len);
    free(m);
}

void outbox_ack(outbox *o, uint64_t upto, void (*fn)(void *ctx, const out_msg *m), void *ctx)
{
    while (o->n && outbox_at(o, 0)->seq <= upto) {
        out_msg *m = outbox_at(o, 0);
        if (fn)
            fn(ctx, m);
        o->bytes -= m->len;
        free_msg(m);
        o->head = (o->head + 1) % o->cap;
        o->n--;
    }
    if (upto > o->acked)
        o->acked = upto < o->next_seq ? upto : o->next_seq - 1;
}

size_t outbox_renumber(outbox *o, uint64_t first)
{
    size_t kept = 0, n = o->n;
    for (size_t i = 0; i < n; i++) {
        out_msg *m = outbox_at(o, i);
        if (m->echo_of) {
            o->bytes -= m->len;
            free_msg(m);
            continue;
        }
        uint64_t seq = first + kept;
        m->seq = seq; /* never sent in the new numbering */
        m->first_ms = m->last_tx_ms = 0;
        m->tx_count = 0;
        m->frags_out = 0;
        o->ring[(o->head + kept) % o->cap] = m;
        kept++;
    }
    o->n = kept;
    o->next_seq = first + kept;
    o->acked = first - 1;
    return n - kept;
}

void outbox_free(outbox *o)
{
    while (o->n) {
        free_msg(outbox_at(o, 0));
        o->head = (o->head + 1) % o->cap;
        o->n--;
    }
    free(o->ring);
    memset(o, 0, sizeof *o);
}
