/* A configuration librdkafka refuses only when the client is created (a TLS file that does not
 * exist): every net/ constructor fails with one line naming the property and the file, nothing
 * crashes (issue 12: admin.c destroyed a configuration rd_kafka_new had half freed), nothing
 * leaks (the ASan build checks) and nothing reaches stderr. No broker is needed. */
#include "net_util.h"
#include "support/check.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const bad_ca[] = {"security.protocol=SSL", "ssl.ca.location=/nonexistent"};

static void check_line(const char *what, const char *err)
{
    printf("%s: %s\n", what, err);
    CHECK(strstr(err, "ssl.ca.location") != NULL);
    CHECK(strstr(err, "/nonexistent") != NULL);
    CHECK(strchr(err, '\n') == NULL);
}

static void test_admin(const net_config *cfg)
{
    char err[512] = "";
    CHECK(net_topic_create(cfg, "kchat-refused", 2000, err, sizeof err) == -1);
    check_line("create", err);
    err[0] = '\0';
    CHECK(net_topic_exists(cfg, "kchat-refused", 2000, err, sizeof err) == -1);
    check_line("exists", err);
    err[0] = '\0';
    CHECK(net_topic_delete(cfg, "kchat-refused", 2000, err, sizeof err) == -1);
    check_line("delete", err);
}

static void test_clients(const net_config *cfg)
{
    char err[512] = "";
    deliveries d = {0};
    CHECK(net_producer_new(cfg, "kchat-refused", on_delivery_record, &d, err, sizeof err) == NULL);
    check_line("producer", err);
    err[0] = '\0';
    CHECK(net_consumer_new(cfg, "kchat-refused", "g", NET_START_STORED, err, sizeof err) == NULL);
    check_line("consumer", err);
    err[0] = '\0';
    CHECK(net_consumer_new(cfg, "kchat-refused", NULL, NET_START_END, err, sizeof err) == NULL);
    check_line("consumer at end", err);
}

int main(void)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = tmpfile();
    dup2(fileno(cap), 2);

    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config("127.0.0.1:1", bad_ca, 2, &s);
    test_admin(&cfg);
    test_clients(&cfg);
    CHECK(sink_count(&s.errors) == 0);
    sinks_free(&s);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long size = ftell(cap);
    fclose(cap);
    CHECK(size == 0);
    return check_summary();
}
