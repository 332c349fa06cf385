/* kchat_bench_util: clocks, per-process resource usage from getrusage and /proc, quantiles, and
 * the verifiable message contents both sides send. */
#include "bench/kchat_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define HEADER_LEN 20 /* "R%04u I%010u|" + pad, see bench_fill */
#define ALPHABET 26

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double bench_ms_between(int64_t from_ns, int64_t to_ns)
{
    return (double)(to_ns - from_ns) / 1e6;
}

static long status_kb(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

void bench_usage_self(bench_usage *u)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    u->cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
                (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
    u->hwm_kb = u->rss_kb = -1;
    char text[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return;
    text[n] = '\0';
    u->hwm_kb = status_kb(text, "VmHWM:");
    u->rss_kb = status_kb(text, "VmRSS:");
}

int bench_machine_cpu(double *busy_us, double *total_us)
{
    char text[512];
    int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    unsigned long long v[8] = {0}; /* user nice system idle iowait irq softirq steal */
    if (sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) < 4)
        return -1;
    double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK), total = 0;
    for (int i = 0; i < 8; i++)
        total += (double)v[i];
    *total_us = total * tick_us;
    *busy_us = (total - (double)v[3] - (double)v[4]) * tick_us;
    return 0;
}

int bench_reset_peak(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = write(fd, "5", 1) == 1 ? 0 : -1;
    close(fd);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t rank = (size_t)(q * (double)n + 0.999999); /* nearest rank, 1-based */
    if (rank < 1)
        rank = 1;
    return v[(rank > n ? n : rank) - 1];
}

/* The pattern after the header: letters running on from an offset that depends on idx. */
static uint8_t pattern_at(uint32_t idx, size_t j)
{
    return (uint8_t)('a' + ((size_t)idx * 7u + j) % ALPHABET);
}

void bench_fill(uint8_t *buf, size_t len, uint32_t round, uint32_t idx)
{
    char head[32]; /* "R" 4 digits " I" 10 digits "|" 2 spaces: HEADER_LEN */
    snprintf(head, sizeof head, "R%04u I%010u|  ", round % 10000u, idx);
    size_t h = len < HEADER_LEN ? len : HEADER_LEN;
    memcpy(buf, head, h);
    if (len <= HEADER_LEN)
        return;
    uint8_t *p = buf + HEADER_LEN;
    size_t rest = len - HEADER_LEN, done = rest < ALPHABET ? rest : ALPHABET;
    for (size_t j = 0; j < done; j++)
        p[j] = pattern_at(idx, HEADER_LEN + j);
    while (done < rest) { /* the pattern repeats every ALPHABET bytes: double it */
        size_t n = done < rest - done ? done : rest - done;
        memcpy(p + done, p, n);
        done += n;
    }
}

static bool parse_header(const uint8_t *buf, size_t len, uint32_t *round, uint32_t *idx)
{
    char head[HEADER_LEN + 1];
    size_t n = len < HEADER_LEN ? len : HEADER_LEN;
    memcpy(head, buf, n);
    head[n] = '\0';
    unsigned r = 0, i = 0;
    if (sscanf(head, "R%4u I%10u|", &r, &i) != 2)
        return false;
    *round = r;
    *idx = i;
    return true;
}

bool bench_check(const uint8_t *buf, size_t len, size_t want, uint32_t round, uint32_t *idx)
{
    uint32_t r = 0, i = 0;
    if (len != want || !parse_header(buf, len, &r, &i) || r != round % 10000u)
        return false;
    uint8_t expect[HEADER_LEN];
    bench_fill(expect, len < HEADER_LEN ? len : HEADER_LEN, round, i);
    if (memcmp(buf, expect, len < HEADER_LEN ? len : HEADER_LEN) != 0)
        return false;
    size_t first = len < HEADER_LEN + ALPHABET ? len : HEADER_LEN + ALPHABET;
    for (size_t j = HEADER_LEN; j < first; j++)
        if (buf[j] != pattern_at(i, j))
            return false;
    /* the rest repeats the first period */
    if (len > first && memcmp(buf + first, buf + HEADER_LEN, len - first) != 0)
        return false;
    *idx = i;
    return true;
}

int bench_tally_init(bench_tally *t, uint32_t n, size_t size, uint32_t round)
{
    memset(t, 0, sizeof *t);
    t->seen = calloc(n / 8 + 1, 1);
    t->n = n;
    t->size = size;
    t->round = round;
    return t->seen ? 0 : -1;
}

void bench_tally_add(bench_tally *t, const uint8_t *buf, size_t len)
{
    uint32_t idx = 0;
    if (!bench_check(buf, len, t->size, t->round, &idx) || idx >= t->n ||
        (t->seen[idx / 8] & (1u << (idx % 8)))) {
        t->bad++;
        return;
    }
    t->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
    if (++t->got == t->n)
        t->last_ns = bench_now_ns();
}

void bench_tally_free(bench_tally *t)
{
    free(t->seen);
    t->seen = NULL;
}

int bench_write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int bench_unhex(const char *hex, uint8_t *out, size_t len)
{
    if (strlen(hex) != 2 * len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
