/* net_config_check, topic names and wake fds: no broker needed. */
#include "net_util.h"
#include "support/check.h"
#include "sys/wake.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int check_props(const char *const *props, size_t n, char *err, size_t errlen)
{
    net_config cfg = test_config("127.0.0.1:9092", props, n, NULL);
    err[0] = '\0';
    return net_config_check(&cfg, err, errlen);
}

static void test_good_props(void)
{
    /* Producer-only, consumer-only and topic-level properties all pass. */
    const char *props[] = {"acks=1",
                           "fetch.wait.max.ms=50",
                           "security.protocol=plaintext",
                           "message.timeout.ms=60000",
                           "auto.offset.reset=latest",
                           "debug=feature,protocol",
                           "client.id=x=y"};
    char err[256];
    CHECK(check_props(props, sizeof props / sizeof *props, err, sizeof err) == 0);
    CHECK(check_props(NULL, 0, err, sizeof err) == 0);
}

static void test_unknown_prop(void)
{
    const char *props[] = {"acks=all", "foo.bar=1"};
    char err[256];
    CHECK(check_props(props, 2, err, sizeof err) == -1);
    CHECK(strcmp(err, "unknown property 'foo.bar'") == 0);
}

/* kchat counts a delivery report for every record (sent events, Kafka stalls): not optional */
static void test_kchat_owned_prop(void)
{
    const char *props[] = {"delivery.report.only.error=true"};
    char err[256];
    CHECK(check_props(props, 1, err, sizeof err) == -1);
    CHECK(strstr(err, "delivery.report.only.error") && strstr(err, "every record"));
}

static void test_bad_value(void)
{
    const char *props[] = {"fetch.wait.max.ms=banana"};
    char err[256];
    CHECK(check_props(props, 1, err, sizeof err) == -1);
    CHECK(strncmp(err, "invalid value for 'fetch.wait.max.ms': ", 39) == 0);
    CHECK(strlen(err) > 40); /* librdkafka's reason follows */
    const char *props2[] = {"socket.nagle.disable=maybe"};
    CHECK(check_props(props2, 1, err, sizeof err) == -1);
    CHECK(strncmp(err, "invalid value for 'socket.nagle.disable': ", 42) == 0);
}

static void test_missing_equals(void)
{
    const char *props[] = {"acks"};
    char err[256];
    CHECK(check_props(props, 1, err, sizeof err) == -1);
    CHECK(strcmp(err, "expected PROP=VAL, got 'acks'") == 0);
    const char *props2[] = {"=5"};
    CHECK(check_props(props2, 1, err, sizeof err) == -1);
    CHECK(strcmp(err, "expected PROP=VAL, got '=5'") == 0);
}

static void test_small_err_buffer(void)
{
    const char *props[] = {"foo.bar=1"};
    char err[8];
    CHECK(check_props(props, 1, err, sizeof err) == -1);
    CHECK(strlen(err) == 7);
    net_config cfg = test_config("127.0.0.1:9092", props, 1, NULL);
    CHECK(net_config_check(&cfg, NULL, 0) == -1);
}

static void test_topic_names(void)
{
    CHECK(net_topic_name_valid("kchat.a2b"));
    CHECK(net_topic_name_valid("A-z_0.9"));
    CHECK(net_topic_name_valid("..."));
    CHECK(!net_topic_name_valid(""));
    CHECK(!net_topic_name_valid("."));
    CHECK(!net_topic_name_valid(".."));
    CHECK(!net_topic_name_valid("a/b"));
    CHECK(!net_topic_name_valid("a b"));
    CHECK(!net_topic_name_valid(NULL));
    char name[251];
    memset(name, 'x', 250);
    name[250] = '\0';
    CHECK(!net_topic_name_valid(name));
    name[249] = '\0';
    CHECK(net_topic_name_valid(name));
}

static void test_clients_reject_bad_config(void)
{
    const char *props[] = {"no.such.thing=1"};
    net_config cfg = test_config("127.0.0.1:1", props, 1, NULL);
    char err[256] = "";
    CHECK(net_producer_new(&cfg, "t", NULL, NULL, err, sizeof err) == NULL);
    CHECK(strcmp(err, "unknown property 'no.such.thing'") == 0);
    err[0] = '\0';
    CHECK(net_consumer_new(&cfg, "t", "g", NET_START_STORED, err, sizeof err) == NULL);
    CHECK(strcmp(err, "unknown property 'no.such.thing'") == 0);
    net_config good = test_config("127.0.0.1:1", NULL, 0, NULL);
    CHECK(net_producer_new(&good, "bad/topic", NULL, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "invalid topic name 'bad/topic'") != NULL);
    net_config nobrokers = test_config(NULL, NULL, 0, NULL);
    CHECK(net_producer_new(&nobrokers, "t", NULL, NULL, err, sizeof err) == NULL);
    CHECK(strcmp(err, "no Kafka brokers given") == 0);
    /* Idempotence needs acks=all: librdkafka refuses at creation, and says so. */
    const char *acks1[] = {"acks=1"};
    net_config conflict = test_config("127.0.0.1:1", acks1, 1, NULL);
    CHECK(net_producer_new(&conflict, "t", NULL, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "acks") != NULL);
}

static void test_drain_fd(void)
{
    net_config cfg = test_config("127.0.0.1:1", NULL, 0, NULL);
    char err[256], buf[1];
    net_producer *p = net_producer_new(&cfg, "t", NULL, NULL, err, sizeof err);
    CHECK(p != NULL);
    if (!p)
        return;
    int fd = net_producer_fd(p);
    CHECK(fd >= 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 1000) == 1); /* a fresh client asks to be served once */
    sys_fd_drain(fd);
    CHECK(read(fd, buf, 1) == -1); /* empty and non-blocking: EAGAIN, no hang */
    net_producer_free(p);
}

int main(void)
{
    test_good_props();
    test_unknown_prop();
    test_kchat_owned_prop();
    test_bad_value();
    test_missing_equals();
    test_small_err_buffer();
    test_topic_names();
    test_clients_reject_bad_config();
    test_drain_fd();
    return check_summary();
}
