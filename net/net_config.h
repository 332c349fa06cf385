/* net_config: how to reach Kafka. Brokers (-b) and librdkafka properties (-X prop=val, as kcat),
 * applied on top of kchat's defaults for interactive, at-least-once use (acks=all, idempotence,
 * no Nagle, linger 0, small fetch waits). Knows nothing of crypto or screens. */
#ifndef KCHAT_NET_CONFIG_H
#define KCHAT_NET_CONFIG_H

#include <stddef.h>

/* Log lines from librdkafka never go to stderr: they go to this callback (level is syslog's).
 *
 * Threads: both callbacks below (log, on_error) run only on the thread that calls the net_*
 * functions of the client they were given to, from inside those calls (net_producer_poll and
 * net_consumer_poll above all; also the calls that wait: flush, commit, end offsets, close, the
 * net_topic_* calls), never on librdkafka's internal threads: net_config.c sets log.queue=true
 * and client.c forwards the log queue to the main queue (rd_kafka_set_log_queue), which only
 * those calls serve, as they serve error_cb. The broker-state interceptor, which does run on
 * librdkafka's broker threads, only updates a table under a lock and writes to the client's
 * wake-up pipe; "connected again" is reported by the next poll. Log lines queued while the
 * client is being destroyed are dropped. */
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
