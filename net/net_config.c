/* net_config: checking -X properties and building librdkafka configurations with kchat's
 * defaults (low latency, acks=all + idempotence, at-least-once consuming, no stderr logging). */
#include "net/net_config.h"
#include "net/net_internal.h"

#include <stdio.h>
#include <string.h>

/* Broker long-poll time of a fetch with no data. Latency does not depend on it (the broker
 * answers as soon as one byte is there); it bounds idle fetch requests per second. */
#define NET_FETCH_WAIT_MAX_MS "100"

typedef struct net_prop {
    const char *name, *value;
} net_prop;

static const net_prop common_defaults[] = {
    {"socket.nagle.disable", "true"},
    {"allow.auto.create.topics", "false"},
    {"client.id", "kchat"},
    {"reconnect.backoff.max.ms", "2000"}, /* back within 2 s of the cluster's return */
    {NULL, NULL},
};

static const net_prop producer_defaults[] = {
    {"queue.buffering.max.ms", "0"}, /* linger.ms */
    {"acks", "all"},
    {"enable.idempotence", "true"},
    {"compression.type", "none"},
    {"message.max.bytes", "1000000"}, /* one frame is at most 262,170 bytes */
    {NULL, NULL},
};

static const net_prop consumer_defaults[] = {
    {"fetch.wait.max.ms", NET_FETCH_WAIT_MAX_MS},
    {"fetch.min.bytes", "1"},
    {"fetch.error.backoff.ms", "50"},
    {"enable.auto.commit", "true"},
    {"enable.auto.offset.store", "false"},
    {"auto.commit.interval.ms", "1000"},
    {"enable.partition.eof", "false"},
    {"auto.offset.reset", "earliest"},
    /* No group membership (assign), so no heartbeats; but closing waits up to the session
     * timeout for a coordinator that is down. */
    {"session.timeout.ms", "3000"},
    {"heartbeat.interval.ms", "1000"},
    {NULL, NULL},
};

/* Properties kchat's own workings depend on, and why -X cannot set them. */
static const net_prop refused_props[] = {
    {"delivery.report.only.error", "kchat needs a report for every record"},
    {NULL, NULL},
};

static int refuse_owned(const char *name, char *err, size_t errlen)
{
    for (const net_prop *p = refused_props; p->name; p++)
        if (!strcmp(name, p->name)) {
            errf(err, errlen, "'%s' cannot be set: %s", name, p->value);
            return -1;
        }
    return 0;
}

/* Splits "name=value" into name (copied into buf) and value. */
static int split_prop(const char *prop, char *buf, size_t buflen, const char **value, char *err,
                      size_t errlen)
{
    const char *eq = strchr(prop, '=');
    size_t n = eq ? (size_t)(eq - prop) : 0;
    if (!eq || n == 0) {
        errf(err, errlen, "expected PROP=VAL, got '%s'", prop);
        return -1;
    }
    if (n >= buflen) {
        errf(err, errlen, "unknown property '%.*s'", (int)n, prop);
        return -1;
    }
    memcpy(buf, prop, n);
    buf[n] = '\0';
    *value = eq + 1;
    return 0;
}

static int set_one(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                   size_t errlen)
{
    char errstr[512] = "";
    switch (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr)) {
    case RD_KAFKA_CONF_OK:
        return 0;
    case RD_KAFKA_CONF_UNKNOWN:
        errf(err, errlen, "unknown property '%s'", name);
        return -1;
    default:
        errf(err, errlen, "invalid value for '%s': %s", name, errstr);
        return -1;
    }
}

static int apply_props(rd_kafka_conf_t *conf, const net_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->nprops; i++) {
        char name[256];
        const char *value;
        if (!cfg->props[i]) {
            errf(err, errlen, "expected PROP=VAL, got nothing");
            return -1;
        }
        if (split_prop(cfg->props[i], name, sizeof name, &value, err, errlen) != 0 ||
            refuse_owned(name, err, errlen) != 0 || set_one(conf, name, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int net_config_check(const net_config *cfg, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = apply_props(conf, cfg, err, errlen);
    rd_kafka_conf_destroy(conf);
    return rc;
}

static int apply_table(rd_kafka_conf_t *conf, const net_prop *t, char *err, size_t errlen)
{
    for (; t->name; t++) {
        if (set_one(conf, t->name, t->value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int apply_pairs(rd_kafka_conf_t *conf, const char *const *kv, char *err, size_t errlen)
{
    for (; kv && kv[0]; kv += 2) {
        if (set_one(conf, kv[0], kv[1], err, errlen) != 0)
            return -1;
    }
    return 0;
}

static const net_prop *role_defaults(net_role role)
{
    static const net_prop none[] = {{NULL, NULL}};
    switch (role) {
    case NET_ROLE_PRODUCER:
        return producer_defaults;
    case NET_ROLE_CONSUMER:
        return consumer_defaults;
    default:
        return none;
    }
}

/* Remembers the effective bootstrap list for messages; fails when there is none. */
static int note_brokers(rd_kafka_conf_t *conf, net_client *cl, char *err, size_t errlen)
{
    size_t n = sizeof cl->brokers;
    if (rd_kafka_conf_get(conf, "bootstrap.servers", cl->brokers, &n) != RD_KAFKA_CONF_OK)
        cl->brokers[0] = '\0';
    if (!cl->brokers[0]) {
        errf(err, errlen, "no Kafka brokers given");
        return -1;
    }
    return 0;
}

static int fill_conf(rd_kafka_conf_t *conf, const net_config *cfg, net_client *cl, net_role role,
                     const char *const *extra, char *err, size_t errlen)
{
    if (apply_table(conf, common_defaults, err, errlen) != 0 ||
        apply_table(conf, role_defaults(role), err, errlen) != 0)
        return -1;
    if (cfg->brokers && cfg->brokers[0] &&
        set_one(conf, "bootstrap.servers", cfg->brokers, err, errlen) != 0)
        return -1;
    if (apply_props(conf, cfg, err, errlen) != 0)
        return -1;
    /* Logs are served by the polling thread, never from librdkafka's own threads. */
    if (set_one(conf, "log.queue", "true", err, errlen) != 0 ||
        apply_pairs(conf, extra, err, errlen) != 0)
        return -1;
    return note_brokers(conf, cl, err, errlen);
}

rd_kafka_conf_t *net_conf_build(const net_config *cfg, net_client *cl, net_role role,
                                const char *const *extra, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (fill_conf(conf, cfg, cl, role, extra, err, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    net_client_install(conf, cl);
    return conf;
}
