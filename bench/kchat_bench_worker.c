/* kchat_bench_worker: one worker process. It holds one end of one link (kchat or plain, Alice or
 * Bob) and answers the parent's commands, one line each, on stdin/stdout:
 *   init SECRET|- INVITATION   (kchat: first line)      -> ok
 *   ready                      -> ok                     (Alice: secure / connected)
 *   echo N SIZE ROUND          -> ok LAT_US...
 *   send N SIZE ROUND WINDOW   -> ok T0_NS
 *   expect N SIZE ROUND MS     -> armed, later: ok LAST_NS BAD
 *   drain MS                   -> ok
 *   connect                    -> ok CONNECT_MS INNER_MS CONFIRM_MS START_AT (bench_connect)
 *   secureat AFTER_MS          -> ok AT_MS   (kchat Bob: his first established event after
 *                                             AFTER_MS, CLOCK_MONOTONIC ms; waits up to 15 s)
 *   mode echo|count            -> ok
 *   usage                      -> ok CPU_US HWM_KB RSS_KB
 *   resetpeak                  -> ok 0|-1
 *   quit                       -> ok, then exit
 * Failures answer "err TEXT". Between commands the worker keeps serving its link. */
#include "src/memtune.h"
#include "bench/kchat_bench.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define SECURE_AT_TIMEOUT_MS 15000

typedef struct worker {
    bench_wargs a;
    const bench_side_ops *ops;
    void *side;
    char in[BENCH_LINE_MAX];
    size_t in_len;
    char *out; /* reply being built */
    size_t out_cap;
    bool quit;
} worker;

static int reply(const char *line)
{
    size_t n = strlen(line);
    if (bench_write_all(STDOUT_FILENO, line, n) != 0 || bench_write_all(STDOUT_FILENO, "\n", 1))
        return -1;
    return 0;
}

static int replyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int replyf(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return reply(line);
}

static int reply_err(const char *err)
{
    return replyf("err %s", err[0] ? err : "failed");
}

static int cmd_echo(worker *w, uint32_t n, size_t size, uint32_t round)
{
    char err[512] = "";
    double *lat = calloc(n ? n : 1, sizeof *lat);
    size_t cap = 16 + (size_t)n * 16;
    char *line = malloc(cap);
    if (!lat || !line || size > BENCH_MAX_SIZE) {
        free(lat);
        free(line);
        return reply_err("bad echo request");
    }
    int rc;
    if (w->ops->echo(w->side, n, size, round, lat, err, sizeof err) != 0) {
        rc = reply_err(err);
    } else {
        size_t len = (size_t)snprintf(line, cap, "ok");
        for (uint32_t i = 0; i < n; i++)
            len += (size_t)snprintf(line + len, cap - len, " %.1f", lat[i]);
        rc = reply(line);
    }
    free(lat);
    free(line);
    return rc;
}

static int cmd_expect(worker *w, uint32_t n, size_t size, uint32_t round, int ms)
{
    char err[512] = "";
    if (size > BENCH_MAX_SIZE || reply("armed") != 0)
        return reply_err("bad expect request");
    int64_t last = 0;
    uint32_t bad = 0;
    if (w->ops->expect(w->side, n, size, round, ms, &last, &bad, err, sizeof err) != 0)
        return reply_err(err);
    return replyf("ok %lld %u", (long long)last, bad);
}

static int cmd_send(worker *w, uint32_t n, size_t size, uint32_t round, uint64_t window)
{
    char err[512] = "";
    int64_t t0 = 0;
    if (size > BENCH_MAX_SIZE)
        return reply_err("message too large");
    if (w->ops->send(w->side, n, size, round, window, &t0, err, sizeof err) != 0)
        return reply_err(err);
    return replyf("ok %lld", (long long)t0);
}

static int cmd_simple(worker *w, const char *verb, const char *arg)
{
    char err[512] = "";
    int rc = -1;
    if (!strcmp(verb, "ready")) {
        rc = w->ops->ready(w->side, 60000, err, sizeof err);
    } else if (!strcmp(verb, "drain")) {
        rc = w->ops->drain(w->side, atoi(arg), err, sizeof err);
    } else if (!strcmp(verb, "mode")) {
        rc = w->ops->set_echo(w->side, !strcmp(arg, "echo"), err, sizeof err);
    } else if (!strcmp(verb, "connect")) {
        bench_connect c = {0};
        if (w->ops->connect_once(w->side, &c, err, sizeof err) != 0)
            return reply_err(err);
        return replyf("ok %.3f %.3f %.3f %.3f", c.connect_ms, c.inner_ms, c.confirm_ms, c.start_at);
    } else if (!strcmp(verb, "secureat")) {
        double at = 0;
        if (!w->ops->secure_at)
            return reply_err("secureat: not a kchat Bob");
        if (w->ops->secure_at(w->side, strtod(arg, NULL), SECURE_AT_TIMEOUT_MS, &at, err,
                              sizeof err) != 0)
            return reply_err(err);
        return replyf("ok %.3f", at);
    } else if (!strcmp(verb, "usage")) {
        bench_usage u;
        bench_usage_self(&u);
        return replyf("ok %.0f %ld %ld", u.cpu_us, u.hwm_kb, u.rss_kb);
    } else if (!strcmp(verb, "resetpeak")) {
        return replyf("ok %d", bench_reset_peak());
    } else if (!strcmp(verb, "quit")) {
        w->quit = true; /* answered once the link is closed */
        return 0;
    } else {
        snprintf(err, sizeof err, "unknown command '%s'", verb);
    }
    return rc == 0 ? reply("ok") : reply_err(err);
}

