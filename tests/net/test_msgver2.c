/* The producer speaks MsgVer2 (record batches) with the broker: with debug=feature,protocol
 * routed to the log callback, librdkafka must never disable MsgVer2 and must show it enabled. */
#include "net_util.h"
#include "support/check.h"
#include "support/test_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A "features" log line lists MsgVer2 among the enabled features. */
static bool shows_msgver2_enabled(line_sink *log)
{
    for (long i = sink_find(log, "protocol features", 0); i >= 0;
         i = sink_find(log, "protocol features", (size_t)i + 1)) {
        pthread_mutex_lock(&log->mu);
        const char *line = log->lines[i];
        const char *to = strstr(line, " to ");
        bool ok = to && strstr(to, "MsgVer2") != NULL;
        pthread_mutex_unlock(&log->mu);
        if (ok)
            return true;
    }
    return false;
}

int main(void)
{
    const char *brokers = test_brokers();
    CHECK(brokers != NULL);
    if (!brokers)
        return check_summary();
    test_sinks s;
    sinks_init(&s);
    const char *props[] = {"debug=feature,protocol"};
    net_config cfg = test_config(brokers, props, 1, &s);
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
    long produce = sink_find(&s.log, "Produce", 0);
    CHECK(produce >= 0); /* protocol debugging shows the Produce request */
    if (!shows_msgver2_enabled(&s.log) || getenv("KCHAT_TEST_VERBOSE"))
        sink_print(&s.log, "log");
    CHECK(net_topic_delete(&quiet, topic, 10000, err, sizeof err) == 0);
    free(topic);
    sinks_free(&s);
    return check_summary();
}
