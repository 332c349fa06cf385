/* kchat-bench: the price of kchat's end-to-end encryption over plain Kafka, measured side by side
 * against one real broker in one run.
 *
 * Method. Every end of every link is a process of its own (this program re-executed as a
 * worker), so each has its own CPU time (getrusage: user + system, all threads, librdkafka's
 * included) and resident set (/proc/self/status VmHWM, reset per phase through clear_refs):
 *   kchat: the real session engine (src/session.h), configured exactly as `kchat listen --echo`
 *     (Bob: invitation secret, trust "anyone holding it", listen state saved after each batch)
 *     and `kchat connect INVITATION` (Alice: XXpsk3, trusting Bob's identifier) configure it,
 *     each with its conversation journal and history (KCHAT_BENCH_NO_STATE=1: none of them).
 *     The worker is the front end: session_post_line() to hand a message over, ui_events popped
 *     from the event queue to see it arrive, receipts given -- what batch mode does, without
 *     printing. It sets
 *     up malloc as kchat's main does (src/memtune.h); plain workers keep glibc's defaults.
 *   plain: the same net/ producer and consumer (identical librdkafka settings: acks=all,
 *     idempotence, linger 0, no Nagle, the same fetch waits), the same two-topic layout; Bob
 *     reads a2b in a consumer group and stores offsets per batch of up to 512 records, like the
 *     session, and produces each record back to b2a (echo) or verifies and counts it.
 * kchat and plain take turns in blocks (K P, P K, ...), so noise on this shared machine hits
 * both alike. Phases:
 *   1. Echo: 100-byte messages Alice -> Bob -> Alice, one at a time, after a warm-up; a round
 *      trip runs from handing the message over (post / produce) to verifying the echo.
 *   2. Idle: all four interactive processes connected and idle; CPU over --idle seconds.
 *   3. Handshake: a fresh client each time (kchat: a new session with its own Kafka clients,
 *      until the peer confirmed it; plain: a new producer and consumer until one echo is back).
 *      For kchat, from the moment Alice sent Noise message 1 (her established event's at_ms
 *      minus its ms; events carry CLOCK_MONOTONIC times, comparable across the workers):
 *      Alice secure (her established event, once she wrote message 3: two flights), both secure
 *      (the long-lived Bob's established event, when message 3 authenticated: three flights,
 *      which through Kafka cannot take less than 1.5 round trips; the handshake target is
 *      judged on it), Alice confirmed (her "confirmed by the peer" state, when Bob's first
 *      sealed frame arrived: four flights). Medians, in ms and in plain's p50 round trip (both
 *      secure also in a fresh plain client's first round trip); connect -> usable for both
 *      (kchat: to Alice secure; plain: to the first echo).
 *   4. Throughput, one direction: N messages of 1 KiB and of 64 KiB handed over as fast as they
 *      are accepted (kchat: session_post_line, which waits while the session's input queue is
 *      full -- its back-pressure; plain: produce, serving delivery reports while librdkafka's
 *      queue is full), timed from the first hand-over to the last
 *      message verified at the receiver (each message once, intact). Turns K P P K .... The sender
 *      then drains (kchat: every message acknowledged end to end; plain: acknowledged by Kafka)
 *      before CPU is read. The records Kafka holds afterwards show retransmissions and acks.
 *      The whole machine's CPU time over the same span (/proc/stat, the broker included) gives
 *      the CPU each message costs end to end, and how busy the machine was (CPU-bound or not).
 *      --window BYTES paces both senders further (at most that much handed over and not yet
 *      delivered: kchat acknowledged end to end, plain acknowledged by Kafka).
 * Targets (kchat vs plain, issue 16): on loopback, echo p50 <= 1.05x; throughput >= 1.00x (1 KiB),
 * >= 0.85x (64 KiB); handshake (both secure) <= 2 plain round trips; the whole machine's CPU per
 * 1 KiB message <= 1.3x; connect -> secure <= 1.1x; idle < 1% of a core; RSS < 32 MiB; nothing
 * lost. Over a wide-area link (--delay-ms): echo p50 <= 1.03x; handshake <= 1.6 plain round trips
 * (three flights: the floor is 1.5); idle, RSS, nothing lost.
 *
 * Wide-area link (--delay-ms MS, delay_proxy.c): a proxy thread of this process sits between every
 * client (kchat's and plain's workers) and the broker and holds each direction's bytes for MS; it
 * rewrites the broker's address in the Metadata, FindCoordinator and DescribeCluster responses to
 * its own, so the clients never bypass it. The bench's own admin calls (topics, end offsets) go
 * to the broker directly. Plain's echo then crosses the link four times (>= 4 x MS); the run
 * fails when its p50 is under 2 x MS (the delay was not applied).
 *
 * Diagnosis switches (environment; see bench/RESULTS.md): KCHAT_BENCH_NO_STATE=1 runs kchat's
 * Bob without a listen state file, KCHAT_BENCH_PLAIN_ACKS=1 makes plain write kchat's record
 * pattern (a standalone ack each way per round trip), KCHAT_BENCH_TRACE=1 prints kchat's events
 * with timestamps, KCHAT_BENCH_PAUSE=S waits S seconds before the echo phase (to attach perf).
 *
 * Usage: kchat-bench [--brokers HOST:PORT] [--json] [--quick] [--strict] [count options]
 * The broker: --brokers, else $KCHAT_TEST_BROKERS, else the file $KCHAT_TEST_BROKERS_FILE names.
 * Exit status: 0; 1 when the run failed or a message was lost or corrupted; 3 with --strict
 * when a target was missed. */
