#include "src/reassembly.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct partial {
    uint64_t seq;
    uint32_t count, have;
    int64_t offset;
    uint8_t **frags;
    size_t *lens;
    size_t total;
    double seen_ms; /* first noticed by reassembly_expire (0: not yet) */
};

void reassembly_init(reassembly *r)
{
    memset(r, 0, sizeof *r);
}

static void partial_free(partial *p)
{
    for (uint32_t i = 0; i < p->count; i++) {
        if (p->frags[i])
            sodium_memzero(p->frags[i], p->lens[i]);
        free(p->frags[i]);
    }
    free(p->frags);
    free(p->lens);
    free(p);
}

static partial *partial_new(uint64_t seq, uint32_t count, int64_t offset)
{
    partial *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->frags = calloc(count, sizeof *p->frags);
    p->lens = calloc(count, sizeof *p->lens);
    if (!p->frags || !p->lens) {
        free(p->frags);
        free(p->lens);
        free(p);
        return NULL;
    }
    p->seq = seq;
    p->count = count;
    p->offset = offset;
    return p;
}

static partial *find(reassembly *r, uint64_t seq, size_t *idx)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i]->seq == seq) {
            *idx = i;
            return r->items[i];
        }
    return NULL;
}

/* Removes and frees the i-th partial message. */
static void remove_at(reassembly *r, size_t i)
{
    partial *p = r->items[i];
    r->bytes -= p->total;
    r->items[i] = r->items[--r->n];
    partial_free(p);
}

static uint8_t *join(const partial *p)
{
    uint8_t *buf = malloc(p->total + 1);
    if (!buf)
        return NULL;
    size_t off = 0;
    for (uint32_t i = 0; i < p->count; i++) {
        memcpy(buf + off, p->frags[i], p->lens[i]);
        off += p->lens[i];
    }
    buf[off] = '\0';
    return buf;
}

static reasm_result single(const uint8_t *body, size_t len, uint8_t **out, size_t *outlen)
{
    *out = malloc(len + 1);
    if (!*out)
        return REASM_REFUSED;
    memcpy(*out, body, len);
    (*out)[len] = '\0';
    *outlen = len;
    return REASM_COMPLETE;
}

reasm_result reassembly_add(reassembly *r, uint64_t seq, uint32_t idx, uint32_t count,
                            const uint8_t *body, size_t len, int64_t offset, uint8_t **out,
                            size_t *outlen)
{
    if (count == 0 || idx >= count || len > KCHAT_MAX_MESSAGE)
        return REASM_REFUSED;
    if (count == 1)
        return single(body, len, out, outlen);
    if (r->bytes + len > REASSEMBLY_MAX_BYTES)
        return REASM_REFUSED;
    size_t at = 0;
    partial *p = find(r, seq, &at);
    if (!p) {
        if (r->n == REASSEMBLY_MAX_PARTIAL || count > REASSEMBLY_MAX_FRAGS)
            return REASM_REFUSED;
        p = partial_new(seq, count, offset);
        if (!p)
            return REASM_REFUSED;
        at = r->n;
        r->items[r->n++] = p;
    }
    if (p->count != count)
        return REASM_REFUSED;
    if (p->frags[idx])
        return REASM_DUPLICATE;
    if (p->total + len > KCHAT_MAX_MESSAGE)
        return REASM_REFUSED;
    p->frags[idx] = malloc(len ? len : 1);
    if (!p->frags[idx])
        return REASM_REFUSED;
    memcpy(p->frags[idx], body, len);
    p->lens[idx] = len;
    p->total += len;
    r->bytes += len;
    if (offset >= 0 && (p->offset < 0 || offset < p->offset))
        p->offset = offset;
    if (++p->have < p->count)
        return REASM_MORE;
    *out = join(p);
    *outlen = p->total;
    remove_at(r, at);
    return *out ? REASM_COMPLETE : REASM_REFUSED;
}

int64_t reassembly_min_offset(const reassembly *r)
{
    int64_t min = -1;
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i]->offset >= 0 && (min < 0 || r->items[i]->offset < min))
            min = r->items[i]->offset;
    return min;
}

void reassembly_drop_upto(reassembly *r, uint64_t upto)
{
    for (size_t i = 0; i < r->n;) {
        if (r->items[i]->seq <= upto) {
            remove_at(r, i);
        } else {
            i++;
        }
    }
}

size_t reassembly_expire(reassembly *r, double now_ms, double max_ms,
                         void (*dropped)(void *ctx, uint64_t seq), void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n;) {
        partial *p = r->items[i];
        if (p->seen_ms == 0)
            p->seen_ms = now_ms;
        if (now_ms - p->seen_ms < max_ms) {
            i++;
            continue;
        }
        uint64_t seq = p->seq;
        remove_at(r, i);
        n++;
        if (dropped)
            dropped(ctx, seq);
    }
    return n;
}

void reassembly_free(reassembly *r)
{
    while (r->n)
        remove_at(r, 0);
}
