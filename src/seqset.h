/* seqset: which sequence numbers (from 1) have been seen. Everything up to `upto` is seen; seen
 * numbers above it are kept sorted until the hole below them fills. Used to show each message
 * once, to acknowledge cumulatively and to find gaps. */
#ifndef KCHAT_SEQSET_H
#define KCHAT_SEQSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct seqset {
    uint64_t upto;   /* 1..upto are all seen */
    uint64_t *above; /* sorted, each > upto + 1 */
    size_t n, cap;
} seqset;

void seqset_init(seqset *s, uint64_t upto);
bool seqset_has(const seqset *s, uint64_t seq);
/* Adds seq; returns false when it was already there. */
bool seqset_add(seqset *s, uint64_t seq);
/* Counts 1..upto as seen (settled elsewhere); no effect when they already are. */
void seqset_advance(seqset *s, uint64_t upto);
/* The highest seen number (upto when nothing is above). */
uint64_t seqset_max(const seqset *s);
/* The first missing range above upto, below max: *from..*to. False when there is no hole. */
bool seqset_first_hole(const seqset *s, uint64_t after, uint64_t *from, uint64_t *to);
/* dst (uninitialised or freed) becomes a copy of src; -1 when out of memory (dst is then empty). */
int seqset_copy(seqset *dst, const seqset *src);
void seqset_free(seqset *s);

#endif
