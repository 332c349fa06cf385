/* reassembly: joins the fragments of a peer's message (same seq, frag_idx 0..count-1) into one
 * buffer, up to KCHAT_MAX_MESSAGE bytes; duplicates are ignored. Holds at most
 * REASSEMBLY_MAX_PARTIAL messages and REASSEMBLY_MAX_BYTES of fragments at once, and drops a
 * message still incomplete after a while (reassembly_expire: the sender resends what is not
 * acknowledged, so nothing is lost). Fragments are wiped when dropped. Remembers the Kafka offset
 * of each message's first fragment so the consumer never commits past a message not yet shown. */
#ifndef KCHAT_REASSEMBLY_H
#define KCHAT_REASSEMBLY_H

#include <stddef.h>
#include <stdint.h>

#define KCHAT_MAX_MESSAGE (1024u * 1024u)
#define REASSEMBLY_MAX_PARTIAL 32
#define REASSEMBLY_MAX_FRAGS 64
#define REASSEMBLY_MAX_BYTES (4u * 1024u * 1024u)

typedef struct partial partial;

typedef struct reassembly {
    partial *items[REASSEMBLY_MAX_PARTIAL];
    size_t n;
    size_t bytes; /* fragment bytes held */
} reassembly;

typedef enum {
    REASM_MORE = 0,      /* stored; message not complete yet */
    REASM_COMPLETE = 1,  /* out and outlen hold the whole message (caller frees) */
    REASM_DUPLICATE = 2, /* this fragment was already there */
    REASM_REFUSED = -1,  /* too big, inconsistent count, or too many partial messages */
} reasm_result;

void reassembly_init(reassembly *r);
/* On REASM_COMPLETE, *out is the whole message, malloc'ed, with a NUL after its *outlen bytes;
 * the caller owns it. */
reasm_result reassembly_add(reassembly *r, uint64_t seq, uint32_t idx, uint32_t count,
                            const uint8_t *body, size_t len, int64_t offset, uint8_t **out,
                            size_t *outlen);
/* Lowest offset of any message still partial; -1 if none. */
int64_t reassembly_min_offset(const reassembly *r);
/* Drops partial messages with seq <= upto (already shown). */
void reassembly_drop_upto(reassembly *r, uint64_t upto);
/* Drops each message first seen by an earlier call more than max_ms before now_ms; calls
 * dropped(ctx, seq) for each. Returns how many were dropped. */
size_t reassembly_expire(reassembly *r, double now_ms, double max_ms,
                         void (*dropped)(void *ctx, uint64_t seq), void *ctx);
void reassembly_free(reassembly *r);

#endif
