/* At-least-once reading: only records marked done are committed (on close, by the background
 * auto-commit, or by net_consumer_commit), and a consumer of the same group that starts at the
 * stored position goes on with the first record not marked done. */
#include "net_util.h"
#include "support/check.h"
#include "support/test_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NRECORDS 8

static const char *brokers;

static void produce_records(const net_config *cfg, const char *topic)
{
    char err[256] = "";
    deliveries d = {0};
    net_producer *p = net_producer_new(cfg, topic, on_delivery_record, &d, err, sizeof err);
    CHECK(p != NULL);
    if (!p)
        return;
    for (int i = 0; i < NRECORDS; i++) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "m%d", i);
        CHECK(net_producer_send(p, buf, (size_t)n, (uint64_t)i, err, sizeof err) == 0);
    }
    CHECK(net_producer_flush(p, 15000) == 0);
    CHECK(d.n == NRECORDS);
    for (size_t i = 0; i < d.n; i++)
        CHECK(d.offset[i] == (int64_t)d.token[i] && d.err[i][0] == '\0');
    net_producer_free(p);
}

/* Opens a consumer and reads the next record: its offset, or -1. */
static int64_t next_offset(net_consumer *c)
{
    char err[256] = "";
    net_record rec;
    if (consume_wait(c, &rec, 15000, err, sizeof err) != 1) {
        fprintf(stderr, "consume: %s\n", err);
        return -1;
    }
    char want[16];
    int n = snprintf(want, sizeof want, "m%lld", (long long)rec.offset);
    CHECK(rec.len == (size_t)n && memcmp(rec.data, want, (size_t)n) == 0);
    int64_t off = rec.offset;
    net_record_release(&rec);
    return off;
}

static net_consumer *open_group(const net_config *cfg, const char *topic, const char *group)
{
    char err[256] = "";
    net_consumer *c = net_consumer_new(cfg, topic, group, NET_START_STORED, err, sizeof err);
    if (!c)
        fprintf(stderr, "consumer: %s\n", err);
    CHECK(c != NULL);
    return c;
}

int main(void)
{
    brokers = test_brokers();
    CHECK(brokers != NULL);
    if (!brokers)
        return check_summary();
    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config(brokers, NULL, 0, &s);
    char *topic = test_unique_name("net-alo");
    char *group = test_unique_name("net-alo-group");
    char err[256] = "";
    CHECK(net_topic_create(&cfg, topic, 10000, err, sizeof err) == 0);
    produce_records(&cfg, topic);

    /* Read 5, mark 3 done, close: the next reader starts at the 4th (offset 3). */
    net_consumer *c1 = open_group(&cfg, topic, group);
    if (!c1)
        return check_summary();
    for (int64_t i = 0; i < 5; i++)
        CHECK(next_offset(c1) == i);
    CHECK(net_consumer_done(c1, 0) == 0);
    CHECK(net_consumer_done(c1, 2) == 0);
    net_consumer_close(c1);

    net_consumer *c2 = open_group(&cfg, topic, group);
    CHECK(next_offset(c2) == 3);
    CHECK(next_offset(c2) == 4);
    /* Background auto-commit (every second) without closing c2. */
    CHECK(net_consumer_done(c2, 3) == 0);
    int64_t wait_end = now_ms() + 2500;
    net_record rec;
    int served = 0;
    while (now_ms() < wait_end) {
        int rc = net_consumer_poll(c2, 100, &rec, err, sizeof err);
        CHECK(rc >= 0);
        if (rc == 1) {
            CHECK(rec.offset == 5 + served++);
            net_record_release(&rec);
        }
    }
    net_consumer *c3 = open_group(&cfg, topic, group);
    CHECK(next_offset(c3) == 4);
    net_consumer_close(c3);

    /* Explicit commit. */
    CHECK(net_consumer_done(c2, 4) == 0);
    CHECK(net_consumer_commit(c2) == 0);
    net_consumer *c4 = open_group(&cfg, topic, group);
    CHECK(next_offset(c4) == 5);
    net_consumer_close(c4);
    net_consumer_close(c2);

    /* Nothing more marked: the position stays at 5. A raw reader commits nothing. */
    net_consumer *raw = net_consumer_new(&cfg, topic, NULL, NET_START_STORED, err, sizeof err);
    CHECK(raw != NULL);
    if (raw) {
        CHECK(next_offset(raw) == 0);
        CHECK(net_consumer_done(raw, 6) == 0);
        CHECK(net_consumer_end_offset(raw, 5000) == NRECORDS);
        net_consumer_close(raw);
    }
    net_consumer *c5 = open_group(&cfg, topic, group);
    CHECK(next_offset(c5) == 5);
    net_consumer_close(c5);

    /* NET_START_END skips what is there. */
    net_consumer *end = net_consumer_new(&cfg, topic, group, NET_START_END, err, sizeof err);
    CHECK(end != NULL);
    if (end) {
        CHECK(consume_wait(end, &rec, 2000, err, sizeof err) == 0);
        net_consumer_close(end);
    }

    sink_print(&s.errors, "errors");
    CHECK(sink_count(&s.errors) == 0);
    CHECK(net_topic_delete(&cfg, topic, 10000, err, sizeof err) == 0);
    free(topic);
    free(group);
    sinks_free(&s);
    return check_summary();
}
