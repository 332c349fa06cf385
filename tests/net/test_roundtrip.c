/* Against a real broker: topic create (twice) / exists / delete, records of random bytes (one of
 * 65561 bytes) come back unchanged at the offsets the delivery reports gave, the consumer's fd
 * wakes a poll() when a record arrives, and a missing topic is a reading error. */
#include "net_util.h"
#include "support/check.h"
#include "support/test_broker.h"
#include "sys/wake.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG 65561

static const char *brokers;

static void test_topic_admin(const char *topic)
{
    net_config cfg = test_config(brokers, NULL, 0, NULL);
    char err[256] = "";
    CHECK(net_topic_exists(&cfg, topic, 10000, err, sizeof err) == 0);
    CHECK(net_topic_create(&cfg, topic, 10000, err, sizeof err) == 0);
    if (err[0])
        printf("create: %s\n", err);
    CHECK(net_topic_create(&cfg, topic, 10000, err, sizeof err) == 0); /* already exists */
    CHECK(net_topic_exists(&cfg, topic, 10000, err, sizeof err) == 1);
}

static void test_roundtrip(const char *topic)
{
    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config(brokers, NULL, 0, &s);
    char err[256] = "";
    deliveries d = {0};
    net_producer *p = net_producer_new(&cfg, topic, on_delivery_record, &d, err, sizeof err);
    net_consumer *c = net_consumer_new(&cfg, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    CHECK(p != NULL && c != NULL);
    if (!p || !c)
        return;
    static uint8_t small[1000], big[BIG];
    fill_random(small, sizeof small);
    fill_random(big, sizeof big);
    int64_t off_small = produce_sync(p, &d, small, sizeof small, 0xfeedfacecafebeefULL, 15000);
    int64_t off_big = produce_sync(p, &d, big, sizeof big, 7, 15000);
    CHECK(off_small == 0);
    CHECK(off_big == 1);
    CHECK(d.n == 2 && d.token[0] == 0xfeedfacecafebeefULL && d.token[1] == 7);
    CHECK(net_producer_outq_len(p) == 0);
    CHECK(net_producer_flush(p, 1000) == 0);

    net_record rec = {0};
    CHECK(consume_wait(c, &rec, 15000, err, sizeof err) == 1);
    CHECK(rec.offset == off_small);
    CHECK(rec.len == sizeof small && memcmp(rec.data, small, sizeof small) == 0);
    net_record_release(&rec);
    CHECK(rec.handle_ == NULL);
    CHECK(consume_wait(c, &rec, 15000, err, sizeof err) == 1);
    CHECK(rec.offset == off_big);
    CHECK(rec.len == BIG && memcmp(rec.data, big, BIG) == 0);
    net_record_release(&rec);
    CHECK(net_consumer_end_offset(c, 5000) == 2);
    CHECK(net_consumer_done(c, 1) == 0); /* no group: a no-op */
    CHECK(net_consumer_commit(c) == 0);

    /* Empty record. */
    CHECK(produce_sync(p, &d, "", 0, 9, 15000) == 2);
    CHECK(consume_wait(c, &rec, 15000, err, sizeof err) == 1);
    CHECK(rec.offset == 2 && rec.len == 0 && rec.data != NULL);
    net_record_release(&rec);

    /* NET_START_END: only what is written after net_consumer_new returns, with no race. */
    net_consumer *tail = net_consumer_new(&cfg, topic, NULL, NET_START_END, err, sizeof err);
    CHECK(tail != NULL);
    if (tail) {
        CHECK(produce_sync(p, &d, "new", 3, 10, 15000) == 3);
        CHECK(consume_wait(tail, &rec, 15000, err, sizeof err) == 1);
        CHECK(rec.offset == 3 && rec.len == 3 && memcmp(rec.data, "new", 3) == 0);
        net_record_release(&rec);
        net_consumer_close(tail);
    }

    CHECK(sink_count(&s.errors) == 0);
    sink_print(&s.errors, "errors");
    net_consumer_close(c);
    net_producer_free(p);
    sinks_free(&s);
}

/* The consumer's fd must wake a poll() when a record arrives: no busy polling anywhere. */
static void test_wake_fd(const char *topic)
{
    net_config cfg = test_config(brokers, NULL, 0, NULL);
    char err[256] = "";
    net_consumer *c = net_consumer_new(&cfg, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    deliveries d = {0};
    net_producer *p = net_producer_new(&cfg, topic, on_delivery_record, &d, err, sizeof err);
    CHECK(c != NULL && p != NULL);
    if (!c || !p)
        return;
    int fd = net_consumer_fd(c);
    net_record rec;
    /* Settle: serve everything, then count wake-ups while idle. */
    int64_t settle = now_ms() + 1500;
    while (now_ms() < settle) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(settle - now_ms())) > 0)
            sys_fd_drain(fd);
        CHECK(net_consumer_poll(c, 0, &rec, err, sizeof err) == 0);
    }
    int idle_wakeups = 0;
    int64_t idle_end = now_ms() + 2000;
    while (now_ms() < idle_end) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(idle_end - now_ms())) > 0) {
            idle_wakeups++;
            sys_fd_drain(fd);
            CHECK(net_consumer_poll(c, 0, &rec, err, sizeof err) == 0);
        }
    }
    printf("idle wake-ups in 2 s: %d\n", idle_wakeups);
    CHECK(idle_wakeups <= 4);

    char payload[] = "wake up";
    CHECK(net_producer_send(p, payload, sizeof payload, 1, err, sizeof err) == 0);
    int64_t t0 = now_ms(), deadline = t0 + 10000;
    int got = 0, wakeups = 0;
    while (!got && now_ms() < deadline) {
        struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
                                {.fd = net_producer_fd(p), .events = POLLIN}};
        if (poll(pfd, 2, (int)(deadline - now_ms())) <= 0)
            break;
        if (pfd[1].revents) {
            sys_fd_drain(pfd[1].fd);
            net_producer_poll(p, 0);
        }
        if (!pfd[0].revents)
            continue;
        wakeups++;
        sys_fd_drain(fd);
        int rc;
        while (!got && (rc = net_consumer_poll(c, 0, &rec, err, sizeof err)) != 0) {
            CHECK(rc == 1);
            got = rc == 1;
        }
    }
    printf("record after %lld ms and %d wake-up(s)\n", (long long)(now_ms() - t0), wakeups);
    CHECK(got);
    if (got) {
        CHECK(rec.len == sizeof payload && memcmp(rec.data, payload, sizeof payload) == 0);
        net_record_release(&rec);
    }
    net_producer_flush(p, 5000);
    net_producer_free(p);
    net_consumer_close(c);
}

