/* Produce -> consume latency of 100-byte records on the local broker (median of 200, each sent
 * after the previous one arrived), and the client's CPU use while idle. Extra arguments are -X
 * style properties for trying other settings, e.g. fetch.wait.max.ms=10. */
#include "net_util.h"
#include "support/check.h"
#include "support/test_broker.h"
#include "sys/wake.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 200
#define WARMUP 10
#define MEDIAN_LIMIT_US 50000 /* Nagle or a fetch wait in the path would show as >= 40 ms */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Serves producer and consumer until a record arrives (1) or the time is up (0); counts the
 * wake-ups of poll(). */
static int serve(net_producer *p, net_consumer *c, int timeout_ms, int *wakeups)
{
    char err[256];
    net_record rec;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int rc = net_consumer_poll(c, 0, &rec, err, sizeof err);
        if (rc == 1) {
            net_record_release(&rec);
            return 1;
        }
        if (rc < 0) {
            fprintf(stderr, "consume: %s\n", err);
            return 0;
        }
        net_producer_poll(p, 0);
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd[2] = {{.fd = net_consumer_fd(c), .events = POLLIN},
                                {.fd = net_producer_fd(p), .events = POLLIN}};
        if (poll(pfd, 2, (int)left) > 0) {
            (*wakeups)++;
            sys_fd_drain(pfd[0].fd);
            sys_fd_drain(pfd[1].fd);
        }
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t measure(net_producer *p, net_consumer *c, int64_t *lat, int n)
{
    char payload[100], err[256];
    memset(payload, 'x', sizeof payload);
    int wakeups = 0;
    for (int i = 0; i < n; i++) {
        int64_t t0 = now_us();
        if (net_producer_send(p, payload, sizeof payload, (uint64_t)i, err, sizeof err) != 0 ||
            !serve(p, c, 10000, &wakeups))
            return -1;
        lat[i] = now_us() - t0;
    }
    return 0;
}

static void idle_cpu(net_producer *p, net_consumer *c)
{
    int wakeups = 0;
    serve(p, c, 500, &wakeups);
    wakeups = 0;
    double c0 = cpu_s();
    int64_t t0 = now_ms();
    serve(p, c, 5000, &wakeups);
    double secs = (now_ms() - t0) / 1000.0;
    printf("idle: %.2f%% of one core over %.1f s, %d wake-ups\n", 100.0 * (cpu_s() - c0) / secs,
           secs, wakeups);
}

int main(int argc, char **argv)
{
    const char *brokers = test_brokers();
    CHECK(brokers != NULL);
    if (!brokers)
        return check_summary();
    net_config cfg = test_config(brokers, (const char *const *)argv + 1, (size_t)argc - 1, NULL);
    char *topic = test_unique_name("net-latency");
    char err[256] = "";
    CHECK(net_topic_create(&cfg, topic, 10000, err, sizeof err) == 0);
    net_producer *p = net_producer_new(&cfg, topic, NULL, NULL, err, sizeof err);
    net_consumer *c = net_consumer_new(&cfg, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    CHECK(p != NULL && c != NULL);
    if (!p || !c) {
        fprintf(stderr, "%s\n", err);
        return check_summary();
    }
    static int64_t lat[N];
    CHECK(measure(p, c, lat, WARMUP) == 0);
    CHECK(measure(p, c, lat, N) == 0);
    qsort(lat, N, sizeof *lat, cmp_i64);
    printf("latency of %d records of 100 bytes%s%s: median %.2f ms, p90 %.2f ms, min %.2f ms, "
           "max %.2f ms\n",
           N, argc > 1 ? " with " : "", argc > 1 ? argv[1] : "", lat[N / 2] / 1000.0,
           lat[N * 9 / 10] / 1000.0, lat[0] / 1000.0, lat[N - 1] / 1000.0);
    CHECK(lat[N / 2] < MEDIAN_LIMIT_US);
    idle_cpu(p, c);
    net_producer_free(p);
    net_consumer_close(c);
    CHECK(net_topic_delete(&cfg, topic, 10000, err, sizeof err) == 0);
    free(topic);
    return check_summary();
}
