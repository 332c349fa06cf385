#include "src/seqset.h"

#include <stdlib.h>
#include <string.h>

void seqset_init(seqset *s, uint64_t upto)
{
    memset(s, 0, sizeof *s);
    s->upto = upto;
}

static size_t lower_bound(const seqset *s, uint64_t seq)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->above[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool seqset_has(const seqset *s, uint64_t seq)
{
    if (seq <= s->upto)
        return true;
    size_t i = lower_bound(s, seq);
    return i < s->n && s->above[i] == seq;
}

static void absorb(seqset *s)
{
    size_t k = 0;
    while (k < s->n && s->above[k] == s->upto + 1) {
        s->upto++;
        k++;
    }
    if (k) {
        memmove(s->above, s->above + k, (s->n - k) * sizeof *s->above);
        s->n -= k;
    }
}

bool seqset_add(seqset *s, uint64_t seq)
{
    if (seqset_has(s, seq))
        return false;
    if (seq == s->upto + 1) {
        s->upto++;
        absorb(s);
        return true;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        uint64_t *p = realloc(s->above, cap * sizeof *p);
        if (!p)
            return false;
        s->above = p;
        s->cap = cap;
    }
    size_t i = lower_bound(s, seq);
    memmove(s->above + i + 1, s->above + i, (s->n - i) * sizeof *s->above);
    s->above[i] = seq;
    s->n++;
    return true;
}

void seqset_advance(seqset *s, uint64_t upto)
{
    if (upto <= s->upto)
        return;
    size_t k = lower_bound(s, upto + 1); /* numbers above kept only past upto */
    if (k) {                             /* (above may be NULL when empty: no memmove from it) */
        memmove(s->above, s->above + k, (s->n - k) * sizeof *s->above);
        s->n -= k;
    }
    s->upto = upto;
    absorb(s);
}

uint64_t seqset_max(const seqset *s)
{
    return s->n ? s->above[s->n - 1] : s->upto;
}

bool seqset_first_hole(const seqset *s, uint64_t after, uint64_t *from, uint64_t *to)
{
    uint64_t expect = (after > s->upto ? after : s->upto) + 1;
    for (size_t i = 0; i < s->n; i++) {
        if (s->above[i] < expect)
            continue;
        if (s->above[i] > expect) {
            *from = expect;
            *to = s->above[i] - 1;
            return true;
        }
        expect = s->above[i] + 1;
    }
    return false;
}

int seqset_copy(seqset *dst, const seqset *src)
{
    seqset_init(dst, src->upto);
    if (src->n == 0)
        return 0;
    dst->above = malloc(src->n * sizeof *dst->above);
    if (!dst->above)
        return -1;
    memcpy(dst->above, src->above, src->n * sizeof *dst->above);
    dst->n = dst->cap = src->n;
    return 0;
}

void seqset_free(seqset *s)
{
    free(s->above);
    memset(s, 0, sizeof *s);
}
