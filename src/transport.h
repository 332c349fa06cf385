/* transport: how the session reaches its two topics. It sends records to the peer's topic (each
 * with a token that comes back in a delivery report with the record's offset), receives records
 * of its own topic with their offsets, and marks records processed (Bob commits them, so a
 * restart resumes after them). Production binds Kafka (src/transport_kafka.c, over net/); tests
 * bind an in-memory log of two topics that can lose, duplicate, reorder, delay and redeliver. */
#ifndef KCHAT_TRANSPORT_H
#define KCHAT_TRANSPORT_H

#include "net/net_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct transport_record {
    int64_t offset;
    const uint8_t *data; /* valid until release */
    size_t len;
    void *handle; /* the binding's */
} transport_record;

/* A delivery report: err == NULL when the record is in the topic at offset. */
typedef void (*transport_delivery_fn)(void *ctx, uint64_t token, int64_t offset, const char *err);

typedef struct transport_ops {
    /* Queues one record for the peer's topic (copied). 0, or -1 with err filled. */
    int (*send)(void *ctx, const void *buf, size_t len, uint64_t token, char *err, size_t errlen);
    /* The next record of our topic without waiting: 1 (rec filled), 0 (none), -1 (err filled). */
    int (*poll)(void *ctx, transport_record *rec, char *err, size_t errlen);
    void (*release)(void *ctx, transport_record *rec);
    /* Every record up to and including offset is processed (kept across restarts with a group). */
    void (*done)(void *ctx, int64_t offset);
    /* Calls the delivery function for the reports that arrived; returns how many. */
    int (*serve)(void *ctx);
    /* Waits at most timeout_ms for every queued record; 0 when all are delivered. */
    int (*flush)(void *ctx, int timeout_ms);
    /* The offset the next record of our topic will get; -1 on error. */
    int64_t (*end_offset)(void *ctx, int timeout_ms);
    /* File descriptors that become readable when poll or serve may have work (at most 2); drain
     * one with drain before polling. Returns how many. */
    int (*fds)(void *ctx, int fds[2]);
    void (*drain)(void *ctx, int fd);
    /* Stops receiving (commits what is done); sending still works until free. */
    void (*close)(void *ctx);
    void (*free)(void *ctx);
} transport_ops;

typedef struct transport {
    const transport_ops *ops;
    void *ctx;
} transport;

/* What the session asks of a transport when it opens one. */
typedef struct transport_params {
    const net_config *net;
    const char *in_topic;  /* ours: we read it */
    const char *out_topic; /* the peer's: we write it */
    const char *group;     /* keeps the processed position across restarts; NULL: none */
    bool from_stored;      /* start at the group's position (else at the end of the topic) */
    transport_delivery_fn on_delivery;
    void *delivery_ctx;
} transport_params;

/* Opens a transport into *t. 0, or -1 with err filled (one line for the user). */
typedef int (*transport_open_fn)(void *arg, const transport_params *p, transport *t, char *err,
                                 size_t errlen);

typedef struct transport_factory {
    transport_open_fn open;
    void *arg;
} transport_factory;

/* The production binding: a Kafka producer and consumer (net/). arg is unused. */
int transport_kafka_open(void *arg, const transport_params *p, transport *t, char *err,
                         size_t errlen);

#endif
