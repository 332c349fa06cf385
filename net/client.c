/* client: what every kchat librdkafka handle shares. Log lines go to net_config.log; errors
 * become one clear line each for net_config.on_error ("all brokers down (host:port: reason)"),
 * and a broker connection coming back after such an outage is reported once at level 6. */
#include "net/net_internal.h"
#include "sys/clock.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

void net_client_init(net_client *cl, const net_config *cfg, void *owner)
{
    memset(cl, 0, sizeof *cl);
    cl->log = cfg->log;
    cl->on_error = cfg->on_error;
    cl->log_ctx = cfg->log_ctx;
    cl->owner = owner;
    cl->wake_wfd = -1;
    pthread_mutex_init(&cl->lock, NULL);
    atomic_init(&cl->up_seq, 0);
    atomic_init(&cl->wake_on_up, false);
}

void net_client_destroy(net_client *cl)
{
    pthread_mutex_destroy(&cl->lock);
}

static size_t brokers_up(net_client *cl)
{
    size_t n = 0;
    pthread_mutex_lock(&cl->lock);
    for (size_t i = 0; i < cl->nseen; i++)
        n += cl->seen[i].up;
    pthread_mutex_unlock(&cl->lock);
    return n;
}

static bool same_address(const net_broker_seen *b, const char *name, int port)
{
    return b->port == port && strncmp(b->name, name, sizeof b->name - 1) == 0;
}

/* The table entry of a broker. librdkafka 2.0.2 renames a bootstrap broker (id -1) once it
 * learns its node id, so an id -1 entry of the same address is taken over. */
static net_broker_seen *find_broker(net_client *cl, int32_t id, const char *name, int port)
{
    net_broker_seen *bootstrap = NULL;
    for (size_t i = 0; i < cl->nseen; i++) {
        net_broker_seen *b = &cl->seen[i];
        if (!same_address(b, name, port))
            continue;
        if (b->id == id)
            return b;
        if (b->id == -1 && !bootstrap)
            bootstrap = b;
    }
    if (bootstrap) {
        bootstrap->id = id;
        return bootstrap;
    }
    if (cl->nseen == NET_MAX_BROKERS)
        return NULL;
    net_broker_seen *b = &cl->seen[cl->nseen++];
    b->id = id;
    b->port = port;
    snprintf(b->name, sizeof b->name, "%s", name);
    b->up = false;
    return b;
}

/* Records a broker's new state; returns true when it just came up. */
static bool note_state(net_client *cl, int32_t id, const char *name, int port, bool up)
{
    bool came_up = false;
    pthread_mutex_lock(&cl->lock);
    net_broker_seen *b = find_broker(cl, id, name, port);
    if (b) {
        came_up = up && !b->up;
        b->up = up;
    }
    pthread_mutex_unlock(&cl->lock);
    return came_up;
}

/* Broker thread. */
static rd_kafka_resp_err_t on_broker_state(rd_kafka_t *rk, int32_t broker_id, const char *secproto,
                                           const char *name, int port, const char *state,
                                           void *ic_opaque)
{
    (void)rk;
    (void)secproto;
    net_client *cl = ic_opaque;
    if (port == 0)
        return RD_KAFKA_RESP_ERR_NO_ERROR; /* a logical broker (GroupCoordinator, ...) */
    bool up = strcmp(state, "UP") == 0 || strcmp(state, "UPDATE") == 0;
    if (note_state(cl, broker_id, name ? name : "", port, up)) {
        atomic_fetch_add(&cl->up_seq, 1);
        if (atomic_load(&cl->wake_on_up))
            sys_fd_signal(cl->wake_wfd); /* so the poller notices "connected again" */
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *ic_opaque,
                                  char *errstr, size_t errstr_size)
{
    (void)conf;
    (void)errstr;
    (void)errstr_size;
    return rd_kafka_interceptor_add_on_broker_state_change(rk, "kchat", on_broker_state, ic_opaque);
}

/* Polling thread (log.queue). */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    net_client *cl = rd_kafka_opaque(rk);
    if (!cl || !cl->log)
        return;
    char line[2300];
    snprintf(line, sizeof line, "%s [%s] %s", rd_kafka_name(rk), fac, buf);
    cl->log(cl->log_ctx, level, line);
}

