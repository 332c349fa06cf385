/* kchat_bench_report: the results as a readable table or one JSON object, each figure next to
 * its plain-Kafka counterpart and, where the issue sets one, its target. */
#include "bench/kchat_bench.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB 1024.0

/* The figures derived from the raw results. */
typedef struct summary {
    double p50[BENCH_SIDES], p99[BENCH_SIDES], mean[BENCH_SIDES];  /* ms */
    double echo_cpu_alice[BENCH_SIDES], echo_cpu_bob[BENCH_SIDES]; /* us per round trip */
    double echo_rec_a2b[BENCH_SIDES], echo_rec_b2a[BENCH_SIDES];   /* per round trip */
    double rate[BENCH_SIDES][BENCH_SIZES], mbps[BENCH_SIDES][BENCH_SIZES];
    double cpu_send[BENCH_SIDES][BENCH_SIZES], cpu_recv[BENCH_SIDES][BENCH_SIZES]; /* us/msg */
    double cpu_machine[BENCH_SIDES][BENCH_SIZES]; /* us/msg, all processes incl. the broker */
    double busy_pct[BENCH_SIDES][BENCH_SIZES];    /* machine busy during the rounds, % */
    double rec_a2b[BENCH_SIDES][BENCH_SIZES], rec_b2a[BENCH_SIDES][BENCH_SIZES]; /* per msg */
    double connect_med[BENCH_SIDES], inner_med[BENCH_SIDES];
    double both_med, confirm_med; /* kchat: message 1 sent -> Bob secure, -> Alice confirmed */
    double idle_alice[BENCH_SIDES], idle_bob[BENCH_SIDES]; /* % of one core */
    /* kchat's handshake in plain p50 round trips: Alice secure (two flights), both secure
     * (three flights: the target; also in fresh-client round trips), Alice confirmed (four) */
    double hs_alice_rtt, hs_rtt, hs_fresh_rtt, hs_confirm_rtt;
} summary;

typedef struct target {
    const char *name;
    double value, limit;
    bool at_most; /* value <= limit, else value >= limit */
    const char *unit;
} target;

enum { N_TARGETS = 12 };

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static double median_of(const double *v, size_t n)
{
    double *c = malloc((n ? n : 1) * sizeof *c);
    if (!c)
        return 0;
    memcpy(c, v, n * sizeof *c);
    double m = bench_quantile(c, n, 0.5);
    free(c);
    return m;
}

static void summarize_side(const bench_side_result *s, int i, summary *m)
{
    double *lat = malloc((s->n_lat ? s->n_lat : 1) * sizeof *lat);
    if (lat) {
        memcpy(lat, s->lat_us, s->n_lat * sizeof *lat);
        double sum = 0;
        for (size_t j = 0; j < s->n_lat; j++)
            sum += lat[j];
        m->mean[i] = s->n_lat ? sum / (double)s->n_lat / 1e3 : 0;
        m->p50[i] = bench_quantile(lat, s->n_lat, 0.50) / 1e3;
        m->p99[i] = bench_quantile(lat, s->n_lat, 0.99) / 1e3;
        free(lat);
    }
    m->echo_cpu_alice[i] = ratio(s->echo_cpu_alice_us, (double)s->n_lat);
    m->echo_cpu_bob[i] = ratio(s->echo_cpu_bob_us, (double)s->n_lat);
    m->echo_rec_a2b[i] = ratio((double)s->echo_records_a2b, (double)s->echo_total);
    m->echo_rec_b2a[i] = ratio((double)s->echo_records_b2a, (double)s->echo_total);
    for (int z = 0; z < BENCH_SIZES; z++) {
        const bench_tput *t = &s->tput[z];
        m->rate[i][z] = ratio((double)t->msgs, t->secs);
        m->mbps[i][z] = m->rate[i][z] * (double)t->size / 1e6;
        m->cpu_send[i][z] = ratio(t->cpu_send_us, (double)t->msgs);
        m->cpu_recv[i][z] = ratio(t->cpu_recv_us, (double)t->msgs);
        m->cpu_machine[i][z] = ratio(t->machine_busy_us, (double)t->msgs);
        m->busy_pct[i][z] = ratio(100.0 * t->machine_busy_us, t->machine_total_us);
        m->rec_a2b[i][z] = ratio((double)t->records_a2b, (double)t->sent_total);
        m->rec_b2a[i][z] = ratio((double)t->records_b2a, (double)t->sent_total);
    }
    m->connect_med[i] = median_of(s->connect_ms, s->n_connect);
    m->inner_med[i] = median_of(s->inner_ms, s->n_connect);
    if (i == BENCH_KCHAT) {
        m->both_med = median_of(s->both_ms, s->n_connect);
        m->confirm_med = median_of(s->confirm_ms, s->n_connect);
    }
    m->idle_alice[i] = ratio(s->idle_cpu_alice_us / 1e4, s->idle_wall_s);
    m->idle_bob[i] = ratio(s->idle_cpu_bob_us / 1e4, s->idle_wall_s);
}

