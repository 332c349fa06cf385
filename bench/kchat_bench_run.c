/* kchat_bench_run: the measurement, phase by phase (the method is described at the top of
 * kchat_bench.c). kchat and plain run side by side against the same broker and take turns in
 * blocks (ABBA order), so that whatever else the machine does hits both alike. */
#include "bench/kchat_bench.h"
#include "crypto/identity.h"
#include "crypto/invitation.h"
#include "net/admin.h"
#include "net/consumer.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ECHO_SIZE 100
#define TOPIC_TIMEOUT_MS 30000
#define READY_TIMEOUT_MS 90000

enum { PAIR_ECHO = 0, PAIR_TPUT = 1, PAIR_PLAIN = 2, PAIRS = 3 };

typedef struct run {
    const bench_opts *o;
    bench_results *r;
    net_config net;
    char topic[PAIRS][2][96]; /* [pair][0: a2b, 1: b2a] */
    bool created[PAIRS][2];
    char invitation[2][INVITATION_MAX_LEN + 1]; /* kchat pairs */
    char bob_secret[2][65];
    char state_dir[64];
    const char *client_brokers; /* the workers' bootstrap: the delay proxy, or the broker */
    bench_proxy *proxy;
    bench_proc ka1, kb1, ka2, kb2, pa, pb;
    uint32_t round;
    char *err;
    size_t errlen;
} run;

/* ---- set-up ---- */

static int make_topics(run *R)
{
    uint8_t rnd[6];
    char hex[13];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    static const char *const pair_names[PAIRS] = {"echo", "tput", "plain"};
    for (int p = 0; p < PAIRS; p++) {
        for (int d = 0; d < 2; d++) {
            snprintf(R->topic[p][d], sizeof R->topic[p][d], "kchat-bench-%s-%s-%s", hex,
                     pair_names[p], d ? "b2a" : "a2b");
            if (net_topic_create(&R->net, R->topic[p][d], TOPIC_TIMEOUT_MS, R->err, R->errlen))
                return -1;
            R->created[p][d] = true;
        }
    }
    return 0;
}

/* Bob's identity and the invitation for one kchat pair, as `kchat listen` makes them. */
static int make_invitation(run *R, int pair)
{
    identity *bob = identity_generate();
    invitation *inv = bob ? invitation_new(R->topic[pair][0], R->topic[pair][1], identity_id(bob),
                                           R->err, R->errlen)
                          : NULL;
    int rc = -1;
    if (inv && invitation_format(inv, R->invitation[pair], sizeof R->invitation[pair]) > 0) {
        sodium_bin2hex(R->bob_secret[pair], sizeof R->bob_secret[pair], identity_secret(bob), 32);
        rc = 0;
    }
    invitation_free(inv);
    identity_free(bob);
    return rc;
}

static int start_worker(run *R, bench_proc *p, const char *name, bool kchat, int pair, bool alice,
                        bool echo)
{
    const char *args[] = {"--kind",    kchat ? "kchat" : "plain", "--name",      name,
                          "--role",    alice ? "alice" : "bob",   "--echo",      echo ? "1" : "0",
                          "--brokers", R->client_brokers,         "--a2b",       R->topic[pair][0],
                          "--b2a",     R->topic[pair][1],         "--state-dir", R->state_dir,
                          NULL};
    char line[2048];
    if (bench_proc_start(p, name, args, R->err, R->errlen) != 0)
        return -1;
    if (kchat) {
        char init[1200];
        snprintf(init, sizeof init, "init %s %s", alice ? "-" : R->bob_secret[pair],
                 R->invitation[pair]);
        int rc = bench_proc_cmd(p, init, READY_TIMEOUT_MS, line, sizeof line, R->err, R->errlen);
        sodium_memzero(init, sizeof init);
        if (rc != 0)
            return -1;
    }
    return bench_proc_cmd(p, "ready", READY_TIMEOUT_MS, line, sizeof line, R->err, R->errlen);
}