void net_client_report(net_client *cl, int level, const char *line)
{
    if (strcmp(line, cl->last_report) == 0)
        return;
    snprintf(cl->last_report, sizeof cl->last_report, "%s", line);
    if (cl->on_error)
        cl->on_error(cl->log_ctx, level, line);
}

/* Length of "host:port" in "host:port/bootstrap" or "host:port/1" (librdkafka's broker names). */
static int broker_name_len(const char *name, int len)
{
    int slash = len;
    while (slash > 0 && name[slash - 1] != '/')
        slash--;
    if (slash == 0)
        return len;
    const char *tail = name + slash;
    int taillen = len - slash;
    bool digits = taillen > 0 && strspn(tail, "0123456789") >= (size_t)taillen;
    if (digits || (taillen == 9 && strncmp(tail, "bootstrap", 9) == 0) ||
        (taillen == 8 && strncmp(tail, "internal", 8) == 0))
        return slash - 1;
    return len;
}

/* "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in
 * state CONNECT)" -> "127.0.0.1:1: Connection refused". */
static void simplify_cause(const char *reason, char *out, size_t outlen)
{
    const char *sep = strstr(reason, ": ");
    if (sep && !memchr(reason, ':', (size_t)(sep - reason)) && strstr(sep + 2, ": ")) {
        reason = sep + 2; /* "GroupCoordinator: host:port: ..." */
        sep = strstr(reason, ": ");
    }
    if (!sep) {
        snprintf(out, outlen, "%s", reason);
        return;
    }
    int hostlen = broker_name_len(reason, (int)(sep - reason));
    const char *what = sep + 2;
    const char *failed = strstr(what, " failed: ");
    if (failed)
        what = failed + strlen(" failed: ");
    const char *after = strstr(what, " (after ");
    int whatlen = after ? (int)(after - what) : (int)strlen(what);
    /* librdkafka's guess for any disconnect soon after connecting; a stopped broker is likelier */
    if (strncmp(what, "Disconnected: verify that security.protocol", 43) == 0)
        whatlen = (int)strlen("Disconnected");
    snprintf(out, outlen, "%.*s: %.*s", hostlen, reason, whatlen, what);
}

/* librdkafka queues ALL_BROKERS_DOWN just before it tells on_broker_state that the last broker
 * went down, so the table may lag for a moment: give it up to 50 ms to agree. If a broker is
 * still up after that, the outage is already over. */
