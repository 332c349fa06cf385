/* crypto_bench: times the secure channel in memory: a full XXpsk3 handshake (both sides) and
 * sealing / opening a 100-byte and a maximal (~64 KiB) record. Prints the median and 90th
 * percentile of many runs as a table, or as JSON with --json. */
#include "crypto/channel.h"
#include "crypto/identity.h"
#include "crypto/trust.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct result {
    const char *name;
    size_t runs;
    size_t bytes; /* record body size, 0 for the handshake */
    double median_ns, p90_ns;
} result;

typedef struct bench {
    identity *alice, *bob;
    trust_policy *anyone;
    uint8_t psk[32];
    uint8_t msg[CHANNEL_MAX_FRAME], payload[NOISE_MAX_MSG];
} bench;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summarize(result *r, double *samples, size_t n)
{
    qsort(samples, n, sizeof(*samples), cmp_double);
    r->runs = n;
    r->median_ns = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    r->p90_ns = samples[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
}

static void die(const char *what)
{
    fprintf(stderr, "crypto_bench: %s\n", what);
    exit(1);
}

static channel *new_side(bench *b, bool initiator, const uint8_t *session)
{
    int err = 0;
    channel_params p = {.initiator = initiator,
                        .pattern = NOISE_XXPSK3,
                        .static_priv = identity_secret(initiator ? b->alice : b->bob),
                        .psk = b->psk,
                        .a2b = "kchat.bench.a2b",
                        .b2a = "kchat.bench.b2a",
                        .trust = b->anyone};
    channel *c = channel_new(&p, session, &err);
    if (c == NULL)
        die(channel_strerror(err));
    return c;
}

static void hop(bench *b, channel *from, channel **to)
{
    size_t len = 0, plen = 0;
    if (channel_hs_write(from, NULL, 0, b->msg, sizeof(b->msg), &len) != CHANNEL_OK)
        die("handshake write failed");
    if (*to == NULL)
        *to = new_side(b, false, channel_session(from));
    if (channel_hs_read(*to, b->msg, len, b->payload, sizeof(b->payload), &plen) != CHANNEL_OK)
        die("handshake read failed");
}

/* A full handshake; returns its duration, leaves the established pair in *a, *z. */
static double handshake(bench *b, channel **a, channel **z)
{
    double t0 = now_ns();
    *a = new_side(b, true, NULL);
    *z = NULL;
    hop(b, *a, z);
    hop(b, *z, a);
    hop(b, *a, z);
    double t1 = now_ns();
    if (!channel_established(*a) || !channel_established(*z))
        die("handshake did not complete");
    return t1 - t0;
}

static void bench_handshake(bench *b, size_t n, result *r)
{
    double *t = malloc(n * sizeof(*t));
    for (size_t i = 0; i < n; i++) {
        channel *a, *z;
        t[i] = handshake(b, &a, &z);
        channel_free(a);
        channel_free(z);
    }
    r->name = "handshake XXpsk3 (both sides)";
    r->bytes = 0;
    summarize(r, t, n);
    free(t);
}

/* Seals then opens n records of size bytes; seal and open are timed separately. */
static void bench_records(bench *b, size_t n, size_t size, result *seal, result *open)
{
    static uint8_t body[CHANNEL_MAX_BODY], out[CHANNEL_MAX_FRAME];
    channel *a, *z;
    double *ts = malloc(n * sizeof(*ts)), *to = malloc(n * sizeof(*to));
    randombytes_buf(body, size);
    handshake(b, &a, &z);
    for (size_t i = 0; i < n; i++) {
        channel_record r = {
            .kind = RECORD_MSG, .seq = i + 1, .frag_count = 1, .body = body, .body_len = size};
        channel_record got;
        size_t len = 0;
        double t0 = now_ns();
        int rc = channel_seal(a, &r, b->msg, sizeof(b->msg), &len);
        double t1 = now_ns();
        rc |= channel_open(z, b->msg, len, &got, out, sizeof(out), NULL);
        double t2 = now_ns();
        if (rc != CHANNEL_OK || got.body_len != size)
            die("seal/open failed");
        ts[i] = t1 - t0;
        to[i] = t2 - t1;
    }
    seal->name = "seal";
    open->name = "open";
    seal->bytes = open->bytes = size;
    summarize(seal, ts, n);
    summarize(open, to, n);
    free(ts);
    free(to);
    channel_free(a);
    channel_free(z);
}

static double mib_per_s(const result *r)
{
    return r->bytes ? (double)r->bytes / (r->median_ns / 1e9) / (1024.0 * 1024.0) : 0;
}

static void print_table(const result *r, size_t n)
{
    printf("%-32s %8s %12s %12s %12s\n", "operation", "runs", "median us", "p90 us", "MiB/s");
    for (size_t i = 0; i < n; i++) {
        char name[64];
        if (r[i].bytes)
            snprintf(name, sizeof(name), "%s %zu B", r[i].name, r[i].bytes);
        else
            snprintf(name, sizeof(name), "%s", r[i].name);
        printf("%-32s %8zu %12.2f %12.2f", name, r[i].runs, r[i].median_ns / 1e3,
               r[i].p90_ns / 1e3);
        if (r[i].bytes)
            printf(" %12.1f", mib_per_s(&r[i]));
        printf("\n");
    }
}

static void print_json(const result *r, size_t n)
{
    printf("{\"suite\": \"%s\", \"results\": [\n", noise_protocol_name(NOISE_XXPSK3));
    for (size_t i = 0; i < n; i++)
        printf("  {\"op\": \"%s\", \"bytes\": %zu, \"runs\": %zu, \"median_ns\": %.0f, "
               "\"p90_ns\": %.0f, \"mib_per_s\": %.1f}%s\n",
               r[i].name, r[i].bytes, r[i].runs, r[i].median_ns, r[i].p90_ns, mib_per_s(&r[i]),
               i + 1 < n ? "," : "");
    printf("]}\n");
}

static size_t count_arg(const char *s)
{
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end != '\0' || v == 0)
        die("counts must be positive integers");
    return (size_t)v;
}

int main(int argc, char **argv)
{
    size_t handshakes = 1000, small = 100000, large = 2000;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--handshakes") == 0 && i + 1 < argc)
            handshakes = count_arg(argv[++i]);
        else if (strcmp(argv[i], "--small") == 0 && i + 1 < argc)
            small = count_arg(argv[++i]);
        else if (strcmp(argv[i], "--large") == 0 && i + 1 < argc)
            large = count_arg(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--handshakes N] [--small N] [--large N] [--json]\n",
                    argv[0]);
            return 2;
        }
    }
    if (sodium_init() < 0)
        die("libsodium failed to initialize");
    static bench b;
    b.alice = identity_generate();
    b.bob = identity_generate();
    b.anyone = trust_policy_anyone();
    if (b.alice == NULL || b.bob == NULL || b.anyone == NULL)
        die("setup failed");
    randombytes_buf(b.psk, sizeof(b.psk));

    /* 100 B, 1 KiB and 64 KiB are the sizes kchat-bench sends */
    result r[9];
    bench_handshake(&b, handshakes, &r[0]);
    bench_records(&b, small, 100, &r[1], &r[2]);
    bench_records(&b, small, 1024, &r[3], &r[4]);
    bench_records(&b, large, 65536, &r[5], &r[6]);
    bench_records(&b, large / 4 ? large / 4 : 1, CHANNEL_MAX_BODY, &r[7], &r[8]);
    if (json)
        print_json(r, 9);
    else
        print_table(r, 9);
    identity_free(b.alice);
    identity_free(b.bob);
    trust_policy_free(b.anyone);
    return 0;
}
