/* Nothing listens on 127.0.0.1:1: admin calls fail with a clear message within their timeout,
 * clients report "all brokers down" once through on_error, deliveries fail with a reason, and
 * librdkafka never writes to stderr. */
#include "net_util.h"
#include "support/check.h"
#include "sys/wake.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOWHERE "127.0.0.1:1"

static void test_admin(void)
{
    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config(NOWHERE, NULL, 0, &s);
    char err[256] = "";
    int64_t t0 = now_ms();
    CHECK(net_topic_create(&cfg, "kchat-unreachable", 3000, err, sizeof err) == -1);
    int64_t took = now_ms() - t0;
    printf("create: %s (%lld ms)\n", err, (long long)took);
    CHECK(strncmp(err, "cannot reach Kafka at " NOWHERE " within 3 s", 41) == 0);
    CHECK(strstr(err, "Connection refused") != NULL);
    CHECK(took >= 2500 && took < 5000);

    t0 = now_ms();
    CHECK(net_topic_exists(&cfg, "kchat-unreachable", 1500, err, sizeof err) == -1);
    took = now_ms() - t0;
    printf("exists: %s (%lld ms)\n", err, (long long)took);
    CHECK(strncmp(err, "cannot reach Kafka at " NOWHERE " within 1.5 s", 43) == 0);
    CHECK(took < 3500);

    CHECK(net_topic_delete(&cfg, "kchat-unreachable", 1000, err, sizeof err) == -1);
    CHECK(strncmp(err, "cannot reach Kafka at " NOWHERE " within 1 s", 41) == 0);
    CHECK(net_topic_create(&cfg, "bad topic", 1000, err, sizeof err) == -1);
    CHECK(strstr(err, "invalid topic name 'bad topic'") != NULL);
    CHECK(sink_count(&s.errors) == 0); /* admin failures are returned, not reported */
    sinks_free(&s);
}

static void serve_producer(net_producer *p, int ms)
{
    int64_t deadline = now_ms() + ms;
    while (now_ms() < deadline) {
        struct pollfd pfd = {.fd = net_producer_fd(p), .events = POLLIN};
        if (poll(&pfd, 1, (int)(deadline - now_ms())) > 0)
            sys_fd_drain(pfd.fd);
        net_producer_poll(p, 0);
    }
}

static void test_producer(void)
{
    test_sinks s;
    sinks_init(&s);
    const char *props[] = {"message.timeout.ms=2000"};
    net_config cfg = test_config(NOWHERE, props, 1, &s);
    deliveries d = {0};
    char err[256];
    net_producer *p =
        net_producer_new(&cfg, "kchat-unreachable", on_delivery_record, &d, err, sizeof err);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(net_producer_send(p, "hello", 5, 42, err, sizeof err) == 0);
    CHECK(net_producer_outq_len(p) == 1);
    CHECK(net_producer_flush(p, 300) == -1);
    serve_producer(p, 3500);
    sink_print(&s.errors, "producer errors");
    CHECK(sink_find(&s.errors, "all brokers down (" NOWHERE ": Connection refused)", 0) == 0);
    CHECK(sink_count(&s.errors) == 1); /* reported once, not on every reconnect attempt */
    CHECK(d.n == 1);
    CHECK(d.token[0] == 42);
    CHECK(d.offset[0] == -1);
    CHECK(strstr(d.err[0], "timed out") != NULL);
    CHECK(net_producer_outq_len(p) == 0);
    CHECK(sink_count(&s.log) > 0); /* librdkafka's own lines went to the log callback */
    net_producer_free(p);
    sinks_free(&s);
}

static void test_consumer(void)
{
    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config(NOWHERE, NULL, 0, &s);
    char err[256];
    net_consumer *c =
        net_consumer_new(&cfg, "kchat-unreachable", "g", NET_START_STORED, err, sizeof err);
    CHECK(c != NULL);
    if (!c)
        return;
    net_record rec;
    int64_t deadline = now_ms() + 3000;
    int rc = 0;
    while (rc == 0 && now_ms() < deadline)
        rc = consume_wait(c, &rec, (int)(deadline - now_ms()), err, sizeof err);
    CHECK(rc == 0); /* a broker being down is not a reading error */
    sink_print(&s.errors, "consumer errors");
    CHECK(sink_find(&s.errors, "all brokers down (" NOWHERE ": Connection refused)", 0) == 0);
    CHECK(net_consumer_end_offset(c, 500) == -1);
    /* NET_START_END needs the end offset before it can start: a clear failure. */
    int64_t t_end = now_ms();
    CHECK(net_consumer_new(&cfg, "kchat-unreachable", NULL, NET_START_END, err, sizeof err) ==
          NULL);
    printf("start at end: %s (%lld ms)\n", err, (long long)(now_ms() - t_end));
    CHECK(strcmp(err, "cannot reach Kafka at " NOWHERE " within 10 s (Connection refused)") == 0);
    int64_t t0 = now_ms();
    net_consumer_close(c);
    printf("consumer close took %lld ms\n", (long long)(now_ms() - t0));
    CHECK(now_ms() - t0 < 15000);
    sinks_free(&s);
}

int main(void)
{
    /* Capture stderr: librdkafka must not write there. */
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = tmpfile();
    dup2(fileno(cap), 2);

    test_admin();
    test_producer();
    test_consumer();

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fseek(cap, 0, SEEK_END);
    long size = ftell(cap);
    rewind(cap);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, cap);
    buf[n] = '\0';
    if (size > 0)
        fprintf(stderr, "stderr while testing:\n%s\n", buf);
    CHECK(size == 0);
    fclose(cap);
    return check_summary();
}