static long max_kchat_rss(const bench_results *r, bool tput)
{
    const bench_side_result *k = &r->side[BENCH_KCHAT];
    long m = 0, v[4] = {k->maxrss_alice_kb, k->maxrss_bob_kb, 0, 0};
    if (tput) {
        long t[4] = {k->tput[0].hwm_send_kb, k->tput[0].hwm_recv_kb, k->tput[1].hwm_send_kb,
                     k->tput[1].hwm_recv_kb};
        memcpy(v, t, sizeof v);
    }
    for (int i = 0; i < 4; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* The targets of issue 16: on loopback all of them; with --delay-ms (a wide-area link) the
 * echo and handshake ones have their own limits and the throughput and CPU ones do not apply.
 * Returns how many there are. */
static int make_targets(const bench_opts *o, const bench_results *r, const summary *m,
                        target t[N_TARGETS])
{
    const int K = BENCH_KCHAT, P = BENCH_PLAIN;
    bool wan = o->delay_ms > 0;
    double idle = m->idle_alice[K] > m->idle_bob[K] ? m->idle_alice[K] : m->idle_bob[K];
    int n = 0;
    t[n++] =
        (target){"echo p50 kchat/plain", ratio(m->p50[K], m->p50[P]), wan ? 1.03 : 1.05, true, "x"};
    if (!wan) {
        t[n++] = (target){"throughput 1 KiB kchat/plain", ratio(m->rate[K][0], m->rate[P][0]), 1.00,
                          false, "x"};
        t[n++] = (target){"throughput 64 KiB kchat/plain", ratio(m->rate[K][1], m->rate[P][1]),
                          0.85, false, "x"};
        t[n++] = (target){"machine CPU/1 KiB msg kchat/plain",
                          ratio(m->cpu_machine[K][0], m->cpu_machine[P][0]), 1.3, true, "x"};
        t[n++] = (target){"connect -> secure kchat/plain",
                          ratio(m->connect_med[K], m->connect_med[P]), 1.1, true, "x"};
    }
    t[n++] = (target){"handshake in plain round trips", m->hs_rtt, wan ? 1.6 : 2.0, true,
                      "RTT"}; /* both secure */
    t[n++] = (target){"idle CPU per kchat process", idle, 1.0, true, "% core"};
    t[n++] = (target){"peak RSS kchat, interactive", (double)max_kchat_rss(r, false) / MIB, 32,
                      true, "MiB"};
    t[n++] = (target){"peak RSS kchat, throughput", (double)max_kchat_rss(r, true) / MIB, 32, true,
                      "MiB"};
    t[n++] = (target){"messages lost or corrupted",
                      (double)(r->side[K].tput[0].bad + r->side[K].tput[1].bad), 0, true, ""};
    return n;
}

static bool met(const target *t)
{
    return t->at_most ? t->value <= t->limit : t->value >= t->limit;
}

/* ---- table ---- */

static void row(const char *name, double k, double p, const char *fmt)
{
    char a[32], b[32];
    snprintf(a, sizeof a, fmt, k);
    snprintf(b, sizeof b, fmt, p);
    printf("  %-34s %12s %12s %9.2fx\n", name, a, b, ratio(k, p));
}

static void row2(const char *name, double k, double p, const char *fmt)
{
    char a[32], b[32];
    snprintf(a, sizeof a, fmt, k);
    snprintf(b, sizeof b, fmt, p);
    printf("  %-34s %12s %12s\n", name, a, b);
}

static void print_tput(const bench_results *r, const summary *m, int z)
{
    const bench_tput *kt = &r->side[BENCH_KCHAT].tput[z], *pt = &r->side[BENCH_PLAIN].tput[z];
    printf("Throughput, %s messages, one direction (%llu per side, measured)\n",
           z ? "64 KiB" : "1 KiB", (unsigned long long)kt->msgs);
    row("messages/s", m->rate[0][z], m->rate[1][z], "%.0f");
    row("MB/s (10^6 bytes)", m->mbps[0][z], m->mbps[1][z], "%.1f");
    for (int s = 0; s < BENCH_SIDES; s++) {
        const bench_tput *t = s ? pt : kt;
        printf("  %-34s", s ? "  rounds, plain (msgs/s)" : "  rounds, kchat (msgs/s)");
        for (uint32_t i = 0; i < t->nrounds; i++)
            printf(" %.0f", t->round_rate[i]);
        printf("\n");
    }
    row("CPU us/msg, sender", m->cpu_send[0][z], m->cpu_send[1][z], "%.1f");
    row("CPU us/msg, receiver", m->cpu_recv[0][z], m->cpu_recv[1][z], "%.1f");
    row("CPU us/msg, machine (incl. broker)", m->cpu_machine[0][z], m->cpu_machine[1][z], "%.1f");
    row2("machine busy, % of all CPUs", m->busy_pct[0][z], m->busy_pct[1][z], "%.0f");
    row2("Kafka records/msg, data topic", m->rec_a2b[0][z], m->rec_a2b[1][z], "%.3f");
    row2("Kafka records/msg, back topic", m->rec_b2a[0][z], m->rec_b2a[1][z], "%.4f");
    row("peak RSS MiB, sender", (double)kt->hwm_send_kb / MIB, (double)pt->hwm_send_kb / MIB,
        "%.1f");
    row("peak RSS MiB, receiver", (double)kt->hwm_recv_kb / MIB, (double)pt->hwm_recv_kb / MIB,
        "%.1f");
    if (kt->bad || pt->bad)
        printf("  BAD MESSAGES: kchat %u, plain %u\n", kt->bad, pt->bad);
}

static void print_table(const bench_opts *o, const bench_results *r, const summary *m,
                        const target *t, int nt)
{
    const bench_side_result *k = &r->side[BENCH_KCHAT], *p = &r->side[BENCH_PLAIN];
    printf("kchat-bench: end-to-end encryption vs plain Kafka (same broker, same librdkafka "
           "settings, same run)\n");
    printf("%s; %s, %d CPUs, load %.2f; broker %s; %.0f s%s\n", r->date, r->machine, r->ncpu,
           r->load1, r->brokers, r->wall_s, o->quick ? "; QUICK (smoke) counts" : "");
    if (o->delay_ms)
        printf("WIDE-AREA LINK: %u ms one way between every client and the broker (delay proxy "
               "%s: %llu connections, %llu addresses rewritten, %.1f MB relayed)\n",
               o->delay_ms, r->client_brokers, (unsigned long long)r->proxy.connections,
               (unsigned long long)r->proxy.rewrites, (double)r->proxy.bytes / 1e6);
    else
        printf("loopback: the clients talk to the broker directly (no added delay)\n");
    if (o->window)
        printf("throughput senders paced: at most %llu bytes undelivered\n",
               (unsigned long long)o->window);
    printf("\n");
    printf("  %-34s %12s %12s %10s\n", "", "kchat", "plain", "kchat/plain");
    printf("Echo round trip, 100 B, Alice -> Bob -> Alice (%zu each)\n", k->n_lat);
    row("p50 ms", m->p50[0], m->p50[1], "%.3f");
    row("p99 ms", m->p99[0], m->p99[1], "%.3f");
    row("mean ms", m->mean[0], m->mean[1], "%.3f");
    row("CPU us/round trip, Alice", m->echo_cpu_alice[0], m->echo_cpu_alice[1], "%.0f");
    row("CPU us/round trip, Bob", m->echo_cpu_bob[0], m->echo_cpu_bob[1], "%.0f");
    row2("Kafka records/round trip, a2b", m->echo_rec_a2b[0], m->echo_rec_a2b[1], "%.2f");
    row2("Kafka records/round trip, b2a", m->echo_rec_b2a[0], m->echo_rec_b2a[1], "%.2f");
    print_tput(r, m, BENCH_SMALL);
    print_tput(r, m, BENCH_LARGE);
    printf("Handshake, fresh client each time (%zu each, medians)\n", k->n_connect);
    printf("  %-34s %12.2f %12s   = %.2f plain RTT (p50); 2 flights\n",
           "msg 1 sent -> Alice secure, ms", m->inner_med[0], "-", m->hs_alice_rtt);
    printf("  %-34s %12.2f %12s   = %.2f plain RTT (p50), %.2f fresh RTT; 3 flights (target)\n",
           "msg 1 sent -> both secure, ms", m->both_med, "-", m->hs_rtt, m->hs_fresh_rtt);
    printf("  %-34s %12.2f %12s   = %.2f plain RTT (p50); 4 flights\n",
           "msg 1 sent -> Alice confirmed, ms", m->confirm_med, "-", m->hs_confirm_rtt);
    printf("  %-34s %12s %12.2f\n", "first round trip of a fresh client", "-", m->inner_med[1]);
    row("connect -> secure / first echo, ms", m->connect_med[0], m->connect_med[1], "%.1f");
    printf("  %-34s %12.2f %12.2f   (kchat: connect -> secure)\n", "  in plain RTT (p50)",
           ratio(m->connect_med[0], m->p50[1]), ratio(m->connect_med[1], m->p50[1]));
    printf("Idle, connected, %.1f s (%% of one core)\n", k->idle_wall_s);
    row("Alice", m->idle_alice[0], m->idle_alice[1], "%.3f");
    row("Bob", m->idle_bob[0], m->idle_bob[1], "%.3f");
    printf("Memory of the interactive processes (MiB)\n");
    row("RSS after echo, Alice", (double)k->rss_alice_kb / MIB, (double)p->rss_alice_kb / MIB,
        "%.1f");
    row("RSS after echo, Bob", (double)k->rss_bob_kb / MIB, (double)p->rss_bob_kb / MIB, "%.1f");
    row("peak RSS, Alice", (double)k->maxrss_alice_kb / MIB, (double)p->maxrss_alice_kb / MIB,
        "%.1f");
    row("peak RSS, Bob", (double)k->maxrss_bob_kb / MIB, (double)p->maxrss_bob_kb / MIB, "%.1f");
    printf("\nTargets (%s)\n", o->delay_ms ? "wide-area link" : "loopback");
    for (int i = 0; i < nt; i++)
        printf("  %-34s %10.3f %-6s %s %6.2f  %s\n", t[i].name, t[i].value, t[i].unit,
               t[i].at_most ? "<=" : ">=", t[i].limit, met(&t[i]) ? "met" : "MISSED");
}

/* ---- JSON ---- */

/* kchat's handshake_ms_median is Alice's (message 1 sent -> her established event), as before */
static json_t *connect_json(const bench_side_result *s, const summary *m, int i)
{
    json_t *c = json_pack(
        "{s:I,s:f,s:f}", "n", (json_int_t)s->n_connect, "connect_ms_median", m->connect_med[i],
        i == BENCH_KCHAT ? "handshake_ms_median" : "first_rtt_ms_median", m->inner_med[i]);
    if (c && i == BENCH_KCHAT) {
        json_object_set_new(c, "handshake_alice_ms", json_real(m->inner_med[i]));
        json_object_set_new(c, "handshake_both_ms", json_real(m->both_med));
        json_object_set_new(c, "handshake_confirmed_ms", json_real(m->confirm_med));
    }
    return c;
}

static json_t *side_json(const bench_results *r, const summary *m, int i)
{
    const bench_side_result *s = &r->side[i];
    json_t *tp = json_object();
    for (int z = 0; z < BENCH_SIZES; z++) {
        const bench_tput *t = &s->tput[z];
        json_t *rounds = json_array();
        for (uint32_t j = 0; j < t->nrounds; j++)
            json_array_append_new(rounds, json_real(t->round_rate[j]));
        json_object_set_new(
            tp, z ? "64KiB" : "1KiB",
            json_pack("{s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:o}", "size",
                      (json_int_t)t->size, "messages", (json_int_t)t->msgs, "seconds", t->secs,
                      "messages_per_s", m->rate[i][z], "mb_per_s", m->mbps[i][z],
                      "cpu_us_per_msg_sender", m->cpu_send[i][z], "cpu_us_per_msg_receiver",
                      m->cpu_recv[i][z], "cpu_us_per_msg_machine", m->cpu_machine[i][z],
                      "machine_busy_pct", m->busy_pct[i][z], "records_per_msg_data",
                      m->rec_a2b[i][z], "records_per_msg_back", m->rec_b2a[i][z],
                      "peak_rss_kb_sender", (json_int_t)t->hwm_send_kb, "peak_rss_kb_receiver",
                      (json_int_t)t->hwm_recv_kb, "bad", (json_int_t)t->bad, "rounds", rounds));
    }
    return json_pack(
        "{s:{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f},s:o,s:o,s:{s:f,s:f,s:f},s:{s:I,s:I,s:I,s:I}}", "echo",
        "n", (json_int_t)s->n_lat, "p50_ms", m->p50[i], "p99_ms", m->p99[i], "mean_ms", m->mean[i],
        "cpu_us_alice", m->echo_cpu_alice[i], "cpu_us_bob", m->echo_cpu_bob[i],
        "records_per_rtt_a2b", m->echo_rec_a2b[i], "records_per_rtt_b2a", m->echo_rec_b2a[i],
        "throughput", tp, "connect", connect_json(s, m, i), "idle", "seconds", s->idle_wall_s,
        "alice_pct_core", m->idle_alice[i], "bob_pct_core", m->idle_bob[i], "rss_kb",
        "alice_after_echo", (json_int_t)s->rss_alice_kb, "bob_after_echo",
        (json_int_t)s->rss_bob_kb, "alice_peak", (json_int_t)s->maxrss_alice_kb, "bob_peak",
        (json_int_t)s->maxrss_bob_kb);
}

/* handshake_plain_rtt (the target) and handshake_fresh_plain_rtt are both ends secure (three
 * flights); handshake_{alice,both,confirmed}_rtt are in plain p50 round trips */
static json_t *ratios_json(const summary *m)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "echo_p50",
                     ratio(m->p50[0], m->p50[1]), "echo_p99", ratio(m->p99[0], m->p99[1]),
                     "throughput_1KiB", ratio(m->rate[0][0], m->rate[1][0]), "throughput_64KiB",
                     ratio(m->rate[0][1], m->rate[1][1]), "handshake_plain_rtt", m->hs_rtt,
                     "handshake_fresh_plain_rtt", m->hs_fresh_rtt, "handshake_alice_rtt",
                     m->hs_alice_rtt, "handshake_both_rtt", m->hs_rtt, "handshake_confirmed_rtt",
                     m->hs_confirm_rtt, "connect", ratio(m->connect_med[0], m->connect_med[1]),
                     "connect_plain_rtt", ratio(m->connect_med[0], m->p50[1]));
}

