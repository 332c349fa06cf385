/* producer: one idempotent, acks=all librdkafka producer per topic, writing to partition 0.
 * Delivery reports, logs and errors are served by net_producer_poll on the caller's thread; the
 * main queue's IO event makes net_producer_fd readable whenever there is something to serve. */
#include "net/producer.h"
#include "net/admin.h"
#include "net/net_internal.h"

#include <stdlib.h>

/* Tokens travel in librdkafka's per-message opaque pointer. */
_Static_assert(sizeof(void *) >= sizeof(uint64_t), "net_producer needs 64-bit pointers");

struct net_producer {
    net_client cl;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    rd_kafka_queue_t *mainq;
    int wake[2];
    net_delivery_fn cb;
    void *cb_ctx;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    net_producer *p = ((net_client *)opaque)->owner;
    uint64_t token = (uint64_t)(uintptr_t)m->_private;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        net_client_success(&p->cl);
    if (!p->cb)
        return;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        p->cb(p->cb_ctx, token, m->offset, NULL);
    else
        p->cb(p->cb_ctx, token, -1, rd_kafka_err2str(m->err));
}

static int producer_start(net_producer *p, const net_config *cfg, const char *topic, char *err,
                          size_t errlen)
{
    if (net_wake_open(p->wake) != 0) {
        net_errf(err, errlen, "cannot create a pipe for the Kafka producer");
        return -1;
    }
    p->cl.wake_wfd = p->wake[1];
    rd_kafka_conf_t *conf = net_conf_build(cfg, &p->cl, NET_ROLE_PRODUCER, NULL, err, errlen);
    if (!conf)
        return -1;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    p->rk = net_client_new(&p->cl, RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!p->rk) {
        return -1;
    }
    p->rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    if (!p->rkt) {
        net_errf(err, errlen, "cannot use topic '%s': %s", topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    p->mainq = rd_kafka_queue_get_main(p->rk);
    rd_kafka_queue_io_event_enable(p->mainq, p->wake[1], "1", 1);
    net_wake_signal(p->wake[1]); /* serve whatever was queued before the IO event was set */
    return 0;
}

net_producer *net_producer_new(const net_config *cfg, const char *topic, net_delivery_fn cb,
                               void *cb_ctx, char *err, size_t errlen)
{
    if (!net_topic_name_valid(topic)) {
        net_errf(err, errlen, "invalid topic name '%s'", topic ? topic : "");
        return NULL;
    }
    net_producer *p = calloc(1, sizeof *p);
    if (!p) {
        net_errf(err, errlen, "out of memory");
        return NULL;
    }
    net_client_init(&p->cl, cfg, p);
    p->wake[0] = p->wake[1] = -1;
    p->cb = cb;
    p->cb_ctx = cb_ctx;
    if (producer_start(p, cfg, topic, err, errlen) != 0) {
        net_producer_free(p);
        return NULL;
    }
    return p;
}

int net_producer_send(net_producer *p, const void *buf, size_t len, uint64_t token, char *err,
                      size_t errlen)
{
    if (net_client_fatal(p->rk, err, errlen))
        return -1;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p->rk, RD_KAFKA_V_RKT(p->rkt), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)buf, len),
        RD_KAFKA_V_OPAQUE((void *)(uintptr_t)token), RD_KAFKA_V_END);
    switch (e) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return 0;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        net_errf(err, errlen, "Kafka producer queue is full (%d records waiting)",
                 net_producer_outq_len(p));
        return -1;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        net_errf(err, errlen, "record of %zu bytes is larger than message.max.bytes", len);
        return -1;
    default:
        net_errf(err, errlen, "cannot send to Kafka: %s", rd_kafka_err2str(e));
        return -1;
    }
}

int net_producer_poll(net_producer *p, int timeout_ms)
{
    int n = rd_kafka_poll(p->rk, timeout_ms);
    net_client_check_up(&p->cl);
    return n;
}

int net_producer_fd(net_producer *p)
{
    return p->wake[0];
}

int net_producer_flush(net_producer *p, int timeout_ms)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(p->rk, timeout_ms);
    net_client_check_up(&p->cl);
    return e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int net_producer_outq_len(net_producer *p)
{
    /* outq_len also counts log lines and reports waiting in the main queue; records stay
     * counted until their delivery report has been served. */
    int n = rd_kafka_outq_len(p->rk) - (int)rd_kafka_queue_length(p->mainq);
    return n > 0 ? n : 0;
}

void net_producer_free(net_producer *p)
{
    if (!p)
        return;
    if (p->mainq) {
        rd_kafka_queue_io_event_enable(p->mainq, -1, NULL, 0);
        rd_kafka_queue_destroy(p->mainq);
    }
    if (p->rkt)
        rd_kafka_topic_destroy(p->rkt);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    net_wake_close(p->wake);
    net_client_destroy(&p->cl);
    free(p);
}