/* Reading a topic that does not exist ends in an error instead of waiting forever. */
static void test_missing_topic(void)
{
    const char *props[] = {"topic.metadata.propagation.max.ms=1000"};
    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config(brokers, props, 1, &s);
    char *topic = test_unique_name("net-missing");
    char err[256] = "";
    net_consumer *c = net_consumer_new(&cfg, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    CHECK(c != NULL);
    if (c) {
        net_record rec;
        int rc = consume_wait(c, &rec, 15000, err, sizeof err);
        printf("missing topic: rc %d: %s\n", rc, rc < 0 ? err : "");
        CHECK(rc == -1);
        CHECK(strstr(err, topic) != NULL);
        net_consumer_close(c);
    }
    /* Starting at the end needs the end: a missing topic fails right away. */
    c = net_consumer_new(&cfg, topic, NULL, NET_START_END, err, sizeof err);
    CHECK(c == NULL);
    printf("missing topic at end: %s\n", err);
    CHECK(strstr(err, "does not exist") != NULL && strstr(err, topic) != NULL);
    net_consumer_close(c);
    sink_print(&s.errors, "missing topic errors");
    free(topic);
    sinks_free(&s);
}

int main(void)
{
    brokers = test_brokers();
    CHECK(brokers != NULL);
    if (!brokers)
        return check_summary();
    printf("broker: %s\n", brokers);
    char *topic = test_unique_name("net-rt");
    char *wake_topic = test_unique_name("net-wake");
    net_config cfg = test_config(brokers, NULL, 0, NULL);
    char err[256] = "";

    test_topic_admin(topic);
    test_roundtrip(topic);
    CHECK(net_topic_create(&cfg, wake_topic, 10000, err, sizeof err) == 0);
    test_wake_fd(wake_topic);
    test_missing_topic();

    CHECK(net_topic_delete(&cfg, topic, 10000, err, sizeof err) == 0);
    CHECK(net_topic_exists(&cfg, topic, 10000, err, sizeof err) == 0);
    CHECK(net_topic_delete(&cfg, wake_topic, 10000, err, sizeof err) == 0);
    free(topic);
    free(wake_topic);
    return check_summary();
}
