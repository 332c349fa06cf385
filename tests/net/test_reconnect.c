/* A broker outage on a broker of its own (scripts/kafka-local in a directory of this test):
 * producer and consumer report "all brokers down (...)" once each, a record sent during the
 * outage is delivered and read after the broker is back, and "connected to Kafka again" is
 * reported. Arguments: the kafka-local script and the broker directory. */
#include "net_util.h"
#include "support/check.h"
#include "sys/wake.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *script, *dir;

/* Runs "script CMD --dir DIR [--fresh]"; for start, copies the printed address into addr. */
static int broker(const char *cmd, bool fresh, char *addr, size_t addrlen)
{
    char line[1024];
    snprintf(line, sizeof line, "'%s' %s --dir '%s'%s", script, cmd, dir, fresh ? " --fresh" : "");
    FILE *f = popen(line, "r");
    if (!f)
        return -1;
    char last[1024] = "";
    while (fgets(line, sizeof line, f))
        memcpy(last, line, sizeof last);
    int rc = pclose(f);
    last[strcspn(last, "\r\n")] = '\0';
    if (addr)
        snprintf(addr, addrlen, "%s", last);
    return rc == 0 ? 0 : -1;
}

typedef struct pair {
    net_producer *p;
    net_consumer *c;
    deliveries d;
    int64_t got_offset;
    char got[64];
} pair;

/* Serves both clients until cond(pr, s) holds or timeout_ms passes. */
static bool serve_until(pair *pr, test_sinks *s, bool (*cond)(pair *, test_sinks *), int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    char err[256];
    while (!cond(pr, s) && now_ms() < deadline) {
        struct pollfd pfd[2] = {{.fd = net_producer_fd(pr->p), .events = POLLIN},
                                {.fd = net_consumer_fd(pr->c), .events = POLLIN}};
        poll(pfd, 2, (int)(deadline - now_ms()));
        sys_fd_drain(pfd[0].fd);
        sys_fd_drain(pfd[1].fd);
        net_producer_poll(pr->p, 0);
        net_record rec;
        int rc;
        while ((rc = net_consumer_poll(pr->c, 0, &rec, err, sizeof err)) == 1) {
            pr->got_offset = rec.offset;
            snprintf(pr->got, sizeof pr->got, "%.*s", (int)rec.len, (const char *)rec.data);
            net_consumer_done(pr->c, rec.offset);
            net_record_release(&rec);
        }
        CHECK(rc == 0);
    }
    return cond(pr, s);
}

static bool got_first(pair *pr, test_sinks *s)
{
    (void)s;
    return pr->d.n == 1 && pr->got_offset == 0;
}

static bool both_down(pair *pr, test_sinks *s)
{
    (void)pr;
    long first = sink_find(&s->errors, "all brokers down (", 0);
    return first >= 0 && sink_find(&s->errors, "all brokers down (", (size_t)first + 1) >= 0;
}

static bool recovered(pair *pr, test_sinks *s)
{
    long first = sink_find(&s->errors, "connected to Kafka again", 0);
    return pr->d.n == 2 && pr->got_offset == 1 && first >= 0 &&
           sink_find(&s->errors, "connected to Kafka again", (size_t)first + 1) >= 0;
}

static void outage(const char *brokers)
{
    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config(brokers, NULL, 0, &s);
    char err[256] = "";
    CHECK(net_topic_create(&cfg, "net-reconnect", 15000, err, sizeof err) == 0);
    pair pr = {.got_offset = -1};
    pr.p = net_producer_new(&cfg, "net-reconnect", on_delivery_record, &pr.d, err, sizeof err);
    pr.c = net_consumer_new(&cfg, "net-reconnect", "g", NET_START_STORED, err, sizeof err);
    CHECK(pr.p != NULL && pr.c != NULL);
    if (!pr.p || !pr.c)
        return;
    CHECK(net_producer_send(pr.p, "before", 6, 1, err, sizeof err) == 0);
    CHECK(serve_until(&pr, &s, got_first, 20000));
    CHECK(sink_count(&s.errors) == 0);

    CHECK(broker("stop", false, NULL, 0) == 0);
    CHECK(serve_until(&pr, &s, both_down, 20000));
    sink_print(&s.errors, "errors during the outage");
    CHECK(sink_find(&s.errors, "all brokers down (127.0.0.1:", 0) == 0);
    CHECK(net_producer_send(pr.p, "during", 6, 2, err, sizeof err) == 0);
    serve_until(&pr, &s, recovered, 2000); /* nothing can arrive: the broker is down */
    CHECK(pr.d.n == 1);

    char again[256] = "";
    CHECK(broker("start", false, again, sizeof again) == 0);
    CHECK(strcmp(again, brokers) == 0); /* kafka-local reuses the port of its directory */
    int64_t t0 = now_ms();
    CHECK(serve_until(&pr, &s, recovered, 30000));
    printf("recovered %lld ms after the broker was ready\n", (long long)(now_ms() - t0));
    sink_print(&s.errors, "errors");
    CHECK(pr.d.n == 2 && pr.d.offset[1] == 1 && pr.d.err[1][0] == '\0');
    CHECK(strcmp(pr.got, "during") == 0);
    CHECK(sink_count(&s.errors) == 4); /* down and again, once per client */

    /* Closing with a position still to commit while the broker is down must not hang. */
    CHECK(broker("stop", false, NULL, 0) == 0);
    int64_t t1 = now_ms();
    net_consumer_close(pr.c);
    net_producer_free(pr.p);
    int64_t took = now_ms() - t1;
    printf("close with the broker down took %lld ms\n", (long long)took);
    CHECK(took < 10000);
    sinks_free(&s);
}

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    if (argc != 3)
        return check_summary();
    script = argv[1];
    dir = argv[2];
    char brokers[256] = "";
    CHECK(broker("start", true, brokers, sizeof brokers) == 0);
    printf("own broker: %s\n", brokers);
    if (brokers[0])
        outage(brokers);
    CHECK(broker("stop", false, NULL, 0) == 0);
    return check_summary();
}