static int command(worker *w, char *line)
{
    char verb[32] = "", arg[64] = "";
    unsigned n = 0, size = 0, round = 0;
    unsigned long long window = 0;
    int ms = 0;
    if (sscanf(line, "%31s %63s", verb, arg) < 1)
        return reply_err("empty command");
    if (!strcmp(verb, "echo") && sscanf(line, "echo %u %u %u", &n, &size, &round) == 3)
        return cmd_echo(w, n, size, round);
    if (!strcmp(verb, "send") &&
        sscanf(line, "send %u %u %u %llu", &n, &size, &round, &window) == 4)
        return cmd_send(w, n, size, round, window);
    if (!strcmp(verb, "expect") && sscanf(line, "expect %u %u %u %d", &n, &size, &round, &ms) == 4)
        return cmd_expect(w, n, size, round, ms);
    return cmd_simple(w, verb, arg);
}

/* Reads what stdin has; runs every complete line. -1 on EOF (the parent is gone). */
static int read_commands(worker *w)
{
    ssize_t r = read(STDIN_FILENO, w->in + w->in_len, sizeof w->in - 1 - w->in_len);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return -1;
    w->in_len += (size_t)r;
    char *nl;
    while (!w->quit && (nl = memchr(w->in, '\n', w->in_len))) {
        *nl = '\0';
        if (command(w, w->in) != 0)
            return -1;
        size_t used = (size_t)(nl + 1 - w->in);
        memmove(w->in, nl + 1, w->in_len - used);
        w->in_len -= used;
    }
    return w->in_len == sizeof w->in - 1 ? -1 : 0;
}

static int loop(worker *w)
{
    char err[512] = "";
    int more = 0;
    while (!w->quit) {
        struct pollfd p[8];
        p[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        int n = 1 + w->ops->fds(w->side, p + 1, 7);
        if (poll(p, (nfds_t)n, more > 0 ? 0 : -1) < 0 && errno != EINTR)
            return -1;
        more = w->ops->serve(w->side, err, sizeof err);
        if (more < 0) {
            fprintf(stderr, "kchat-bench[%s]: %s\n", w->a.name, err);
            err[0] = '\0';
        }
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && read_commands(w) != 0)
            return -1;
    }
    return 0;
}

/* "init SECRET|- INVITATION": the kchat secrets, never on the command line. */
static int read_init(worker *w, char *secret, size_t scap, char *inv, size_t icap)
{
    char line[2048];
    size_t len = 0;
    while (len < sizeof line - 1) {
        ssize_t r = read(STDIN_FILENO, line + len, 1);
        if (r <= 0)
            return -1;
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    char fmt[64];
    snprintf(fmt, sizeof fmt, "init %%%zus %%%zus", scap - 1, icap - 1);
    if (sscanf(line, fmt, secret, inv) != 2)
        return -1;
    w->a.bob_secret_hex = strcmp(secret, "-") ? secret : NULL;
    w->a.invitation = inv;
    return reply("ok");
}

static int parse_args(worker *w, int argc, char **argv)
{
    for (int i = 0; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--kind"))
            w->a.kind = v;
        else if (!strcmp(k, "--name"))
            w->a.name = v;
        else if (!strcmp(k, "--role"))
            w->a.alice = !strcmp(v, "alice");
        else if (!strcmp(k, "--echo"))
            w->a.echo = !strcmp(v, "1");
        else if (!strcmp(k, "--brokers"))
            w->a.brokers = v;
        else if (!strcmp(k, "--a2b"))
            w->a.a2b = v;
        else if (!strcmp(k, "--b2a"))
            w->a.b2a = v;
        else if (!strcmp(k, "--state-dir"))
            w->a.state_dir = v;
        else
            return -1;
    }
    return w->a.kind && w->a.name && w->a.brokers && w->a.a2b && w->a.b2a ? 0 : -1;
}

int bench_worker_main(int argc, char **argv)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* a worker never outlives kchat-bench */
    worker w;
    memset(&w, 0, sizeof w);
    char err[512] = "", secret[128] = "", inv[1100] = "";
    if (parse_args(&w, argc, argv) != 0) {
        fprintf(stderr, "kchat-bench: bad worker arguments\n");
        return 2;
    }
    bool kchat = !strcmp(w.a.kind, "kchat");
    if (kchat)
        memtune_apply(); /* as kchat's main does; plain keeps glibc's defaults (it is faster so) */
    if (kchat && read_init(&w, secret, sizeof secret, inv, sizeof inv) != 0)
        return 1;
    w.side = kchat ? bench_kchat_new(&w.a, &w.ops, err, sizeof err)
                   : bench_plain_new(&w.a, &w.ops, err, sizeof err);
    memset(secret, 0, sizeof secret);
    if (!w.side) {
        fprintf(stderr, "kchat-bench[%s]: %s\n", w.a.name, err);
        reply_err(err);
        return 1;
    }
    int rc = loop(&w);
    w.ops->close(w.side);
    if (w.quit)
        reply("ok");
    return rc == 0 ? 0 : 1;
}
