/* producer: one idempotent, acks=all librdkafka producer per topic, writing to partition 0.
 * Delivery reports, logs and errors are served by net_producer_poll on the caller's thread; the
 * main queue's IO event makes net_producer_fd readable whenever there is something to serve.
 *
 * A fatal error (an idempotent producer whose sequence numbers went out of sync after a leader
 * change, ...) ends a librdkafka producer for good. Then this one builds a new librdkafka handle
 * and sends again every record whose delivery is not known (librdkafka's own purge of its queue,
 * requests that failed with the handle): the caller only sees the delivery reports, as if
 * nothing happened. A record that was in fact written before the failure may be written twice;
 * readers drop duplicates (at-least-once, as everywhere in kchat). */
#include "net/producer.h"
#include "net/admin.h"
#include "net/net_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* Tokens travel in librdkafka's per-message opaque pointer. */
_Static_assert(sizeof(void *) >= sizeof(uint64_t), "net_producer needs 64-bit pointers");

/* A record to send again on the next librdkafka handle. */
typedef struct resend {
    uint64_t token;
    size_t len;
    uint8_t *buf;
} resend;

struct net_producer {
    net_client cl;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    rd_kafka_queue_t *mainq;
    rd_kafka_conf_t *conf; /* for a new handle after a fatal error (no interceptors) */
    char topic[256];
    int wake[2];
    net_delivery_fn cb;
    void *cb_ctx;
    resend *again;
    size_t nagain, capagain;
    unsigned restarts;
};

static bool keep_for_resend(net_producer *p, const rd_kafka_message_t *m, uint64_t token)
{
    if (p->nagain == p->capagain) {
        size_t cap = p->capagain ? p->capagain * 2 : 64;
        resend *a = realloc(p->again, cap * sizeof *a);
        if (!a)
            return false;
        p->again = a;
        p->capagain = cap;
    }
    uint8_t *buf = malloc(m->len ? m->len : 1);
    if (!buf)
        return false;
    if (m->len)
        memcpy(buf, m->payload, m->len);
    p->again[p->nagain++] = (resend){.token = token, .len = m->len, .buf = buf};
    return true;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    net_producer *p = ((net_client *)opaque)->owner;
    uint64_t token = (uint64_t)(uintptr_t)m->_private;
    /* After a fatal error no failure is final: the record goes to the next handle. */
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_fatal_error(rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR &&
        keep_for_resend(p, m, token))
        return;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        net_client_success(&p->cl);
    if (!p->cb)
        return;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        p->cb(p->cb_ctx, token, m->offset, NULL);
    else
        p->cb(p->cb_ctx, token, -1, rd_kafka_err2str(m->err));
}

