/* producer: writes records to one single-partition topic, acks=all and idempotent. Each send
 * carries a caller's token that comes back in the delivery callback with the record's offset
 * (or an error text once librdkafka gives up). Records are copied; the caller keeps its buffer. */
#ifndef KCHAT_NET_PRODUCER_H
#define KCHAT_NET_PRODUCER_H

#include "net/net_config.h"
#include "sys/wake.h"

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
 * net_drain_fd() before polling. */
int net_producer_fd(net_producer *p);
/* Waits for every queued record; 0 when all are delivered. */
int net_producer_flush(net_producer *p, int timeout_ms);
/* Records still waiting for delivery. */
int net_producer_outq_len(net_producer *p);
void net_producer_free(net_producer *p);

/* Reads and discards whatever is pending on a wake-up fd (sys_fd_drain, under its old name). */
static inline void net_drain_fd(int fd)
{
    sys_fd_drain(fd);
}

#endif
