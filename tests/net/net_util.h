/* net_util: helpers for the net/ tests: line sinks for the log and error callbacks, a delivery
 * recorder, and blocking produce/consume built on the wake-up fds. */
#ifndef KCHAT_TESTS_NET_UTIL_H
#define KCHAT_TESTS_NET_UTIL_H

#include "net/admin.h"
#include "net/consumer.h"
#include "net/net_config.h"
#include "net/producer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct line_sink {
    pthread_mutex_t mu;
    char **lines;
    int *levels;
    size_t n, cap;
    bool echo; /* also print each line (KCHAT_TEST_VERBOSE) */
} line_sink;

typedef struct test_sinks {
    line_sink log, errors;
} test_sinks;

void sinks_init(test_sinks *s);
void sinks_free(test_sinks *s);
/* Index of the first line containing needle at or after from, -1 if none. */
long sink_find(line_sink *s, const char *needle, size_t from);
size_t sink_count(line_sink *s);
void sink_print(line_sink *s, const char *title);

/* A config that sends logs and errors to s (s may be NULL). */
net_config test_config(const char *brokers, const char *const *props, size_t nprops, test_sinks *s);

#define MAX_DELIVERIES 512
typedef struct deliveries {
    size_t n;
    uint64_t token[MAX_DELIVERIES];
    int64_t offset[MAX_DELIVERIES];
    char err[MAX_DELIVERIES][128];
} deliveries;

void on_delivery_record(void *ctx, uint64_t token, int64_t offset, const char *err);

/* Sends one record and serves the producer until its delivery report arrives: the offset, or
 * -1 on error or timeout. */
int64_t produce_sync(net_producer *p, deliveries *d, const void *buf, size_t len, uint64_t token,
                     int timeout_ms);

/* Waits on net_consumer_fd (never busy-polls) until a record arrives: 1, 0 on timeout, -1. */
int consume_wait(net_consumer *c, net_record *rec, int timeout_ms, char *err, size_t errlen);

int64_t now_ms(void);
void fill_random(uint8_t *buf, size_t len);

#endif