/* A librdkafka handle from conf (taken) for p->topic, its main queue on p's wake-up pipe. */
static int handle_start(net_producer *p, rd_kafka_conf_t *conf, char *err, size_t errlen)
{
    p->rk = net_client_new(&p->cl, RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!p->rk)
        return -1;
    p->rkt = rd_kafka_topic_new(p->rk, p->topic, NULL);
    if (!p->rkt) {
        errf(err, errlen, "cannot use topic '%s': %s", p->topic,
             rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    p->mainq = rd_kafka_queue_get_main(p->rk);
    rd_kafka_queue_io_event_enable(p->mainq, p->wake[1], "1", 1);
    sys_fd_signal(p->wake[1]); /* serve whatever was queued before the IO event was set */
    return 0;
}

static void handle_stop(net_producer *p)
{
    if (p->mainq) {
        rd_kafka_queue_io_event_enable(p->mainq, -1, NULL, 0);
        rd_kafka_queue_destroy(p->mainq);
    }
    if (p->rkt)
        rd_kafka_topic_destroy(p->rkt);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    p->mainq = NULL;
    p->rkt = NULL;
    p->rk = NULL;
}

static int producer_start(net_producer *p, const net_config *cfg, const char *topic, char *err,
                          size_t errlen)
{
    if (sys_pipe_open(p->wake) != 0) {
        errf(err, errlen, "cannot create a pipe for the Kafka producer");
        return -1;
    }
    p->cl.wake_wfd = p->wake[1];
    rd_kafka_conf_t *conf = net_conf_build(cfg, &p->cl, NET_ROLE_PRODUCER, NULL, err, errlen);
    if (!conf)
        return -1;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    p->conf = rd_kafka_conf_dup(conf);
    snprintf(p->topic, sizeof p->topic, "%s", topic);
    return handle_start(p, conf, err, errlen);
}

net_producer *net_producer_new(const net_config *cfg, const char *topic, net_delivery_fn cb,
                               void *cb_ctx, char *err, size_t errlen)
{
    if (!net_topic_name_valid(topic)) {
        errf(err, errlen, "invalid topic name '%s'", topic ? topic : "");
        return NULL;
    }
    net_producer *p = calloc(1, sizeof *p);
    if (!p) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    net_client_init(&p->cl, cfg, p);
    p->cl.fatal_recovers = true;
    p->wake[0] = p->wake[1] = -1;
    p->cb = cb;
    p->cb_ctx = cb_ctx;
    if (producer_start(p, cfg, topic, err, errlen) != 0) {
        net_producer_free(p);
        return NULL;
    }
    return p;
}

/* The records librdkafka still holds after a fatal error: requests that were sent get their
 * real outcome for up to NET_FATAL_DRAIN_MS, then everything left is purged (and comes back
 * through on_delivery, which keeps it for the next handle). */
#define NET_FATAL_DRAIN_MS 2000

static void drain_dead_handle(net_producer *p)
{
    double deadline = sys_now_ms() + NET_FATAL_DRAIN_MS;
    while (rd_kafka_outq_len(p->rk) > 0 && sys_now_ms() < deadline)
        rd_kafka_poll(p->rk, 50);
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(p->rk, 0);
}

static rd_kafka_resp_err_t produce(net_producer *p, const void *buf, size_t len, uint64_t token);

/* Sends the kept records again, in the order librdkafka gave them back. A record that cannot be
 * queued is reported as failed. */
static void send_again(net_producer *p)
{
    for (size_t i = 0; i < p->nagain; i++) {
        resend *r = &p->again[i];
        rd_kafka_resp_err_t e = produce(p, r->buf, r->len, r->token);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && p->cb)
            p->cb(p->cb_ctx, r->token, -1, rd_kafka_err2str(e));
        free(r->buf);
    }
    p->nagain = 0;
}

/* No handle to send the kept records again: each is reported as failed (one report per token,
 * as producer.h promises). */
static void fail_again(net_producer *p, const char *why)
{
    for (size_t i = 0; i < p->nagain; i++) {
        if (p->cb)
            p->cb(p->cb_ctx, p->again[i].token, -1, why);
        free(p->again[i].buf);
    }
    p->nagain = 0;
}

/* A fatal error ended the handle: a new one takes over. 0, or -1 with err filled. */
static int restart(net_producer *p, char *err, size_t errlen)
{
    char why[512] = "", line[700];
    rd_kafka_fatal_error(p->rk, why, sizeof why);
    drain_dead_handle(p);
    handle_stop(p);
    pthread_mutex_lock(&p->cl.lock);
    p->cl.nseen = 0; /* the new handle reports its own brokers */
    pthread_mutex_unlock(&p->cl.lock);
    if (handle_start(p, rd_kafka_conf_dup(p->conf), err, errlen) != 0) {
        fail_again(p, "the Kafka producer could not be restarted");
        return -1;
    }
    p->restarts++;
    snprintf(line, sizeof line,
             "Kafka producer failed (%s): replaced it, %zu unconfirmed records sent again", why,
             p->nagain);
    net_client_report(&p->cl, LOG_INFO, line);
    send_again(p);
    return 0;
}

/* Restarts the handle after a fatal error. -1 (err filled) if that fails. */
static int recover(net_producer *p, char *err, size_t errlen)
{
    if (p->rk && rd_kafka_fatal_error(p->rk, NULL, 0) == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    if (!p->rk) {
        errf(err, errlen, "the Kafka producer could not be restarted");
        return -1;
    }
    return restart(p, err, errlen);
}

static rd_kafka_resp_err_t produce(net_producer *p, const void *buf, size_t len, uint64_t token)
{
    return rd_kafka_producev(p->rk, RD_KAFKA_V_RKT(p->rkt), RD_KAFKA_V_PARTITION(0),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE((void *)buf, len),
                             RD_KAFKA_V_OPAQUE((void *)(uintptr_t)token), RD_KAFKA_V_END);
}

int net_producer_send(net_producer *p, const void *buf, size_t len, uint64_t token, char *err,
                      size_t errlen)
{
    if (recover(p, err, errlen) != 0)
        return -1;
    rd_kafka_resp_err_t e = produce(p, buf, len, token);
    switch (e) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return 0;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        errf(err, errlen, "Kafka producer queue is full (%d records waiting)",
             net_producer_outq_len(p));
        return -1;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        errf(err, errlen, "record of %zu bytes is larger than message.max.bytes", len);
        return -1;
    default:
        errf(err, errlen, "cannot send to Kafka: %s", rd_kafka_err2str(e));
        return -1;
    }
}

int net_producer_poll(net_producer *p, int timeout_ms)
{
    char err[512];
    if (recover(p, err, sizeof err) != 0) {
        net_client_report(&p->cl, LOG_CRIT, err);
        return 0;
    }
    int n = rd_kafka_poll(p->rk, timeout_ms);
    if (recover(p, err, sizeof err) != 0)
        net_client_report(&p->cl, LOG_CRIT, err);
    net_client_check_up(&p->cl);
    return n;
}

int net_producer_fd(net_producer *p)
{
    return p->wake[0];
}

int net_producer_flush(net_producer *p, int timeout_ms)
{
    char err[512];
    if (recover(p, err, sizeof err) != 0)
        return -1;
    rd_kafka_resp_err_t e = rd_kafka_flush(p->rk, timeout_ms);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || recover(p, err, sizeof err) != 0 || p->restarts == 0)
        return e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
    e = rd_kafka_flush(p->rk, timeout_ms); /* the records sent again after a restart */
    net_client_check_up(&p->cl);
    return e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int net_producer_outq_len(net_producer *p)
{
    if (!p->rk)
        return 0;
    /* outq_len also counts log lines and reports waiting in the main queue; records stay
     * counted until their delivery report has been served. */
    int n = rd_kafka_outq_len(p->rk) - (int)rd_kafka_queue_length(p->mainq);
    return n > 0 ? n : 0;
}

void net_producer_free(net_producer *p)
{
    if (!p)
        return;
    handle_stop(p);
    if (p->conf)
        rd_kafka_conf_destroy(p->conf);
    for (size_t i = 0; i < p->nagain; i++)
        free(p->again[i].buf);
    free(p->again);
    sys_pipe_close(p->wake);
    net_client_destroy(&p->cl);
    free(p);
}

int net_producer_test_fatal(net_producer *p, const char *reason)
{
    return rd_kafka_test_fatal_error(p->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                     reason) == RD_KAFKA_RESP_ERR_NO_ERROR
               ? 0
               : -1;
}

unsigned net_producer_restarts(const net_producer *p)
{
    return p->restarts;
}
