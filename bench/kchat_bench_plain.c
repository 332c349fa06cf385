/* kchat_bench_plain: a worker's plain-Kafka end, the baseline: the same net/ producer and
 * consumer (so the same librdkafka settings: acks=all, idempotence, linger 0, no Nagle, the same
 * fetch waits), the same two-topic layout, no crypto. Alice produces to a2b and reads b2a from its
 * end; Bob reads a2b in a consumer group, storing each batch's offsets as kchat's Bob does, and
 * either produces every record back to b2a (echo) or verifies and counts it. */
#include "bench/kchat_bench.h"
#include "net/consumer.h"
#include "net/producer.h"
#include "sys/wake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 512  /* records per consumer batch, as the session (SESSION_BATCH) */
#define ACK_LEN 76 /* a sealed kchat acknowledgement: 26 header + 34 record + 16 tag */

typedef struct pside {
    bench_wargs a;
    net_config net;
    net_producer *prod;
    net_consumer *cons;
    bool echo;
    bool acks; /* KCHAT_BENCH_PLAIN_ACKS=1: kchat's record pattern (diagnosis only) */
    uint64_t posted, delivered, errors;
    bench_tally *tally;
} pside;

static void on_delivery(void *ctx, uint64_t token, int64_t offset, const char *err)
{
    pside *p = ctx;
    (void)token;
    (void)offset;
    if (err) {
        p->errors++;
        fprintf(stderr, "kchat-bench[%s]: delivery failed: %s\n", p->a.name, err);
        return;
    }
    p->delivered++;
}

/* Queues one record, serving delivery reports while librdkafka's queue is full. */
static int produce(pside *p, net_producer *prod, const void *buf, size_t len, char *err,
                   size_t errlen)
{
    int64_t deadline = bench_now_ns() + 60 * (int64_t)1000000000;
    while (net_producer_send(prod, buf, len, p->posted + 1, err, errlen) != 0) {
        if (bench_now_ns() > deadline)
            return -1;
        net_producer_poll(prod, 1);
    }
    p->posted++;
    return 0;
}

static int fds(void *ctx, struct pollfd *out, int max)
{
    pside *p = ctx;
    if (max < 2)
        return 0;
    out[0] = (struct pollfd){.fd = net_consumer_fd(p->cons), .events = POLLIN};
    out[1] = (struct pollfd){.fd = net_producer_fd(p->prod), .events = POLLIN};
    return 2;
}

static bool is_ack(const net_record *rec)
{
    return rec->len == ACK_LEN && rec->data[0] == 'A';
}

/* A standalone acknowledgement record, as kchat writes one each way per round trip. */
static int send_ack(pside *p, net_producer *prod, char *err, size_t errlen)
{
    uint8_t ack[ACK_LEN];
    memset(ack, 'A', sizeof ack);
    return produce(p, prod, ack, sizeof ack, err, errlen);
}

/* Bob's work on one record. */
static int bob_record(pside *p, const net_record *rec, char *err, size_t errlen)
{
    if (p->echo && p->acks && is_ack(rec))
        return 0;
    if (p->echo && p->acks)
        return produce(p, p->prod, rec->data, rec->len, err, errlen) == 0
                   ? send_ack(p, p->prod, err, errlen)
                   : -1;
    if (p->echo)
        return produce(p, p->prod, rec->data, rec->len, err, errlen);
    if (p->tally)
        bench_tally_add(p->tally, rec->data, rec->len);
    return 0;
}

static int serve(void *ctx, char *err, size_t errlen)
{
    pside *p = ctx;
    sys_fd_drain(net_consumer_fd(p->cons));
    sys_fd_drain(net_producer_fd(p->prod));
    int64_t last = -1;
    int rc = 0, n = 0;
    for (; n < BATCH && rc == 0; n++) {
        net_record rec;
        int got = net_consumer_poll(p->cons, 0, &rec, err, errlen);
        if (got <= 0) {
            rc = got;
            break;
        }
        if (!p->a.alice)
            rc = bob_record(p, &rec, err, errlen);
        last = rec.offset;
        net_record_release(&rec);
    }
    net_producer_poll(p->prod, 0);
    if (last >= 0 && !p->a.alice)
        net_consumer_done(p->cons, last);
    /* a full batch: more records may be queued without the fd saying so again */
    return rc != 0 ? -1 : n == BATCH;
}

static int ready(void *ctx, int timeout_ms, char *err, size_t errlen)
{
    (void)timeout_ms;
    return serve(ctx, err, errlen) < 0 ? -1 : 0;
}

static void wait_io(net_consumer *c, net_producer *prod, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = net_consumer_fd(c), .events = POLLIN},
                          {.fd = net_producer_fd(prod), .events = POLLIN}};
    if (poll(p, 2, timeout_ms) > 0) {
        sys_fd_drain(p[0].fd);
        sys_fd_drain(p[1].fd);
    }
}

/* Reads c until the record equal to want comes back; other records are skipped. */
static int await_echo(net_consumer *c, net_producer *prod, const uint8_t *want, size_t len,
                      char *err, size_t errlen)
{
    int64_t deadline = bench_now_ns() + 10 * (int64_t)1000000000;
    for (;;) {
        net_producer_poll(prod, 0);
        net_record rec;
        int got;
        while ((got = net_consumer_poll(c, 0, &rec, err, errlen)) == 1) {
            bool match = rec.len == len && !memcmp(rec.data, want, len);
            net_record_release(&rec);
            if (match)
                return 0;
        }
        if (got < 0)
            return -1;
        if (bench_now_ns() > deadline) {
            snprintf(err, errlen, "no echo within 10 s");
            return -1;
        }
        wait_io(c, prod, 100);
    }
}