#include "bench/kchat_bench.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kchat-bench [--brokers HOST:PORT] [--json] [--quick] [--strict]\n"
            "                   [--echo N] [--warmup N] [--block N] [--small N] [--large N]\n"
            "                   [--rounds N] [--handshakes N] [--idle SECONDS] [--window BYTES]\n"
            "                   [--delay-ms MS] [--json-out FILE]\n"
            "       kchat-bench --proxy-only HOST:PORT --delay-ms MS   (the delay proxy alone)\n"
            "  --echo N        echo round trips per side (1000; quick 100)\n"
            "  --warmup N      round trips per side before measuring (100; quick 20)\n"
            "  --block N       round trips per turn (50; quick 10)\n"
            "  --small N       1 KiB messages per side (100000; quick 3000)\n"
            "  --large N       64 KiB messages per side (10000; quick 300)\n"
            "  --rounds N      throughput turns, even, <= 32 (8: K P P K K P P K; quick 2)\n"
            "  --handshakes N  fresh connections per side (50; quick 5)\n"
            "  --idle S        idle measurement (10 s; quick 3)\n"
            "  --window BYTES  throughput senders keep at most this much undelivered (0: none)\n"
            "  --delay-ms MS   a wide-area link: MS one way between every client and the\n"
            "                  broker (a delaying proxy in this process; 0: direct)\n"
            "  --json-out FILE also write the JSON object to FILE (with the table on stdout)\n"
            "  --strict        exit 3 when a target is missed\n");
}

static void defaults(bench_opts *o, bool quick)
{
    o->quick = quick;
    o->echo_n = quick ? 100 : 1000;
    o->warmup = quick ? 20 : 100;
    o->block = quick ? 10 : 50;
    o->tput_small = quick ? 3000 : 100000;
    o->tput_large = quick ? 300 : 10000;
    o->rounds = quick ? 2 : 8;
    o->handshakes = quick ? 5 : 50;
    o->idle_s = quick ? 3 : 10;
}

static int count_opt(const char *name, const char *val, bench_opts *o)
{
    static const struct {
        const char *name;
        size_t off;
    } counts[] = {
        {"--echo", offsetof(bench_opts, echo_n)},
        {"--warmup", offsetof(bench_opts, warmup)},
        {"--block", offsetof(bench_opts, block)},
        {"--small", offsetof(bench_opts, tput_small)},
        {"--large", offsetof(bench_opts, tput_large)},
        {"--rounds", offsetof(bench_opts, rounds)},
        {"--handshakes", offsetof(bench_opts, handshakes)},
    };
    char *end;
    if (!strcmp(name, "--window")) {
        o->window = strtoull(val, &end, 10);
        return *end ? -1 : 0;
    }
    if (!strcmp(name, "--delay-ms")) {
        unsigned long v = strtoul(val, &end, 10);
        if (*end || !*val || v > 10000)
            return -1;
        o->delay_ms = (uint32_t)v;
        return 0;
    }
    if (!strcmp(name, "--idle")) {
        o->idle_s = strtod(val, &end);
        return *end || o->idle_s < 0 ? -1 : 0;
    }
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if (strcmp(name, counts[i].name) != 0)
            continue;
        unsigned long v = strtoul(val, &end, 10);
        if (*end || v > 10000000)
            return -1;
        *(uint32_t *)((char *)o + counts[i].off) = (uint32_t)v;
        return 0;
    }
    return -1;
}

static int parse(int argc, char **argv, bench_opts *o)
{
    bool quick = false;
    for (int i = 1; i < argc; i++)
        quick |= !strcmp(argv[i], "--quick");
    defaults(o, quick);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json"))
            o->json = true;
        else if (!strcmp(a, "--strict"))
            o->strict = true;
        else if (!strcmp(a, "--quick"))
            continue;
        else if (!strcmp(a, "--brokers") && i + 1 < argc)
            o->brokers = argv[++i];
        else if (!strcmp(a, "--json-out") && i + 1 < argc)
            o->json_out = argv[++i];
        else if (i + 1 < argc && count_opt(a, argv[i + 1], o) == 0)
            i++;
        else
            return -1;
    }
    if (o->rounds < 2 || o->rounds % 2 || o->rounds > 32 || o->block == 0 || o->block > 2000)
        return -1;
    return 0;
}