static bool all_down_confirmed(net_client *cl)
{
    for (int i = 0; i < 50; i++) {
        if (brokers_up(cl) == 0)
            return true;
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    return false;
}

static void on_all_down(net_client *cl, const char *reason)
{
    if (cl->down_reported)
        return;
    /* Without a connection failure since the last connect this is the broker closing idle
     * connections; librdkafka reconnects when it needs to. */
    if (!cl->cause[0] || cl->cause_seq != atomic_load(&cl->up_seq)) {
        if (cl->log)
            cl->log(cl->log_ctx, LOG_DEBUG, "kchat: all broker connections are idle-closed");
        return;
    }
    if (!all_down_confirmed(cl))
        return;
    char line[512];
    snprintf(line, sizeof line, "all brokers down (%s)", cl->cause[0] ? cl->cause : reason);
    cl->down_reported = true;
    atomic_store(&cl->wake_on_up, true);
    net_client_report(cl, LOG_ERR, line);
}

/* "sasl_ssl://127.0.0.1:9093/bootstrap: SASL authentication error: ... (after 5ms in state
 * AUTH_REQ)" -> "SASL authentication error: ...". */
static void strip_broker(const char *reason, char *out, size_t outlen)
{
    const char *sep = strstr(reason, ": ");
    if (sep && !memchr(reason, ' ', (size_t)(sep - reason)))
        reason = sep + 2;
    const char *after = strstr(reason, " (after ");
    int n = after ? (int)(after - reason) : (int)strlen(reason);
    snprintf(out, outlen, "%.*s", n, reason);
}

/* One broker of several cannot be reached (a connect failed: not an idle disconnect) while
 * others still answer: in a replicated cluster its partitions get new leaders. Said once, at
 * level 5 (a transient state being waited out), until records flow again. */
static void on_broker_lost(net_client *cl, const char *reason)
{
    if (cl->partial_reported || cl->down_reported || !strstr(reason, "Connect to ") ||
        brokers_up(cl) == 0)
        return;
    char line[600];
    snprintf(line, sizeof line, "Kafka: broker %s; the cluster is electing new leaders, waiting",
             cl->cause);
    cl->partial_reported = true;
    net_client_report(cl, LOG_NOTICE, line);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    net_client *cl = opaque;
    char line[600];
    switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
        simplify_cause(reason, cl->cause, sizeof cl->cause);
        cl->cause_seq = atomic_load(&cl->up_seq);
        on_broker_lost(cl, reason);
        return;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__SSL:
        strip_broker(reason ? reason : rd_kafka_err2str((rd_kafka_resp_err_t)err), cl->auth_err,
                     sizeof cl->auth_err);
        snprintf(line, sizeof line, "Kafka refused the login at %s: %s", cl->brokers, cl->auth_err);
        net_client_report(cl, LOG_ERR, line);
        return;
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        on_all_down(cl, reason);
        return;
    case RD_KAFKA_RESP_ERR__FATAL:
        if (cl->fatal_recovers)
            return; /* the producer replaces its handle and says so */
        net_client_fatal(rk, line, sizeof line);
        net_client_report(cl, LOG_CRIT, line);
        return;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        if (net_topic_missing_in_grace(cl, (rd_kafka_resp_err_t)err)) {
            snprintf(line, sizeof line, "Kafka: topic not known to every broker yet, waiting (%s)",
                     reason && *reason ? reason : rd_kafka_err2str((rd_kafka_resp_err_t)err));
            net_client_report(cl, LOG_NOTICE, line);
            return;
        }
        if (cl->topic_errors_final) {
            snprintf(cl->final_err, sizeof cl->final_err, "%s",
                     reason && *reason ? reason : rd_kafka_err2str((rd_kafka_resp_err_t)err));
            return;
        }
        /* FALLTHRU */
    default:
        snprintf(line, sizeof line, "Kafka: %s",
                 reason && *reason ? reason : rd_kafka_err2str((rd_kafka_resp_err_t)err));
        net_client_report(cl, LOG_ERR, line);
        return;
    }
}

void net_client_install(rd_kafka_conf_t *conf, net_client *cl)
{
    rd_kafka_conf_set_opaque(conf, cl);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
}

/* rd_kafka_new fails after conf_finalize when a file or setting is refused (ssl.ca.location
 * missing, a key that does not load, ...). Its clean-up then frees the interceptor list that
 * the caller's conf still points to, so destroying conf crashes (librdkafka 2.0.2 to 2.8 at
 * least). A first try on a copy without interceptors and without brokers (no broker threads,
 * no connections) finds such failures while conf can still be destroyed safely. */
/* "ssl.ca.location failed: <reason>" -> adds the property's value: "... (file /nonexistent)". */
static void refused(const rd_kafka_conf_t *conf, const char *errstr, char *err, size_t errlen)
{
    char name[128], value[256] = "";
    size_t vlen = sizeof value;
    const char *failed = strstr(errstr, " failed:");
    size_t n = failed ? (size_t)(failed - errstr) : 0;
    if (n > 0 && n < sizeof name && !memchr(errstr, ' ', n)) {
        memcpy(name, errstr, n);
        name[n] = '\0';
        if (rd_kafka_conf_get(conf, name, value, &vlen) != RD_KAFKA_CONF_OK)
            value[0] = '\0';
    }
    errf(err, errlen, "Kafka client configuration refused: %s%s%s%s", errstr, value[0] ? " (" : "",
         value, value[0] ? ")" : "");
}

