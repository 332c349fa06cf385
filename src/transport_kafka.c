/* transport_kafka: the session's transport over Kafka, a net_producer for the peer's topic and a
 * net_consumer for ours (partition 0, by assignment). The two clients' "Kafka is electing,
 * waiting" (level 5) and "flowing again" (level 6) reach the session as one state: out from the
 * first client's level 5 until every client that said it has said level 6 (one client's
 * records flowing does not end the other's election). */
#include "net/consumer.h"
#include "net/producer.h"
#include "src/transport.h"
#include "sys/wake.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct kafka_transport;

/* One client's view of Kafka, between it and the session's callbacks. */
typedef struct kafka_side {
    struct kafka_transport *k;
    net_config cfg; /* the session's, with this side as the callbacks' ctx */
    bool out;       /* said level 5, not yet level 6 */
} kafka_side;

typedef struct kafka_transport {
    net_producer *prod;
    net_consumer *cons;
    net_config session_cfg; /* the session's callbacks */
    kafka_side side[2];     /* producer, consumer */
    pthread_mutex_t lock;
} kafka_transport;

static void side_log(void *ctx, int level, const char *line)
{
    const kafka_side *side = ctx;
    if (side->k->session_cfg.log)
        side->k->session_cfg.log(side->k->session_cfg.log_ctx, level, line);
}

/* False when the line only repeats (level 5) or ends too early (level 6) what the session knows. */
static bool side_passes(kafka_side *side, int level)
{
    kafka_transport *k = side->k;
    kafka_side *other = &k->side[side == &k->side[0] ? 1 : 0];
    if (level == 5) {
        bool first = !side->out && !other->out;
        side->out = true;
        return first;
    }
    if (level >= 6 && side->out) {
        side->out = false;
        return !other->out;
    }
    return true;
}

static void side_error(void *ctx, int level, const char *line)
{
    kafka_side *side = ctx;
    kafka_transport *k = side->k;
    pthread_mutex_lock(&k->lock);
    bool pass = side_passes(side, level);
    pthread_mutex_unlock(&k->lock);
    if (pass && k->session_cfg.on_error)
        k->session_cfg.on_error(k->session_cfg.log_ctx, level, line);
}

static void sides_init(kafka_transport *k, const net_config *net)
{
    k->session_cfg = *net;
    pthread_mutex_init(&k->lock, NULL);
    for (int i = 0; i < 2; i++) {
        k->side[i].k = k;
        k->side[i].cfg = *net;
        k->side[i].cfg.log = side_log;
        k->side[i].cfg.on_error = side_error;
        k->side[i].cfg.log_ctx = &k->side[i];
    }
}

static int k_send(void *ctx, const void *buf, size_t len, uint64_t token, char *err, size_t errlen)
{
    kafka_transport *k = ctx;
    return net_producer_send(k->prod, buf, len, token, err, errlen);
}

static int k_poll(void *ctx, transport_record *rec, char *err, size_t errlen)
{
    kafka_transport *k = ctx;
    net_record r;
    int rc = net_consumer_poll(k->cons, 0, &r, err, errlen);
    if (rc == 1) {
        rec->offset = r.offset;
        rec->data = r.data;
        rec->len = r.len;
        rec->handle = r.handle_;
    }
    return rc;
}

static void k_release(void *ctx, transport_record *rec)
{
    (void)ctx;
    net_record r = {
        .offset = rec->offset, .data = rec->data, .len = rec->len, .handle_ = rec->handle};
    net_record_release(&r);
}

static void k_done(void *ctx, int64_t offset)
{
    kafka_transport *k = ctx;
    net_consumer_done(k->cons, offset);
}

static int k_serve(void *ctx)
{
    kafka_transport *k = ctx;
    return net_producer_poll(k->prod, 0);
}

static int k_flush(void *ctx, int timeout_ms)
{
    kafka_transport *k = ctx;
    return net_producer_flush(k->prod, timeout_ms);
}

static int64_t k_end_offset(void *ctx, int timeout_ms)
{
    kafka_transport *k = ctx;
    return net_consumer_end_offset(k->cons, timeout_ms);
}

static int k_fds(void *ctx, int fds[2])
{
    kafka_transport *k = ctx;
    fds[0] = net_consumer_fd(k->cons);
    fds[1] = net_producer_fd(k->prod);
    return 2;
}

static void k_drain(void *ctx, int fd)
{
    (void)ctx;
    sys_fd_drain(fd);
}

static void k_close(void *ctx)
{
    kafka_transport *k = ctx;
    if (k->cons)
        net_consumer_close(k->cons);
    k->cons = NULL;
}

static void k_free(void *ctx)
{
    kafka_transport *k = ctx;
    k_close(k);
    if (k->prod)
        net_producer_free(k->prod);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

static const transport_ops kafka_ops = {
    .send = k_send,
    .poll = k_poll,
    .release = k_release,
    .done = k_done,
    .serve = k_serve,
    .flush = k_flush,
    .end_offset = k_end_offset,
    .fds = k_fds,
    .drain = k_drain,
    .close = k_close,
    .free = k_free,
};

int transport_kafka_open(void *arg, const transport_params *p, transport *t, char *err,
                         size_t errlen)
{
    (void)arg;
    kafka_transport *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sides_init(k, p->net);
    k->prod = net_producer_new(&k->side[0].cfg, p->out_topic, p->on_delivery, p->delivery_ctx, err,
                               errlen);
    if (!k->prod) {
        pthread_mutex_destroy(&k->lock);
        free(k);
        return -1;
    }
    k->cons = net_consumer_new(&k->side[1].cfg, p->in_topic, p->group,
                               p->from_stored ? NET_START_STORED : NET_START_END, err, errlen);
    if (!k->cons) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s (Kafka at %s)", why, p->net->brokers ? p->net->brokers : "?");
        k_free(k);
        return -1;
    }
    t->ops = &kafka_ops;
    t->ctx = k;
    return 0;
}
