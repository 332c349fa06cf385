#include "net_util.h"
#include "sys/wake.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sink_init(line_sink *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    const char *v = getenv("KCHAT_TEST_VERBOSE");
    s->echo = v && *v;
}

static void sink_free(line_sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s->levels);
    pthread_mutex_destroy(&s->mu);
}

void sinks_init(test_sinks *s)
{
    sink_init(&s->log);
    sink_init(&s->errors);
}

void sinks_free(test_sinks *s)
{
    sink_free(&s->log);
    sink_free(&s->errors);
}

static void sink_add(void *ctx, int level, const char *line)
{
    line_sink *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->lines = realloc(s->lines, s->cap * sizeof *s->lines);
        s->levels = realloc(s->levels, s->cap * sizeof *s->levels);
        if (!s->lines || !s->levels)
            abort();
    }
    s->lines[s->n] = strdup(line);
    s->levels[s->n] = level;
    s->n++;
    if (s->echo)
        printf("  [%d] %s\n", level, line);
    pthread_mutex_unlock(&s->mu);
}

static void log_fn(void *ctx, int level, const char *line)
{
    sink_add(&((test_sinks *)ctx)->log, level, line);
}

static void error_fn(void *ctx, int level, const char *line)
{
    sink_add(&((test_sinks *)ctx)->errors, level, line);
}

long sink_find(line_sink *s, const char *needle, size_t from)
{
    long found = -1;
    pthread_mutex_lock(&s->mu);
    for (size_t i = from; i < s->n && found < 0; i++) {
        if (strstr(s->lines[i], needle))
            found = (long)i;
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

size_t sink_count(line_sink *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void sink_print(line_sink *s, const char *title)
{
    pthread_mutex_lock(&s->mu);
    printf("%s (%zu lines):\n", title, s->n);
    for (size_t i = 0; i < s->n; i++)
        printf("  [%d] %s\n", s->levels[i], s->lines[i]);
    pthread_mutex_unlock(&s->mu);
}

net_config test_config(const char *brokers, const char *const *props, size_t nprops, test_sinks *s)
{
    net_config cfg = {
        .brokers = brokers,
        .props = props,
        .nprops = nprops,
        .log = s ? log_fn : NULL,
        .on_error = s ? error_fn : NULL,
        .log_ctx = s,
    };
    return cfg;
}

void on_delivery_record(void *ctx, uint64_t token, int64_t offset, const char *err)
{
    deliveries *d = ctx;
    if (d->n >= MAX_DELIVERIES)
        return;
    d->token[d->n] = token;
    d->offset[d->n] = offset;
    snprintf(d->err[d->n], sizeof d->err[d->n], "%s", err ? err : "");
    d->n++;
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, int64_t deadline)
{
    int64_t left = deadline - now_ms();
    if (left < 0)
        left = 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, (int)left);
}

int64_t produce_sync(net_producer *p, deliveries *d, const void *buf, size_t len, uint64_t token,
                     int timeout_ms)
{
    char err[256];
    size_t before = d->n;
    if (net_producer_send(p, buf, len, token, err, sizeof err) != 0) {
        fprintf(stderr, "send: %s\n", err);
        return -1;
    }
    int64_t deadline = now_ms() + timeout_ms;
    while (d->n == before && now_ms() < deadline) {
        if (wait_fd(net_producer_fd(p), deadline) > 0)
            sys_fd_drain(net_producer_fd(p));
        net_producer_poll(p, 0);
    }
    if (d->n == before)
        return -1;
    if (d->err[before][0])
        fprintf(stderr, "delivery: %s\n", d->err[before]);
    return d->token[before] == token ? d->offset[before] : -1;
}

int consume_wait(net_consumer *c, net_record *rec, int timeout_ms, char *err, size_t errlen)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int rc = net_consumer_poll(c, 0, rec, err, errlen);
        if (rc != 0)
            return rc;
        if (now_ms() >= deadline)
            return 0;
        if (wait_fd(net_consumer_fd(c), deadline) > 0)
            sys_fd_drain(net_consumer_fd(c));
    }
}

void fill_random(uint8_t *buf, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(buf, 1, len, f) != len)
        abort();
    fclose(f);
}