/* rd_kafka_new fails after conf_finalize when a file or setting is refused (ssl.ca.location
 * missing, a key that does not load, ...). Its clean-up then frees the interceptor list that
 * the caller's conf still points to, so destroying conf crashes (librdkafka 2.0.2 to 2.8 at
 * least). A first try on a copy without interceptors and without brokers (no broker threads,
 * no connections) finds such failures while conf can still be destroyed safely. */
static int probe_new(rd_kafka_type_t type, const rd_kafka_conf_t *conf, char *err, size_t errlen)
{
    char errstr[512] = "";
    rd_kafka_conf_t *probe = rd_kafka_conf_dup(conf);
    rd_kafka_conf_set(probe, "bootstrap.servers", "", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(type, probe, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(probe);
        refused(conf, errstr, err, errlen);
        return -1;
    }
    rd_kafka_destroy(rk);
    return 0;
}

/* FNV-1a of the TLS and SASL settings: what rd_kafka_new loads and can refuse. 0: plaintext (no
 * such loading, nothing to probe). */
static uint64_t security_digest(const rd_kafka_conf_t *conf)
{
    char proto[32] = "";
    size_t n = sizeof proto;
    if (rd_kafka_conf_get(conf, "security.protocol", proto, &n) != RD_KAFKA_CONF_OK ||
        strcmp(proto, "plaintext") == 0)
        return 0;
    size_t cnt = 0;
    const char **kv = rd_kafka_conf_dump((rd_kafka_conf_t *)conf, &cnt);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i + 1 < cnt; i += 2) {
        if (strncmp(kv[i], "ssl.", 4) != 0 && strncmp(kv[i], "sasl.", 5) != 0)
            continue;
        for (int j = 0; j < 2; j++)
            for (const char *c = kv[i + j]; *c; c++)
                h = (h ^ (uint8_t)*c) * 1099511628211ULL;
    }
    rd_kafka_conf_dump_free(kv, cnt);
    return h ? h : 1;
}

#define NET_PROBE_CA "/nonexistent/kchat-probe-ca.pem"

/* A plaintext configuration can only be refused by rd_kafka_new's checks of the settings
 * themselves (acks=1 with idempotence, ...), which run before it loads any TLS file. A probe
 * told to load a CA that does not exist gets through those checks and then fails at once,
 * without starting a thread: any other failure is the configuration's. */
static int probe_settings(rd_kafka_type_t type, const rd_kafka_conf_t *conf, char *err,
                          size_t errlen)
{
    char errstr[512] = "";
    rd_kafka_conf_t *probe = rd_kafka_conf_dup(conf);
    rd_kafka_conf_set(probe, "bootstrap.servers", "", errstr, sizeof errstr);
    rd_kafka_conf_set(probe, "security.protocol", "ssl", errstr, sizeof errstr);
    rd_kafka_conf_set(probe, "ssl.ca.location", NET_PROBE_CA, errstr, sizeof errstr);
    errstr[0] = '\0';
    rd_kafka_t *rk = rd_kafka_new(type, probe, errstr, sizeof errstr);
    if (rk) { /* loaded after all: fine, if slow */
        rd_kafka_destroy(rk);
        return 0;
    }
    rd_kafka_conf_destroy(probe);
    if (strncmp(errstr, "ssl.ca.location failed:", 23) == 0)
        return 0;
    errf(err, errlen, "Kafka client configuration refused: %s", errstr);
    return -1;
}

/* A full probe costs a second (rd_kafka_destroy of the probe), so it runs only for TLS or SASL
 * settings, and once per process for the same ones; plaintext ones get the quick probe. */
static int probe_if_needed(rd_kafka_type_t type, const rd_kafka_conf_t *conf, char *err,
                           size_t errlen)
{
    static _Atomic uint64_t probed;
    uint64_t digest = security_digest(conf);
    if (digest == 0)
        return probe_settings(type, conf, err, errlen);
    if (atomic_load(&probed) == digest)
        return 0;
    if (probe_new(type, conf, err, errlen) != 0)
        return -1;
    atomic_store(&probed, digest);
    return 0;
}

