/* net_internal: plumbing shared by the net/ sources only (not a contract for other modules).
 * A net_client is what every librdkafka handle of kchat carries as its opaque: the caller's log
 * and error callbacks, the "all brokers down" / "connected again" bookkeeping, and the write end
 * of a wake-up pipe. Log lines and errors are served on the thread that polls the handle. */
#ifndef KCHAT_NET_INTERNAL_H
#define KCHAT_NET_INTERNAL_H

#include "net/net_config.h"
#include "sys/clock.h"
#include "sys/errf.h"
#include "sys/wake.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define NET_MAX_BROKERS 32

typedef enum { NET_ROLE_ADMIN, NET_ROLE_PRODUCER, NET_ROLE_CONSUMER } net_role;

typedef struct net_broker_seen {
    int32_t id;
    int port;
    char name[128];
    bool up;
} net_broker_seen;

typedef struct net_client {
    net_log_fn log;
    net_log_fn on_error;
    void *log_ctx;
    void *owner;       /* the producer or consumer that owns this client */
    char brokers[256]; /* effective bootstrap.servers, for messages */
    int wake_wfd;      /* write end of the wake-up pipe, -1 if none */

    /* Touched only by the polling thread. */
    bool down_reported;      /* "all brokers down" was reported, "connected again" is due */
    bool partial_reported;   /* "broker X unreachable, electing" was reported */
    unsigned cause_seq;      /* up_seq when cause was recorded */
    char cause[256];         /* last connection failure: "host:port: reason" */
    char last_report[512];   /* last line given to on_error, to report each error once */
    bool topic_errors_final; /* consumer: a missing/forbidden topic ends reading */
    /* consumer: until then (sys_now_ms) a missing topic may be one just created whose metadata
     * has not reached every broker of a cluster yet: waited for, not final */
    double topic_grace_until;
    char final_err[512]; /* such an error, for the next poll to return */
    char auth_err[256];  /* the login was refused (SASL or TLS): why */
    bool fatal_recovers; /* producer: a fatal error is handled by a new handle */

    /* Shared with librdkafka's broker threads (on_broker_state_change). */
    pthread_mutex_t lock;
    net_broker_seen seen[NET_MAX_BROKERS];
    size_t nseen;
    atomic_uint up_seq;     /* bumped whenever a broker connection comes up */
    atomic_bool wake_on_up; /* mirrors down_reported for the broker threads */
} net_client;

/* Initialises cl from cfg (callbacks, no brokers yet). */
void net_client_init(net_client *cl, const net_config *cfg, void *owner);
void net_client_destroy(net_client *cl);

/* A configuration with kchat's defaults for role, then cfg's -X props, then extra (name, value
 * pairs, NULL-terminated; may be NULL), with cl's callbacks installed. NULL and err on failure. */
rd_kafka_conf_t *net_conf_build(const net_config *cfg, net_client *cl, net_role role,
                                const char *const *extra, char *err, size_t errlen);

/* Installs cl's log and error callbacks on conf (net_conf_build does this). */
void net_client_install(rd_kafka_conf_t *conf, net_client *cl);

/* rd_kafka_new with cl's broker-state interceptor, logs on the main queue. Always takes conf.
 * A configuration librdkafka refuses (a missing ssl.ca.location file, ...) fails cleanly with
 * "Kafka client configuration refused: <property> failed: <reason>". */
rd_kafka_t *net_client_new(net_client *cl, rd_kafka_type_t type, rd_kafka_conf_t *conf, char *err,
                           size_t errlen);

/* Reports one line through on_error unless it equals the previous report. */
void net_client_report(net_client *cl, int level, const char *line);
/* Call after polling: reports "connected again" when a broker came back after an outage. */
void net_client_check_up(net_client *cl);
/* Call when a record was delivered or fetched: the cluster is reachable ("connected again" or,
 * after a lost broker of several, "records flow again", both level 6). */
void net_client_success(net_client *cl);
/* Writes "cannot reach Kafka at B within T s (cause)" into err, or "Kafka refused the login at
 * B: why" when authentication failed. */
void net_client_unreachable(const net_client *cl, int timeout_ms, char *err, size_t errlen);
/* "cannot OP KIND 'NAME': why", why in words for authorization, authentication, missing topic
 * and leader errors (detail: librdkafka's text, used for the others). One line. */
void net_kafka_error(rd_kafka_resp_err_t e, const char *detail, const char *op, const char *kind,
                     const char *name, char *err, size_t errlen);
/* Errors that a leader election, a coordinator move or a broker restart cause: worth retrying
 * until the caller's deadline. */
bool net_err_retriable(rd_kafka_resp_err_t e);
/* e says the topic (or its partition) does not exist, and cl's grace for a new topic is on. */
bool net_topic_missing_in_grace(const net_client *cl, rd_kafka_resp_err_t e);
/* True and err filled when rk has hit a fatal error. */
bool net_client_fatal(rd_kafka_t *rk, char *err, size_t errlen);

#endif