static int echo(void *ctx, uint32_t n, size_t size, uint32_t round, double *lat_us, char *err,
                size_t errlen)
{
    pside *p = ctx;
    uint8_t buf[BENCH_MAX_SIZE];
    for (uint32_t i = 0; i < n; i++) {
        bench_fill(buf, size, round, i);
        int64_t t0 = bench_now_ns();
        if (produce(p, p->prod, buf, size, err, errlen) != 0 ||
            await_echo(p->cons, p->prod, buf, size, err, errlen) != 0)
            return -1;
        lat_us[i] = (double)(bench_now_ns() - t0) / 1e3;
        if (p->acks && send_ack(p, p->prod, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int send_msgs(void *ctx, uint32_t n, size_t size, uint32_t round, uint64_t window,
                     int64_t *t0, char *err, size_t errlen)
{
    pside *p = ctx;
    uint8_t buf[BENCH_MAX_SIZE];
    *t0 = bench_now_ns();
    for (uint32_t i = 0; i < n; i++) {
        while (window && (p->posted - p->delivered) * size >= window)
            net_producer_poll(p->prod, 1); /* delivery reports; librdkafka retries for us */
        bench_fill(buf, size, round, i);
        if (produce(p, p->prod, buf, size, err, errlen) != 0)
            return -1;
    }
    net_producer_poll(p->prod, 0);
    return 0;
}

static int expect(void *ctx, uint32_t n, size_t size, uint32_t round, int timeout_ms, int64_t *last,
                  uint32_t *bad, char *err, size_t errlen)
{
    pside *p = ctx;
    bench_tally t;
    if (bench_tally_init(&t, n, size, round) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->tally = &t;
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    int rc = 0, more = 0;
    while (t.got < n && rc == 0) {
        if (!more)
            wait_io(p->cons, p->prod, 100);
        more = serve(p, err, errlen);
        rc = more < 0 ? -1 : 0;
        if (rc == 0 && t.got < n && bench_now_ns() > deadline) {
            snprintf(err, errlen, "only %u of %u messages within %d ms", t.got, n, timeout_ms);
            rc = -1;
        }
    }
    p->tally = NULL;
    *last = t.last_ns;
    *bad = t.bad;
    bench_tally_free(&t);
    return rc;
}

static int drain(void *ctx, int timeout_ms, char *err, size_t errlen)
{
    pside *p = ctx;
    if (net_producer_flush(p->prod, timeout_ms) != 0 || p->delivered + p->errors < p->posted) {
        snprintf(err, errlen, "%llu records not delivered within %d ms",
                 (unsigned long long)(p->posted - p->delivered), timeout_ms);
        return -1;
    }
    return 0;
}

/* A fresh plain client: new producer and consumer, then one message until its echo is back. */
static int connect_once(void *ctx, bench_connect *conn, char *err, size_t errlen)
{
    pside *p = ctx;
    int64_t t0 = bench_now_ns();
    net_producer *prod = net_producer_new(&p->net, p->a.a2b, on_delivery, p, err, errlen);
    net_consumer *c =
        prod ? net_consumer_new(&p->net, p->a.b2a, NULL, NET_START_END, err, errlen) : NULL;
    int rc = -1;
    if (c) {
        uint8_t buf[100];
        bench_fill(buf, sizeof buf, 9999, (uint32_t)p->posted);
        int64_t t1 = bench_now_ns();
        if (produce(p, prod, buf, sizeof buf, err, errlen) == 0 &&
            await_echo(c, prod, buf, sizeof buf, err, errlen) == 0) {
            int64_t t2 = bench_now_ns();
            conn->connect_ms = bench_ms_between(t0, t2);
            conn->inner_ms = bench_ms_between(t1, t2);
            rc = 0;
        }
    }
    if (c)
        net_consumer_close(c);
    if (prod) {
        net_producer_flush(prod, 5000);
        net_producer_free(prod);
    }
    return rc;
}

static int set_echo(void *ctx, bool on, char *err, size_t errlen)
{
    pside *p = ctx;
    (void)err;
    (void)errlen;
    p->echo = on;
    return 0;
}

static void pside_close(void *ctx)
{
    pside *p = ctx;
    if (p->cons)
        net_consumer_close(p->cons);
    if (p->prod) {
        net_producer_flush(p->prod, 5000);
        net_producer_free(p->prod);
    }
    free(p);
}

static const bench_side_ops plain_ops = {
    .ready = ready,
    .fds = fds,
    .serve = serve,
    .echo = echo,
    .send = send_msgs,
    .expect = expect,
    .drain = drain,
    .connect_once = connect_once,
    .set_echo = set_echo,
    .close = pside_close,
};

void *bench_plain_new(const bench_wargs *a, const bench_side_ops **ops, char *err, size_t errlen)
{
    pside *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->a = *a;
    p->net.brokers = a->brokers;
    p->echo = a->echo;
    const char *acks = getenv("KCHAT_BENCH_PLAIN_ACKS");
    p->acks = acks && *acks == '1';
    char group[300];
    snprintf(group, sizeof group, "plain-%s", a->a2b);
    const char *out = a->alice ? a->a2b : a->b2a, *in = a->alice ? a->b2a : a->a2b;
    p->prod = net_producer_new(&p->net, out, on_delivery, p, err, errlen);
    if (p->prod)
        p->cons = net_consumer_new(&p->net, in, a->alice ? NULL : group,
                                   a->alice ? NET_START_END : NET_START_STORED, err, errlen);
    if (!p->cons) {
        pside_close(p);
        return NULL;
    }
    *ops = &plain_ops;
    return p;
}
