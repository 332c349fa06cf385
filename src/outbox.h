/* outbox: our messages that the peer has not acknowledged yet, in sequence order. Cumulative
 * acknowledgements remove them from the front; the session retransmits what stays too long. */
#ifndef KCHAT_OUTBOX_H
#define KCHAT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct out_msg {
    uint64_t seq;
    uint64_t echo_of; /* the peer's seq this echoes, 0 if none */
    uint8_t flags;
    uint8_t *text;
    size_t len;
    double first_ms;    /* first transmission (monotonic ms), 0 before */
    double last_tx_ms;  /* last transmission */
    unsigned tx_count;  /* transmissions so far */
    uint32_t frags_out; /* fragments of the current transmission not yet confirmed by Kafka */
    bool kafka_ok;      /* "sent" reported */
} out_msg;

typedef struct outbox {
    out_msg **ring;
    size_t head, n, cap;
    uint64_t next_seq; /* seq the next message gets */
    uint64_t acked;    /* peer acknowledged 1..acked */
    size_t bytes;      /* text bytes held */
} outbox;

void outbox_init(outbox *o, uint64_t next_seq);
/* Copies text; returns the new message or NULL on allocation failure. */
out_msg *outbox_push(outbox *o, const void *text, size_t len, uint64_t echo_of, uint8_t flags);
/* The i-th unacknowledged message (0 = oldest). */
out_msg *outbox_at(const outbox *o, size_t i);
out_msg *outbox_find(const outbox *o, uint64_t seq);
/* Removes messages up to and including upto; calls fn for each (before freeing it). */
void outbox_ack(outbox *o, uint64_t upto, void (*fn)(void *ctx, const out_msg *m), void *ctx);
/* For a peer that starts its side of the conversation anew: drops the echoes (they answer
 * messages of the conversation that ended) and numbers the messages left from first on, as
 * never sent. Returns how many messages were dropped. */
size_t outbox_renumber(outbox *o, uint64_t first);
void outbox_free(outbox *o);

#endif