static void print_json(FILE *out, const bench_opts *o, const bench_results *r, const summary *m,
                       const target *t, int nt, int missed)
{
    json_t *targets = json_array();
    for (int i = 0; i < nt; i++)
        json_array_append_new(targets,
                              json_pack("{s:s,s:f,s:s,s:f,s:b}", "name", t[i].name, "value",
                                        t[i].value, "op", t[i].at_most ? "<=" : ">=", "limit",
                                        t[i].limit, "met", met(&t[i])));
    json_t *root =
        json_pack("{s:s,s:s,s:i,s:s,s:f,s:b,s:I,s:o,s:o,s:o,s:o,s:i}", "date", r->date, "machine",
                  r->machine, "ncpu", r->ncpu, "brokers", r->brokers, "wall_s", r->wall_s, "quick",
                  o->quick, "window_bytes", (json_int_t)o->window, "kchat",
                  side_json(r, m, BENCH_KCHAT), "plain", side_json(r, m, BENCH_PLAIN), "ratios",
                  ratios_json(m), "targets", targets, "targets_missed", missed);
    if (root) {
        json_object_set_new(root, "delay_ms", json_integer((json_int_t)o->delay_ms));
        json_object_set_new(root, "client_brokers", json_string(r->client_brokers));
        json_object_set_new(root, "load_avg_1min", json_real(r->load1));
        if (o->delay_ms)
            json_object_set_new(root, "delay_proxy",
                                json_pack("{s:I,s:I,s:I}", "connections",
                                          (json_int_t)r->proxy.connections, "rewrites",
                                          (json_int_t)r->proxy.rewrites, "bytes",
                                          (json_int_t)r->proxy.bytes));
        /* "bad": messages lost or corrupted, both sides, both sizes */
        json_int_t bad = 0;
        for (int s = 0; s < BENCH_SIDES; s++)
            for (int z = 0; z < BENCH_SIZES; z++)
                bad += r->side[s].tput[z].bad;
        json_object_set_new(root, "bad", json_integer(bad));
    }
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text)
        fprintf(out, "%s\n", text);
    free(text);
    json_decref(root);
}