rd_kafka_t *net_client_new(net_client *cl, rd_kafka_type_t type, rd_kafka_conf_t *conf, char *err,
                           size_t errlen)
{
    if (probe_if_needed(type, conf, err, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_interceptor_add_on_new(conf, "kchat", on_new, cl);
    char errstr[512] = "";
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk) {
        /* conf cannot be destroyed safely any more (see probe_new): leaked, once. The probes
         * found every failure that rd_kafka_new's checks and loading can cause. */
        errf(err, errlen, "cannot create Kafka client for %s: %s", cl->brokers, errstr);
        return NULL;
    }
    rd_kafka_set_log_queue(rk, NULL); /* the main queue: served by our poll calls */
    return rk;
}

static void recovered(net_client *cl)
{
    char line[512];
    cl->down_reported = false;
    atomic_store(&cl->wake_on_up, false);
    cl->cause[0] = '\0';
    cl->last_report[0] = '\0';
    snprintf(line, sizeof line, "connected to Kafka again (%s)", cl->brokers);
    net_client_report(cl, LOG_INFO, line);
}

void net_client_check_up(net_client *cl)
{
    if (cl->down_reported && brokers_up(cl) > 0)
        recovered(cl);
}

void net_client_success(net_client *cl)
{
    if (cl->down_reported)
        recovered(cl);
    if (cl->partial_reported) {
        cl->partial_reported = false;
        cl->last_report[0] = '\0';
        net_client_report(cl, LOG_INFO, "Kafka: records flow again");
    }
}

void net_client_unreachable(const net_client *cl, int timeout_ms, char *err, size_t errlen)
{
    if (cl->auth_err[0]) {
        errf(err, errlen, "Kafka refused the login at %s: %s", cl->brokers, cl->auth_err);
        return;
    }
    const char *cause = cl->cause;
    size_t blen = strlen(cl->brokers);
    if (strncmp(cause, cl->brokers, blen) == 0 && strncmp(cause + blen, ": ", 2) == 0)
        cause += blen + 2; /* "host:port: reason" about the one broker given: "reason" */
    errf(err, errlen, "cannot reach Kafka at %s within %g s%s%s%s", cl->brokers,
         timeout_ms / 1000.0, *cause ? " (" : "", cause, *cause ? ")" : "");
}

bool net_client_fatal(rd_kafka_t *rk, char *err, size_t errlen)
{
    char buf[512];
    if (rd_kafka_fatal_error(rk, buf, sizeof buf) == RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    errf(err, errlen, "fatal Kafka error: %s", buf);
    return true;
}

/* Kafka's answer in words, for "cannot OP KIND 'NAME': <this>". */
static const char *reason_words(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        return "not authorized for this topic (Kafka: topic authorization failed)";
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
        return "not authorized for the consumer group (Kafka: group authorization failed)";
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        return "not authorized on the cluster (Kafka: cluster authorization failed)";
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
        return "not authorized (Kafka: transactional id authorization failed)";
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        return "authentication failed";
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        return "the topic does not exist";
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
        return "no partition leader (Kafka is electing one)";
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        return "not enough in-sync replicas (min.insync.replicas)";
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
        return "refused by the cluster's topic policy";
    default:
        return NULL;
    }
}

void net_kafka_error(rd_kafka_resp_err_t e, const char *detail, const char *op, const char *kind,
                     const char *name, char *err, size_t errlen)
{
    const char *words = reason_words(e);
    if (!detail || !*detail)
        detail = rd_kafka_err2str(e);
    if (words && strcmp(words, "authentication failed") == 0)
        errf(err, errlen, "cannot %s %s '%s': authentication failed (%s)", op, kind, name, detail);
    else if (words)
        errf(err, errlen, "cannot %s %s '%s': %s", op, kind, name, words);
    else
        errf(err, errlen, "cannot %s %s '%s': %s", op, kind, name, detail);
}

bool net_topic_missing_in_grace(const net_client *cl, rd_kafka_resp_err_t e)
{
    bool missing = e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                   e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                   e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
    return missing && sys_now_ms() < cl->topic_grace_until;
}

bool net_err_retriable(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE: /* a request to a leader that just died */
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__NOENT: /* no leader known yet */
        return true;
    default:
        return false;
    }
}
