/* A fatal producer error (librdkafka's "out of order sequence number" after a leader change)
 * loses nothing: the net producer replaces its librdkafka handle, sends every unconfirmed record
 * again and still reports each token exactly once, as delivered; the topic then holds every
 * record (at least once). Raised here with rd_kafka_test_fatal_error while records are queued. */
#include "net_util.h"
#include "support/check.h"
#include "support/test_broker.h"
#include "sys/wake.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NRECORDS 200

static void serve_until_delivered(net_producer *p, deliveries *d, size_t want, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    while (d->n < want && now_ms() < deadline) {
        struct pollfd pfd = {.fd = net_producer_fd(p), .events = POLLIN};
        if (poll(&pfd, 1, 100) > 0)
            sys_fd_drain(pfd.fd);
        net_producer_poll(p, 0);
    }
}

static void send_range(net_producer *p, int from, int to)
{
    char err[256] = "";
    for (int i = from; i < to; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "r%d", i);
        if (net_producer_send(p, buf, (size_t)n, (uint64_t)i, err, sizeof err) != 0) {
            fprintf(stderr, "send %d: %s\n", i, err);
            CHECK(0);
        }
    }
}

/* Every token reported once, delivered. */
static void check_deliveries(const deliveries *d)
{
    static int seen[NRECORDS];
    memset(seen, 0, sizeof seen);
    CHECK(d->n == NRECORDS);
    for (size_t i = 0; i < d->n; i++) {
        if (d->err[i][0])
            fprintf(stderr, "token %llu failed: %s\n", (unsigned long long)d->token[i], d->err[i]);
        CHECK(d->err[i][0] == '\0' && d->offset[i] >= 0);
        if (d->token[i] < NRECORDS)
            seen[d->token[i]]++;
    }
    for (int i = 0; i < NRECORDS; i++)
        CHECK(seen[i] == 1);
}

/* The topic holds every record at least once. */
static void check_topic(const net_config *cfg, const char *topic)
{
    static int seen[NRECORDS];
    memset(seen, 0, sizeof seen);
    char err[256] = "";
    net_consumer *c = net_consumer_new(cfg, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    CHECK(c != NULL);
    if (!c)
        return;
    int distinct = 0, total = 0;
    net_record rec;
    while (distinct < NRECORDS && consume_wait(c, &rec, 15000, err, sizeof err) == 1) {
        int i = -1;
        if (rec.len > 1 && rec.len < 16 && rec.data[0] == 'r')
            i = atoi((const char *)rec.data + 1);
        if (i >= 0 && i < NRECORDS && seen[i]++ == 0)
            distinct++;
        total++;
        net_record_release(&rec);
    }
    printf("topic: %d distinct records of %d, %d read\n", distinct, NRECORDS, total);
    CHECK(distinct == NRECORDS);
    net_consumer_close(c);
}

int main(void)
{
    const char *brokers = test_brokers();
    CHECK(brokers != NULL);
    if (!brokers)
        return check_summary();
    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config(brokers, NULL, 0, &s);
    char *topic = test_unique_name("kchat-fatal");
    char err[256] = "";
    CHECK(net_topic_create(&cfg, topic, 15000, err, sizeof err) == 0);

    deliveries *d = calloc(1, sizeof *d);
    net_producer *p = net_producer_new(&cfg, topic, on_delivery_record, d, err, sizeof err);
    CHECK(p != NULL);
    if (!p)
        return check_summary();
    send_range(p, 0, 20);
    serve_until_delivered(p, d, 20, 15000); /* a producer id and sequence numbers in use */
    send_range(p, 20, NRECORDS / 2);
    CHECK(net_producer_test_fatal(p, "kchat test: sequence desynchronization") == 0);
    send_range(p, NRECORDS / 2, NRECORDS); /* after the failure: go to the new handle */
    serve_until_delivered(p, d, NRECORDS, 30000);
    CHECK(net_producer_flush(p, 10000) == 0);
    printf("restarts: %u, deliveries: %zu\n", net_producer_restarts(p), d->n);
    CHECK(net_producer_restarts(p) == 1);
    check_deliveries(d);
    sink_print(&s.errors, "errors");
    CHECK(sink_find(&s.errors, "Kafka producer failed (", 0) >= 0);
    CHECK(sink_find(&s.errors, "fatal Kafka error", 0) < 0);
    net_producer_free(p);

    check_topic(&cfg, topic);
    net_topic_delete(&cfg, topic, 10000, err, sizeof err);
    free(topic);
    free(d);
    sinks_free(&s);
    return check_summary();
}