static const char *find_brokers(char *buf, size_t cap)
{
    const char *env = getenv("KCHAT_TEST_BROKERS");
    if (env && *env)
        return env;
    const char *path = getenv("KCHAT_TEST_BROKERS_FILE");
    FILE *f = path && *path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    char *line = fgets(buf, (int)cap, f);
    fclose(f);
    if (!line)
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] ? buf : NULL;
}

static void describe_machine(bench_results *r, const char *brokers)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(r->date, sizeof r->date, "%Y-%m-%d %H:%M UTC", &tm);
    snprintf(r->brokers, sizeof r->brokers, "%s", brokers);
    r->load1 = -1;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &r->load1) != 1)
            r->load1 = -1;
        fclose(la);
    }
    r->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(r->machine, sizeof r->machine, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            colon += 1 + strspn(colon + 1, " \t");
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(r->machine, sizeof r->machine, "%s", colon);
            break;
        }
    }
    if (f)
        fclose(f);
}

static bool any_bad(const bench_results *r)
{
    for (int s = 0; s < BENCH_SIDES; s++)
        for (int z = 0; z < BENCH_SIZES; z++)
            if (r->side[s].tput[z].bad)
                return true;
    return false;
}

/* kchat-bench --proxy-only HOST:PORT --delay-ms MS: only the delay proxy, for trying anything
 * (kchat itself, a test) over the wide-area link. Prints the address to use, runs until stdin
 * ends or a signal; then prints its counters on stderr. */
static int proxy_only(int argc, char **argv)
{
    char addr[300], err[512], *end = NULL;
    unsigned long ms = argc == 5 && !strcmp(argv[3], "--delay-ms") ? strtoul(argv[4], &end, 10) : 0;
    if (!end || *end || !*argv[4] || ms > 10000) {
        fprintf(stderr, "usage: kchat-bench --proxy-only HOST:PORT --delay-ms MS\n");
        return 2;
    }
    bench_proxy *px = bench_proxy_start(argv[2], (int)ms, addr, sizeof addr, err, sizeof err);
    if (!px) {
        fprintf(stderr, "kchat-bench: %s\n", err);
        return 1;
    }
    printf("%s\n", addr);
    fflush(stdout);
    char buf[256];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    bench_proxy_counts c;
    bench_proxy_stats(px, &c);
    bench_proxy_stop(px);
    fprintf(stderr, "kchat-bench: proxy: %llu connections, %llu rewrites, %llu bytes\n",
            (unsigned long long)c.connections, (unsigned long long)c.rewrites,
            (unsigned long long)c.bytes);
    return 0;
}

/* With --delay-ms, plain's echo crosses the link four times (Alice -> broker -> Bob -> broker ->
 * Alice): a p50 under two one-way delays means the clients bypassed the proxy. */
static bool delay_seen(const bench_opts *o, const bench_results *r)
{
    const bench_side_result *p = &r->side[BENCH_PLAIN];
    double *v = malloc((p->n_lat ? p->n_lat : 1) * sizeof *v);
    if (!v)
        return false;
    memcpy(v, p->lat_us, p->n_lat * sizeof *v);
    double p50_ms = bench_quantile(v, p->n_lat, 0.5) / 1e3;
    free(v);
    if (p->n_lat && p50_ms >= 2.0 * o->delay_ms)
        return true;
    fprintf(stderr,
            "kchat-bench: plain's echo p50 %.3f ms is under 2 x %u ms: the delay was not "
            "applied\n",
            p50_ms, o->delay_ms);
    return false;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--worker"))
        return bench_worker_main(argc - 2, argv + 2);
    bench_opts o;
    memset(&o, 0, sizeof o);
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "--proxy-only"))
        return proxy_only(argc, argv);
    if (parse(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    char buf[512];
    if (!o.brokers && !(o.brokers = find_brokers(buf, sizeof buf))) {
        fprintf(stderr, "kchat-bench: no broker: use --brokers or set KCHAT_TEST_BROKERS\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    bench_results r;
    memset(&r, 0, sizeof r);
    describe_machine(&r, o.brokers);
    char err[1024] = "";
    if (bench_run(&o, &r, err, sizeof err) != 0) {
        fprintf(stderr, "kchat-bench: %s\n", err[0] ? err : "the run failed");
        bench_results_free(&r);
        return 1;
    }
    int missed = bench_report(&o, &r);
    int code = any_bad(&r) ? 1 : (o.strict && missed ? 3 : 0);
    if (o.delay_ms && !delay_seen(&o, &r))
        code = 1;
    bench_results_free(&r);
    return code;
}