static int64_t end_offset(run *R, const char *topic)
{
    char err[256];
    net_consumer *c = net_consumer_new(&R->net, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    int64_t off = c ? net_consumer_end_offset(c, 10000) : -1;
    if (c)
        net_consumer_close(c);
    return off;
}

static int usage2(run *R, bench_proc *a, bench_proc *b, bench_usage *ua, bench_usage *ub)
{
    return bench_proc_usage(a, ua, R->err, R->errlen) || bench_proc_usage(b, ub, R->err, R->errlen)
               ? -1
               : 0;
}

/* The ends of a kchat pair's topics (a2b, b2a) and of the plain ones: Kafka's record counts. */
static int pair_offsets(run *R, int kpair, int64_t off[4])
{
    const char *t[4] = {R->topic[kpair][0], R->topic[kpair][1], R->topic[PAIR_PLAIN][0],
                        R->topic[PAIR_PLAIN][1]};
    for (int i = 0; i < 4; i++) {
        off[i] = end_offset(R, t[i]);
        if (off[i] < 0) {
            snprintf(R->err, R->errlen, "cannot read the end of topic %s", t[i]);
            return -1;
        }
    }
    return 0;
}

/* ---- echo ---- */

static int parse_lat(const char *line, double *out, uint32_t n)
{
    const char *p = line + 2; /* "ok" */
    for (uint32_t i = 0; i < n; i++) {
        char *end;
        out[i] = strtod(p, &end);
        if (end == p)
            return -1;
        p = end;
    }
    return 0;
}

static int echo_block(run *R, int side, uint32_t n, bool measure)
{
    bool k = side == BENCH_KCHAT;
    bench_proc *alice = k ? &R->ka1 : &R->pa, *bob = k ? &R->kb1 : &R->pb;
    bench_side_result *s = &R->r->side[side];
    bench_usage a0, b0, a1, b1;
    char cmd[128], *line = malloc(BENCH_LINE_MAX);
    double *lat = calloc(n, sizeof *lat);
    int rc = -1;
    snprintf(cmd, sizeof cmd, "echo %u %u %u", n, ECHO_SIZE, ++R->round);
    if (line && lat && (!measure || usage2(R, alice, bob, &a0, &b0) == 0) &&
        bench_proc_cmd(alice, cmd, 30000 + (int)n * 10000, line, BENCH_LINE_MAX, R->err,
                       R->errlen) == 0 &&
        (!measure || usage2(R, alice, bob, &a1, &b1) == 0)) {
        rc = parse_lat(line, lat, n);
        if (rc != 0)
            snprintf(R->err, R->errlen, "%s: bad echo answer", alice->name);
    }
    if (rc == 0)
        s->echo_total += n;
    if (rc == 0 && measure) {
        memcpy(s->lat_us + s->n_lat, lat, n * sizeof *lat);
        s->n_lat += n;
        s->echo_cpu_alice_us += a1.cpu_us - a0.cpu_us;
        s->echo_cpu_bob_us += b1.cpu_us - b0.cpu_us;
    }
    free(line);
    free(lat);
    return rc;
}

static int echo_blocks(run *R)
{
    const bench_opts *o = R->o;
    for (int side = 0; side < BENCH_SIDES; side++) {
        R->r->side[side].lat_us = calloc(o->echo_n ? o->echo_n : 1, sizeof(double));
        if (!R->r->side[side].lat_us)
            return -1;
    }
    if (o->warmup && (echo_block(R, BENCH_KCHAT, o->warmup, false) != 0 ||
                      echo_block(R, BENCH_PLAIN, o->warmup, false) != 0))
        return -1;
    uint32_t done = 0;
    for (uint32_t b = 0; done < o->echo_n; b++) {
        uint32_t n = o->echo_n - done < o->block ? o->echo_n - done : o->block;
        int first = b % 2 ? BENCH_PLAIN : BENCH_KCHAT; /* K P, P K, K P, ... */
        if (echo_block(R, first, n, true) != 0 || echo_block(R, 1 - first, n, true) != 0)
            return -1;
        done += n;
    }
    return 0;
}

static int phase_echo(run *R)
{
    int64_t off0[4], off1[4];
    if (pair_offsets(R, PAIR_ECHO, off0) != 0 || echo_blocks(R) != 0 ||
        pair_offsets(R, PAIR_ECHO, off1) != 0)
        return -1;
    for (int side = 0; side < BENCH_SIDES; side++) {
        R->r->side[side].echo_records_a2b = (uint64_t)(off1[2 * side] - off0[2 * side]);
        R->r->side[side].echo_records_b2a = (uint64_t)(off1[2 * side + 1] - off0[2 * side + 1]);
    }
    return 0;
}

/* ---- idle ---- */

static int phase_idle(run *R)
{
    bench_proc *ps[4] = {&R->ka1, &R->kb1, &R->pa, &R->pb};
    bench_usage u0[4], u1[4];
    for (int i = 0; i < 4; i++)
        if (bench_proc_usage(ps[i], &u0[i], R->err, R->errlen) != 0)
            return -1;
    int64_t t0 = bench_now_ns();
    struct timespec ts = {.tv_sec = (time_t)R->o->idle_s,
                          .tv_nsec = (long)((R->o->idle_s - (double)(time_t)R->o->idle_s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
    double wall = bench_ms_between(t0, bench_now_ns()) / 1000.0;
    for (int i = 0; i < 4; i++)
        if (bench_proc_usage(ps[i], &u1[i], R->err, R->errlen) != 0)
            return -1;
    for (int side = 0; side < BENCH_SIDES; side++) {
        bench_side_result *s = &R->r->side[side];
        s->idle_cpu_alice_us = u1[2 * side].cpu_us - u0[2 * side].cpu_us;
        s->idle_cpu_bob_us = u1[2 * side + 1].cpu_us - u0[2 * side + 1].cpu_us;
        s->idle_wall_s = wall;
        s->rss_alice_kb = u0[2 * side].rss_kb;
        s->rss_bob_kb = u0[2 * side + 1].rss_kb;
    }
    return 0;
}

/* ---- handshake ---- */

/* kchat: when the long-lived Bob became secure with the client whose message 1 went out at
 * start_at (both CLOCK_MONOTONIC ms, comparable across the workers on this machine). */
static int bob_secure_at(run *R, double start_at, double *at)
{
    char cmd[64], line[128];
    snprintf(cmd, sizeof cmd, "secureat %.3f", start_at);
    if (bench_proc_cmd(&R->kb1, cmd, 30000, line, sizeof line, R->err, R->errlen) != 0)
        return -1;
    if (sscanf(line, "ok %lf", at) != 1) {
        snprintf(R->err, R->errlen, "%s: bad secureat answer '%s'", R->kb1.name, line);
        return -1;
    }
    return 0;
}

static int connect_once(run *R, int side, uint32_t i)
{
    bool k = side == BENCH_KCHAT;
    bench_proc *p = k ? &R->ka1 : &R->pa;
    bench_side_result *s = &R->r->side[side];
    char line[256];
    double start_at = 0, bob_at = 0;
    if (bench_proc_cmd(p, "connect", 90000, line, sizeof line, R->err, R->errlen) != 0)
        return -1;
    if (sscanf(line, "ok %lf %lf %lf %lf", &s->connect_ms[i], &s->inner_ms[i], &s->confirm_ms[i],
               &start_at) != 4) {
        snprintf(R->err, R->errlen, "%s: bad connect answer '%s'", p->name, line);
        return -1;
    }
    if (k && bob_secure_at(R, start_at, &bob_at) != 0)
        return -1;
    s->both_ms[i] = k ? bob_at - start_at : 0;
    s->n_connect = i + 1;
    return 0;
}

static int phase_handshake(run *R)
{
    uint32_t n = R->o->handshakes;
    for (int side = 0; side < BENCH_SIDES; side++) {
        bench_side_result *s = &R->r->side[side];
        s->connect_ms = calloc(n ? n : 1, sizeof(double));
        s->inner_ms = calloc(n ? n : 1, sizeof(double));
        s->both_ms = calloc(n ? n : 1, sizeof(double));
        s->confirm_ms = calloc(n ? n : 1, sizeof(double));
        if (!s->connect_ms || !s->inner_ms || !s->both_ms || !s->confirm_ms)
            return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        int first = i % 2 ? BENCH_PLAIN : BENCH_KCHAT;
        if (connect_once(R, first, i) != 0 || connect_once(R, 1 - first, i) != 0)
            return -1;
    }
    /* peak RSS of the interactive processes: echo, idle and handshakes */
    bench_usage u[4];
    bench_proc *ps[4] = {&R->ka1, &R->kb1, &R->pa, &R->pb};
    for (int i = 0; i < 4; i++)
        if (bench_proc_usage(ps[i], &u[i], R->err, R->errlen) != 0)
            return -1;
    for (int side = 0; side < BENCH_SIDES; side++) {
        R->r->side[side].maxrss_alice_kb = u[2 * side].hwm_kb;
        R->r->side[side].maxrss_bob_kb = u[2 * side + 1].hwm_kb;
    }
    return 0;
}

/* ---- throughput ---- */

static int tput_round(run *R, int side, int size_i, uint32_t n, bool measure)
{
    bool k = side == BENCH_KCHAT;
    bench_proc *tx = k ? &R->ka2 : &R->pa, *rx = k ? &R->kb2 : &R->pb;
    bench_tput *t = &R->r->side[side].tput[size_i];
    bench_usage a0, b0, a1, b1;
    char cmd[128], armed[64], sent[128], got[128], drained[64];
    long long t0 = 0, last = 0;
    unsigned bad = 0;
    int ms = 30000 + (int)((double)n * (double)t->size / 1e6 * 1000.0); /* >= 1 MB/s */
    uint32_t round = ++R->round;
    double busy0 = 0, total0 = 0, busy1 = 0, total1 = 0;
    if (measure && usage2(R, tx, rx, &a0, &b0) != 0)
        return -1;
    bool machine = measure && bench_machine_cpu(&busy0, &total0) == 0;
    snprintf(cmd, sizeof cmd, "expect %u %zu %u %d", n, t->size, round, ms);
    if (bench_proc_cmd(rx, cmd, 10000, armed, sizeof armed, R->err, R->errlen) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "send %u %zu %u %llu", n, t->size, round,
             (unsigned long long)R->o->window);
    if (bench_proc_cmd(tx, cmd, ms, sent, sizeof sent, R->err, R->errlen) != 0 ||
        bench_proc_reply(rx, ms + 10000, got, sizeof got, R->err, R->errlen) != 0 ||
        bench_proc_cmd(tx, "drain 120000", 130000, drained, sizeof drained, R->err, R->errlen) != 0)
        return -1;
    t->sent_total += n;
    if (sscanf(sent, "ok %lld", &t0) != 1 || sscanf(got, "ok %lld %u", &last, &bad) != 2) {
        snprintf(R->err, R->errlen, "bad throughput answers '%s' / '%s'", sent, got);
        return -1;
    }
    t->bad += bad;
    if (!measure)
        return 0;
    if (usage2(R, tx, rx, &a1, &b1) != 0)
        return -1;
    if (machine && bench_machine_cpu(&busy1, &total1) == 0) {
        t->machine_busy_us += busy1 - busy0;
        t->machine_total_us += total1 - total0;
    }
    double secs = (double)(last - t0) / 1e9;
    t->msgs += n;
    t->secs += secs;
    t->cpu_send_us += a1.cpu_us - a0.cpu_us;
    t->cpu_recv_us += b1.cpu_us - b0.cpu_us;
    if (t->nrounds < sizeof t->round_rate / sizeof t->round_rate[0])
        t->round_rate[t->nrounds++] = secs > 0 ? n / secs : 0;
    return 0;
}

static int tput_size(run *R, int size_i, uint32_t total)
{
    const bench_opts *o = R->o;
    bench_proc *ps[4] = {&R->ka2, &R->kb2, &R->pa, &R->pb};
    int64_t off0[4], off1[4];
    char line[64];
    for (int i = 0; i < 4; i++)
        if (bench_proc_cmd(ps[i], "resetpeak", 10000, line, sizeof line, R->err, R->errlen))
            return -1;
    if (pair_offsets(R, PAIR_TPUT, off0) != 0)
        return -1;
    uint32_t warm = total / 20 ? total / 20 : 1;
    if (tput_round(R, BENCH_KCHAT, size_i, warm, false) != 0 ||
        tput_round(R, BENCH_PLAIN, size_i, warm, false) != 0)
        return -1;
    uint32_t per = (uint32_t)((uint64_t)total * 2 / o->rounds);
    for (uint32_t i = 0; i < o->rounds; i++) {
        int side = i % 4 == 0 || i % 4 == 3 ? BENCH_KCHAT : BENCH_PLAIN; /* K P P K */
        if (tput_round(R, side, size_i, per ? per : 1, true) != 0)
            return -1;
    }
    bench_usage u[4];
    for (int i = 0; i < 4; i++)
        if (bench_proc_usage(ps[i], &u[i], R->err, R->errlen) != 0)
            return -1;
    if (pair_offsets(R, PAIR_TPUT, off1) != 0)
        return -1;
    for (int side = 0; side < BENCH_SIDES; side++) {
        bench_tput *t = &R->r->side[side].tput[size_i];
        t->hwm_send_kb = u[2 * side].hwm_kb;
        t->hwm_recv_kb = u[2 * side + 1].hwm_kb;
        t->records_a2b = (uint64_t)(off1[2 * side] - off0[2 * side]);
        t->records_b2a = (uint64_t)(off1[2 * side + 1] - off0[2 * side + 1]);
    }
    return 0;
}

static int phase_tput(run *R)
{
    char line[64];
    if (start_worker(R, &R->kb2, "kchat-bob-tput", true, PAIR_TPUT, false, false) != 0 ||
        start_worker(R, &R->ka2, "kchat-alice-tput", true, PAIR_TPUT, true, false) != 0 ||
        bench_proc_cmd(&R->pb, "mode count", 10000, line, sizeof line, R->err, R->errlen) != 0)
        return -1;
    if (tput_size(R, BENCH_SMALL, R->o->tput_small) != 0)
        return -1;
    return tput_size(R, BENCH_LARGE, R->o->tput_large);
}

/* ---- the whole run ---- */

static void cleanup(run *R)
{
    bench_proc *ps[6] = {&R->ka1, &R->kb1, &R->ka2, &R->kb2, &R->pa, &R->pb};
    for (int i = 0; i < 6; i++)
        bench_proc_kill(ps[i]);
    char err[256];
    for (int p = 0; p < PAIRS; p++)
        for (int d = 0; d < 2; d++)
            if (R->created[p][d])
                net_topic_delete(&R->net, R->topic[p][d], 10000, err, sizeof err);
    if (R->state_dir[0])
        rmdir(R->state_dir);
}

static int run_phases(run *R)
{
    if (make_topics(R) != 0 || make_invitation(R, PAIR_ECHO) != 0 ||
        make_invitation(R, PAIR_TPUT) != 0)
        return -1;
    if (start_worker(R, &R->kb1, "kchat-bob", true, PAIR_ECHO, false, true) != 0 ||
        start_worker(R, &R->ka1, "kchat-alice", true, PAIR_ECHO, true, false) != 0 ||
        start_worker(R, &R->pb, "plain-bob", false, PAIR_PLAIN, false, true) != 0 ||
        start_worker(R, &R->pa, "plain-alice", false, PAIR_PLAIN, true, false) != 0)
        return -1;
    if (R->proxy) {
        /* the clients must reach the broker only through the proxy: it must have pointed them
         * at itself (the broker advertises the address they bootstrapped from) */
        bench_proxy_stats(R->proxy, &R->r->proxy);
        if (R->r->proxy.rewrites == 0) {
            snprintf(R->err, R->errlen,
                     "--delay-ms: the broker's metadata never named %s, the proxy's upstream: the "
                     "clients may bypass the delay (use the address the broker advertises)",
                     R->o->brokers);
            return -1;
        }
    }
    const char *pause = getenv("KCHAT_BENCH_PAUSE"); /* seconds: time to attach a profiler */
    if (pause)
        sleep((unsigned)atoi(pause));
    if (phase_echo(R) != 0 || phase_idle(R) != 0 || phase_handshake(R) != 0)
        return -1;
    bench_proc_stop(&R->ka1);
    bench_proc_stop(&R->kb1);
    return phase_tput(R);
}

int bench_run(const bench_opts *o, bench_results *r, char *err, size_t errlen)
{
    run R;
    memset(&R, 0, sizeof R);
    R.o = o;
    R.r = r;
    R.net.brokers = o->brokers;
    R.err = err;
    R.errlen = errlen;
    R.ka1.pid = R.kb1.pid = R.ka2.pid = R.kb2.pid = R.pa.pid = R.pb.pid = -1;
    r->side[BENCH_KCHAT].tput[BENCH_SMALL].size = r->side[BENCH_PLAIN].tput[BENCH_SMALL].size =
        1024;
    r->side[BENCH_KCHAT].tput[BENCH_LARGE].size = r->side[BENCH_PLAIN].tput[BENCH_LARGE].size =
        BENCH_MAX_SIZE;
    R.client_brokers = o->brokers;
    snprintf(r->client_brokers, sizeof r->client_brokers, "%s", o->brokers);
    if (o->delay_ms) {
        R.proxy = bench_proxy_start(o->brokers, (int)o->delay_ms, r->client_brokers,
                                    sizeof r->client_brokers, err, errlen);
        if (!R.proxy)
            return -1;
        R.client_brokers = r->client_brokers;
    }
    snprintf(R.state_dir, sizeof R.state_dir, "/tmp/kchat-bench-XXXXXX");
    if (!mkdtemp(R.state_dir)) {
        R.state_dir[0] = '\0';
        snprintf(err, errlen, "cannot create a temporary directory");
        bench_proxy_stop(R.proxy);
        return -1;
    }
    int64_t t0 = bench_now_ns();
    int rc = run_phases(&R);
    if (rc == 0) {
        bench_proc *ps[4] = {&R.ka2, &R.kb2, &R.pa, &R.pb};
        for (int i = 0; i < 4; i++)
            bench_proc_stop(ps[i]);
    }
    cleanup(&R);
    if (R.proxy) {
        bench_proxy_stats(R.proxy, &r->proxy);
        bench_proxy_stop(R.proxy);
    }
    r->wall_s = bench_ms_between(t0, bench_now_ns()) / 1000.0;
    return rc;
}

void bench_results_free(bench_results *r)
{
    for (int side = 0; side < BENCH_SIDES; side++) {
        free(r->side[side].lat_us);
        free(r->side[side].connect_ms);
        free(r->side[side].inner_ms);
        free(r->side[side].both_ms);
        free(r->side[side].confirm_ms);
    }
}
