/* consumer: reads one single-partition topic (partition 0) by assignment, no rebalances. With a
 * group id, offsets are stored only when the caller says a record is processed
 * (net_consumer_done) and committed in the background and on close: at-least-once. Without a
 * group id nothing is committed (a raw reader, as tests and tools use).
 *
 * With a group id and NET_START_STORED, net_consumer_new does not wait for the cluster: the
 * group's committed offset is fetched from its coordinator by the first net_consumer_end_offset
 * (retried through coordinator elections within its timeout, saying once through on_error
 * "Kafka: the group coordinator of topic 'T' is not available yet (why), waiting"), or, a
 * short try each (at most 100 ms, or the poll's timeout), by net_consumer_poll, which returns
 * 0 until it is known. */
#ifndef KCHAT_NET_CONSUMER_H
#define KCHAT_NET_CONSUMER_H

#include "net/net_config.h"

#include <stddef.h>
#include <stdint.h>

/* Threads: a consumer belongs to one thread. It has no callback of its own; the log and error
 * callbacks of its net_config run only on that thread, from inside its net_consumer_* calls
 * (above all net_consumer_poll: librdkafka's main queue is forwarded to the consumer queue, so
 * its errors and logs come with the records), never on librdkafka's threads. */
typedef struct net_consumer net_consumer;

typedef enum {
    NET_START_STORED,    /* committed offset of the group, else (or with no group) the beginning */
    NET_START_BEGINNING, /* the earliest offset */
    NET_START_END,       /* only records written from now on */
} net_start;

typedef struct net_record {
    int64_t offset;
    const uint8_t *data; /* valid until net_record_release */
    size_t len;
    void *handle_; /* private */
} net_record;

net_consumer *net_consumer_new(const net_config *cfg, const char *topic, const char *group_id,
                               net_start start, char *err, size_t errlen);
/* 1: *rec filled; 0: nothing within timeout_ms; -1: error (err filled; transient errors such as
 * a broker being down are reported once and retried by librdkafka, not returned as -1). While
 * a broker loss is reported ("electing ... waiting") and no record has come, a poll that finds
 * nothing asks the partition's leader for its end offset, at most once a second and 200 ms,
 * and says "Kafka: records flow again" when it answers. */
int net_consumer_poll(net_consumer *c, int timeout_ms, net_record *rec, char *err, size_t errlen);
void net_record_release(net_record *rec);
/* Marks every record up to and including offset as processed (stores offset+1). */
int net_consumer_done(net_consumer *c, int64_t offset);
/* Commits what is stored now, synchronously. */
int net_consumer_commit(net_consumer *c);
/* High watermark (the offset the next record will get); -1 on error. Retries through leader
 * and coordinator elections and broker restarts until timeout_ms is spent, saying once through
 * on_error that the topic has no leader (or the group no coordinator) yet. A group's committed
 * offset not yet known (NET_START_STORED) is fetched first, within the same timeout_ms. */
int64_t net_consumer_end_offset(net_consumer *c, int timeout_ms);
/* A file descriptor that becomes readable when records may be waiting (drain with
 * sys_fd_drain, then net_consumer_poll with timeout 0 until it returns 0). */
int net_consumer_fd(net_consumer *c);
/* Commits stored offsets and closes. */
void net_consumer_close(net_consumer *c);

#endif
