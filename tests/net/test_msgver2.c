/* The producer speaks MsgVer2 (record batches) with the broker: with debug=feature,protocol
 * routed to the log callback, librdkafka must never disable MsgVer2 and must show it enabled. */
#include "net_util.h"
#include "support/check.h"
#include "support/test_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* librdkafka 2.0.2 says "Enabling feature MsgVer2" after the ApiVersion exchange (debug=feature);
 * with debug=broker it also lists the features: "Updated enabled protocol features to ...". */
static bool shows_msgver2_enabled(line_sink *log)
{
    if (sink_find(log, "Enabling feature MsgVer2", 0) >= 0)
        return true;
    for (long i = sink_find(log, "Updated enabled protocol features", 0); i >= 0;
         i = sink_find(log, "Updated enabled protocol features", (size_t)i + 1)) {
        pthread_mutex_lock(&log->mu);
        const char *to = strstr(log->lines[i], " to ");
        bool ok = to && strstr(to, "MsgVer2") != NULL;
        pthread_mutex_unlock(&log->mu);
        if (ok)
            return true;
    }
    return false;
}

/* Record batches (MsgVer2) need ProduceRequest v3 or later: the version librdkafka sent. */
static int produce_request_version(line_sink *log)
{
    long i = sink_find(log, "Sent ProduceRequest (v", 0);
    if (i < 0)
        return -1;
    pthread_mutex_lock(&log->mu);
    int v = atoi(strstr(log->lines[i], "Sent ProduceRequest (v") + 22);
    pthread_mutex_unlock(&log->mu);
    return v;
}

int main(int argc, char **argv)
{
    const char *brokers = test_brokers();
    CHECK(brokers != NULL);
    if (!brokers)
        return check_summary();
    test_sinks s;
    sinks_init(&s);
    /* Extra arguments are more -X properties. */
    const char *props[16] = {"debug=feature,protocol"};
    size_t nprops = 1;
    for (int i = 1; i < argc && nprops < 16; i++)
        props[nprops++] = argv[i];
    net_config cfg = test_config(brokers, props, nprops, &s);
    net_config quiet = test_config(brokers, NULL, 0, NULL);
    char *topic = test_unique_name("net-msgver2");
    char err[256] = "";
    CHECK(net_topic_create(&quiet, topic, 10000, err, sizeof err) == 0);

    deliveries d = {0};
    net_producer *p = net_producer_new(&cfg, topic, on_delivery_record, &d, err, sizeof err);
    CHECK(p != NULL);
    if (p) {
        CHECK(produce_sync(p, &d, "v2", 2, 1, 15000) == 0);
        net_producer_poll(p, 0);
        net_producer_free(p);
    }
    printf("%zu log lines\n", sink_count(&s.log));
    long dis = sink_find(&s.log, "Disabling feature MsgVer2", 0);
    if (dis >= 0)
        printf("found: %s\n", s.log.lines[dis]);
    CHECK(sink_count(&s.log) > 0);
    CHECK(dis < 0);
    CHECK(shows_msgver2_enabled(&s.log));
    int version = produce_request_version(&s.log);
    printf("ProduceRequest version: %d\n", version);
    CHECK(version >= 3);
    if (!shows_msgver2_enabled(&s.log) || getenv("KCHAT_TEST_VERBOSE"))
        sink_print(&s.log, "log");
    CHECK(net_topic_delete(&quiet, topic, 10000, err, sizeof err) == 0);
    free(topic);
    sinks_free(&s);
    return check_summary();
}
