/* admin: topic creation, deletion and existence through a short-lived admin client. Every call
 * waits at most about timeout_ms and says which brokers could not be reached. */
#include "net/admin.h"
#include "net/net_internal.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

typedef struct admin {
    net_client cl;
    rd_kafka_t *rk;
} admin;

bool net_topic_name_valid(const char *topic)
{
    if (!topic)
        return false;
    size_t n = strlen(topic);
    if (n < 1 || n > 249 || strcmp(topic, ".") == 0 || strcmp(topic, "..") == 0)
        return false;
    return strspn(topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int admin_open(admin *a, const net_config *cfg, const char *topic, char *err, size_t errlen)
{
    if (!net_topic_name_valid(topic)) {
        errf(err, errlen, "invalid topic name '%s' (1 to 249 of A-Z a-z 0-9 . _ -)",
             topic ? topic : "");
        return -1;
    }
    net_client_init(&a->cl, cfg, a);
    a->cl.on_error = NULL; /* failures come back as this call's error */
    rd_kafka_conf_t *conf = net_conf_build(cfg, &a->cl, NET_ROLE_ADMIN, NULL, err, errlen);
    if (conf)
        a->rk = net_client_new(&a->cl, RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!conf || !a->rk) {
        net_client_destroy(&a->cl);
        return -1;
    }
    return 0;
}

static void admin_close(admin *a)
{
    rd_kafka_poll(a->rk, 0); /* last log lines */
    rd_kafka_destroy(a->rk);
    net_client_destroy(&a->cl);
}

/* Waits for the admin result on rq, serving logs and errors meanwhile. NULL on timeout or as
 * soon as the login was refused (a wrong password does not get better by waiting). */
static rd_kafka_event_t *wait_result(admin *a, rd_kafka_queue_t *rq, double deadline)
{
    for (;;) {
        rd_kafka_poll(a->rk, 0);
        double left = deadline - sys_now_ms();
        if (left <= 0 || a->cl.auth_err[0])
            return NULL;
        rd_kafka_event_t *ev = rd_kafka_queue_poll(rq, left < 100 ? (int)left : 100);
        if (ev)
            return ev;
    }
}

static bool is_unreachable(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR__TIMED_OUT || e == RD_KAFKA_RESP_ERR__TRANSPORT ||
           e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || e == RD_KAFKA_RESP_ERR__RESOLVE;
}

/* Metadata of one topic: 1 exists (*ready: partition 0 has a leader), 0 does not, -1 error
 * (*ecode: why). */
static int topic_meta(admin *a, const char *topic, int timeout_ms, bool *ready,
                      rd_kafka_resp_err_t *ecode, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(a->rk, topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(a->rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_poll(a->rk, 0); /* serves connection errors: the cause for the message */
    *ready = false;
    *ecode = e;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (is_unreachable(e))
            net_client_unreachable(&a->cl, timeout_ms, err, errlen);
        else
            net_kafka_error(e, NULL, "read metadata of", "topic", topic, err, errlen);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        if (strcmp(t->topic, topic) != 0 || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            continue;
        if (t->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
            t->err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
            *ecode = t->err;
            net_kafka_error(t->err, NULL, "read metadata of", "topic", topic, err, errlen);
            rc = -1;
            break;
        }
        *ready = t->err == RD_KAFKA_RESP_ERR_NO_ERROR && t->partition_cnt > 0 &&
                 t->partitions[0].leader >= 0;
        rc = 1;
    }
    rd_kafka_metadata_destroy(md);
    return rc;
}

/* Polls metadata until the topic is usable (want_exists) or gone. Best effort: Kafka
 * propagates topic changes to brokers asynchronously. */
static void wait_visible(admin *a, const char *topic, bool want_exists, double deadline)
{
    for (;;) {
        double left = deadline - sys_now_ms();
        if (left <= 0)
            break;
        bool ready;
        rd_kafka_resp_err_t e;
        int rc = topic_meta(a, topic, (int)left, &ready, &e, NULL, 0);
        if (rc < 0 || (want_exists ? rc == 1 && ready : rc == 0))
            return;
        rd_kafka_poll(a->rk, 50);
    }
    if (a->cl.log)
        a->cl.log(a->cl.log_ctx, LOG_WARNING,
                  want_exists ? "kchat: new topic not yet visible in the broker's metadata"
                              : "kchat: deleted topic still visible in the broker's metadata");
}

/* Waits for one admin result event; NULL and err filled on timeout or request failure. */
static rd_kafka_event_t *admin_result(admin *a, rd_kafka_queue_t *rq, const char *what,
                                      const char *topic, int timeout_ms, rd_kafka_resp_err_t *ecode,
                                      char *err, size_t errlen)
{
    rd_kafka_event_t *ev = wait_result(a, rq, sys_now_ms() + timeout_ms + 1000);
    rd_kafka_resp_err_t e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
    *ecode = e;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return ev;
    if (is_unreachable(e))
        net_client_unreachable(&a->cl, timeout_ms, err, errlen);
    else
        net_kafka_error(e, ev ? rd_kafka_event_error_string(ev) : NULL, what, "topic", topic, err,
                        errlen);
    if (ev)
        rd_kafka_event_destroy(ev);
    return NULL;
}

static rd_kafka_AdminOptions_t *admin_options(admin *a, rd_kafka_admin_op_t op, int timeout_ms)
{
    char errstr[256];
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(a->rk, op);
    rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, errstr, sizeof errstr);
    rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, errstr, sizeof errstr);
    return opt;
}

/* The replication factor is always the cluster's default.replication.factor: a topic is never
 * created with one the operator did not choose (no quiet fallback to 1). */
static int create_result(rd_kafka_event_t *ev, const char *topic, char *err, size_t errlen)
{
    size_t cnt = 0;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    rd_kafka_resp_err_t e = cnt ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        return 0;
    const char *msg = rd_kafka_topic_result_error_string(res[0]);
    if (e == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR)
        errf(err, errlen,
             "cannot create topic '%s' with the cluster's default replication factor: %s", topic,
             msg && *msg ? msg : rd_kafka_err2str(e));
    else
        net_kafka_error(e, msg, "create", "topic", topic, err, errlen);
    return -1;
}

static int create_once(admin *a, const char *topic, int timeout_ms, char *err, size_t errlen)
{
    char errstr[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, 1, -1, errstr, sizeof errstr);
    if (!nt) {
        errf(err, errlen, "cannot create topic '%s': %s", topic, errstr);
        return -1;
    }
    rd_kafka_AdminOptions_t *opt = admin_options(a, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
    rd_kafka_queue_t *rq = rd_kafka_queue_new(a->rk);
    rd_kafka_CreateTopics(a->rk, &nt, 1, opt, rq);
    rd_kafka_resp_err_t e;
    rd_kafka_event_t *ev = admin_result(a, rq, "create", topic, timeout_ms, &e, err, errlen);
    int rc = -1;
    if (ev) {
        rc = create_result(ev, topic, err, errlen);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(rq);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

int net_topic_create(const net_config *cfg, const char *topic, int timeout_ms, char *err,
                     size_t errlen)
{
    admin a;
    if (admin_open(&a, cfg, topic, err, errlen) != 0)
        return -1;
    double deadline = sys_now_ms() + timeout_ms;
    int rc = create_once(&a, topic, timeout_ms, err, errlen);
    if (rc == 0)
        wait_visible(&a, topic, true, deadline);
    admin_close(&a);
    return rc;
}

static int delete_result(rd_kafka_event_t *ev, const char *topic, char *err, size_t errlen)
{
    size_t cnt = 0;
    const rd_kafka_topic_result_t **res =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
    rd_kafka_resp_err_t e = cnt ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return 0; /* gone either way */
    net_kafka_error(e, rd_kafka_topic_result_error_string(res[0]), "delete", "topic", topic, err,
                    errlen);
    return -1;
}

int net_topic_delete(const net_config *cfg, const char *topic, int timeout_ms, char *err,
                     size_t errlen)
{
    admin a;
    if (admin_open(&a, cfg, topic, err, errlen) != 0)
        return -1;
    double deadline = sys_now_ms() + timeout_ms;
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_AdminOptions_t *opt = admin_options(&a, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms);
    rd_kafka_queue_t *rq = rd_kafka_queue_new(a.rk);
    rd_kafka_DeleteTopics(a.rk, &dt, 1, opt, rq);
    rd_kafka_resp_err_t e;
    rd_kafka_event_t *ev = admin_result(&a, rq, "delete", topic, timeout_ms, &e, err, errlen);
    int rc = -1;
    if (ev) {
        rc = delete_result(ev, topic, err, errlen);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(rq);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_DeleteTopic_destroy(dt);
    if (rc == 0)
        wait_visible(&a, topic, false, deadline);
    admin_close(&a);
    return rc;
}

/* Retries what a leader election or a broker restart causes, until timeout_ms is spent; stops
 * at once when the login is refused. */
int net_topic_exists(const net_config *cfg, const char *topic, int timeout_ms, char *err,
                     size_t errlen)
{
    admin a;
    if (admin_open(&a, cfg, topic, err, errlen) != 0)
        return -1;
    double deadline = sys_now_ms() + timeout_ms;
    int rc;
    for (;;) {
        bool ready;
        rd_kafka_resp_err_t e;
        double left = deadline - sys_now_ms();
        int wait = left > 1000 ? 1000 : left > 0 ? (int)left : 1;
        rc = topic_meta(&a, topic, wait, &ready, &e, err, errlen);
        if (rc >= 0 || a.cl.auth_err[0] || !net_err_retriable(e))
            break;
        if (deadline - sys_now_ms() <= 0) {
            if (is_unreachable(e))
                net_client_unreachable(&a.cl, timeout_ms, err, errlen);
            break;
        }
        rd_kafka_poll(a.rk, 100);
    }
    if (rc < 0 && a.cl.auth_err[0])
        net_client_unreachable(&a.cl, timeout_ms, err, errlen);
    admin_close(&a);
    return rc;
}
