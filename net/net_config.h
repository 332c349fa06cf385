/* net_config: how to reach Kafka. Brokers (-b) and librdkafka properties (-X prop=val, as kcat),
 * applied on top of kchat's defaults for interactive, at-least-once use (acks=all, idempotence,
 * no Nagle, linger 0, small fetch waits). Knows nothing of crypto or screens. */
#ifndef KCHAT_NET_CONFIG_H
#define KCHAT_NET_CONFIG_H

#include <stddef.h>

/* Log lines from librdkafka never go to stderr: they go to this callback (level is syslog's).
 *
 * Threads: both callbacks below (log, on_error) run on the thread that calls into the client
 * they were given to, from inside its calls: net_producer_poll, net_producer_flush
 * (producer.h), net_consumer_new, net_consumer_poll, net_consumer_commit, net_consumer_close
 * (consumer.h) and the net_topic_* calls (admin.h; no on_error there). Never on librdkafka's
 * internal threads: net_config.c sets log.queue=true and client.c forwards the log queue to the
 * main queue (rd_kafka_set_log_queue), which only those poll calls serve, as they serve error_cb;
 * the broker-state interceptor that does run on librdkafka's broker threads only updates a table
 * and writes to the client's wake-up pipe, and "connected again" is reported after a poll. Log
 * lines queued while the client is being destroyed are dropped. */
typedef void (*net_log_fn)(void *ctx, int level, const char *line);

typedef struct net_config {
    const char *brokers;      /* "host:port[,host:port]" */
    const char *const *props; /* "name=value" strings from -X, applied in order */
    size_t nprops;
    net_log_fn log;      /* may be NULL: logs are dropped */
    net_log_fn on_error; /* may be NULL: client-level errors (all brokers down, auth,
                            "broker up again" with level 6), one line each */
    void *log_ctx;       /* ctx for both callbacks */
} net_config;

/* Checks every property by applying it to a scratch configuration. On failure writes one line
 * naming the property into err ("unknown property 'foo.bar'" / "invalid value for ...") and
 * returns -1. */
int net_config_check(const net_config *cfg, char *err, size_t errlen);

#endif
