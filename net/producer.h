/* producer: writes records to one single-partition topic, acks=all and idempotent. Each send
 * carries a caller's token that comes back in the delivery callback with the record's offset
 * (or an error text once librdkafka gives up). Records are copied; the caller keeps its buffer.
 * A fatal librdkafka error (idempotence sequence lost in a leader change, ...) is handled
 * inside: a new handle takes over and the unconfirmed records are sent again, so the caller
 * still gets exactly one delivery report per token (a record may then be in the topic twice). */
#ifndef KCHAT_NET_PRODUCER_H
#define KCHAT_NET_PRODUCER_H

#include "net/net_config.h"

#include <stdint.h>

typedef struct net_producer net_producer;

/* err == NULL: delivered at offset.
 *
 * Threads: a producer belongs to one thread. The delivery callback, and the log and error
 * callbacks of its net_config, run only on that thread, from inside its net_producer_* calls:
 * net_producer_poll and net_producer_flush serve them (net_producer_fd() says when to poll);
 * never on librdkafka's threads. */
typedef void (*net_delivery_fn)(void *ctx, uint64_t token, int64_t offset, const char *err);

net_producer *net_producer_new(const net_config *cfg, const char *topic, net_delivery_fn cb,
                               void *cb_ctx, char *err, size_t errlen);
/* Queues one record (value only, no key, no headers). 0 or -1 with err filled (queue full). */
int net_producer_send(net_producer *p, const void *buf, size_t len, uint64_t token, char *err,
                      size_t errlen);
/* Serves delivery callbacks and logs; waits at most timeout_ms. Returns events served. */
int net_producer_poll(net_producer *p, int timeout_ms);
/* A file descriptor that becomes readable when net_producer_poll has work; drain it with
 * sys_fd_drain() before polling. */
int net_producer_fd(net_producer *p);
/* Waits for every queued record; 0 when all are delivered. */
int net_producer_flush(net_producer *p, int timeout_ms);
/* Records still waiting for delivery. */
int net_producer_outq_len(net_producer *p);
void net_producer_free(net_producer *p);

/* How many times a fatal librdkafka error made this producer replace its handle (each time the
 * records without a delivery report are sent again; see producer.c). */
unsigned net_producer_restarts(const net_producer *p);
/* Tests only: raises a fatal error (as an out-of-order sequence number would). 0 or -1. */
int net_producer_test_fatal(net_producer *p, const char *reason);

#endif