int bench_report(const bench_opts *o, const bench_results *r)
{
    summary m;
    memset(&m, 0, sizeof m);
    for (int i = 0; i < BENCH_SIDES; i++)
        summarize_side(&r->side[i], i, &m);
    m.hs_alice_rtt = ratio(m.inner_med[BENCH_KCHAT], m.p50[BENCH_PLAIN]);
    m.hs_rtt = ratio(m.both_med, m.p50[BENCH_PLAIN]);
    m.hs_fresh_rtt = ratio(m.both_med, m.inner_med[BENCH_PLAIN]);
    m.hs_confirm_rtt = ratio(m.confirm_med, m.p50[BENCH_PLAIN]);
    target t[N_TARGETS];
    int nt = make_targets(o, r, &m, t);
    int missed = 0;
    for (int i = 0; i < nt; i++)
        missed += !met(&t[i]);
    if (o->json)
        print_json(stdout, o, r, &m, t, nt, missed);
    else
        print_table(o, r, &m, t, nt);
    if (o->json_out) {
        FILE *f = fopen(o->json_out, "w");
        if (f) {
            print_json(f, o, r, &m, t, nt, missed);
            fclose(f);
        } else
            fprintf(stderr, "kchat-bench: cannot write %s\n", o->json_out);
    }
    return missed;
}
