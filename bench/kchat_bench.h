/* kchat_bench: the shared parts of kchat-bench, which measures kchat's end-to-end encryption
 * against plain Kafka on one broker (method: top of kchat_bench.c). The parent process drives
 * worker processes (this program re-executed with --worker) over a line protocol on their
 * stdin/stdout; each worker holds one end of one link: a kchat session (the real engine of
 * src/session.h) or a plain librdkafka producer/consumer pair built with the same net/ code. */
#ifndef KCHAT_BENCH_H
#define KCHAT_BENCH_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_MAX_SIZE (64u * 1024u)
#define BENCH_LINE_MAX 65536

/* ---- kchat_bench_util.c: clocks, resource usage, statistics, message contents ---- */

int64_t bench_now_ns(void);
double bench_ms_between(int64_t from_ns, int64_t to_ns);

typedef struct bench_usage {
    double cpu_us; /* user + system time of the whole process (all threads) */
    long hwm_kb;   /* peak resident set since start or the last bench_reset_peak */
    long rss_kb;   /* resident set now */
} bench_usage;

void bench_usage_self(bench_usage *u);
/* The whole machine's CPU time so far (/proc/stat, all processes, the broker included): busy
 * (not idle or waiting for I/O) and total, in microseconds summed over all CPUs. -1 if unknown. */
int bench_machine_cpu(double *busy_us, double *total_us);
/* Resets the peak resident set (/proc/self/clear_refs); -1 where the kernel refuses. */
int bench_reset_peak(void);
/* Sorts v and returns its q-quantile (nearest rank), 0 when n is 0. */
double bench_quantile(double *v, size_t n, double q);

/* A message of len bytes: a header naming (round, idx), then a pattern that depends on idx. */
void bench_fill(uint8_t *buf, size_t len, uint32_t round, uint32_t idx);
/* True when buf is exactly what bench_fill(buf, want, round, *idx) wrote for some idx. */
bool bench_check(const uint8_t *buf, size_t len, size_t want, uint32_t round, uint32_t *idx);

/* Which of n expected messages arrived: each must arrive once, intact. */
typedef struct bench_tally {
    uint8_t *seen;
    uint32_t n, got, bad;
    size_t size;
    uint32_t round;
    int64_t last_ns; /* when the n-th distinct message was verified */
} bench_tally;

int bench_tally_init(bench_tally *t, uint32_t n, size_t size, uint32_t round);
void bench_tally_add(bench_tally *t, const uint8_t *buf, size_t len);
void bench_tally_free(bench_tally *t);

/* Writes all of buf to fd; -1 on error. */
int bench_write_all(int fd, const char *buf, size_t len);
/* Hex to bytes; -1 unless hex is exactly 2*len hex digits. */
int bench_unhex(const char *hex, uint8_t *out, size_t len);

/* ---- a worker's side of a link (kchat_bench_kchat.c, kchat_bench_plain.c) ---- */

typedef struct bench_wargs {
    const char *kind; /* "kchat" or "plain" */
    const char *name; /* for messages */
    bool alice;       /* else Bob */
    bool echo;        /* Bob echoes (kchat: --echo; plain: initial mode) */
    const char *brokers, *a2b, *b2a;
    const char *state_dir;                   /* kchat Bob: where its listen state is saved */
    const char *bob_secret_hex, *invitation; /* kchat: from the init line */
} bench_wargs;

/* What one fresh connection measured (connect_once); ms, 0 where it does not apply. */
typedef struct bench_connect {
    double connect_ms; /* until usable: kchat Alice's established event, plain one echo back */
    double inner_ms;   /* kchat: message 1 sent -> Alice's established; plain: the round trip */
    double confirm_ms; /* kchat: message 1 sent -> "confirmed by the peer" (Bob's first frame) */
    double start_at;   /* kchat: when message 1 was sent, CLOCK_MONOTONIC ms (as bench_now_ns) */
} bench_connect;

/* Every operation returns 0, or -1 with err filled. */
typedef struct bench_side_ops {
    int (*ready)(void *ctx, int timeout_ms, char *err, size_t errlen);
    /* fds to watch between commands; serve() handles whatever they announce and returns 1
     * when more may be waiting already (call again without waiting), else 0 */
    int (*fds)(void *ctx, struct pollfd *out, int max);
    int (*serve)(void *ctx, char *err, size_t errlen);
    /* Alice: n sequential round trips; lat_us[i] from hand-over to the echo verified */
    int (*echo)(void *ctx, uint32_t n, size_t size, uint32_t round, double *lat_us, char *err,
                size_t errlen);
    /* Alice: hands over n messages as fast as they are accepted; *t0 before the first. window:
     * 0, or at most this many bytes handed over and not yet delivered (as for drain) */
    int (*send)(void *ctx, uint32_t n, size_t size, uint32_t round, uint64_t window, int64_t *t0,
                char *err, size_t errlen);
    /* Bob: waits for n messages of the round, each verified; *last: when the n-th arrived */
    int (*expect)(void *ctx, uint32_t n, size_t size, uint32_t round, int timeout_ms, int64_t *last,
                  uint32_t *bad, char *err, size_t errlen);
    /* Alice: waits until everything handed over is delivered (kchat: acknowledged by Bob;
     * plain: acknowledged by Kafka) */
    int (*drain)(void *ctx, int timeout_ms, char *err, size_t errlen);
    /* Alice: a fresh connection (kchat: kept open until the peer confirmed it), see above */
    int (*connect_once)(void *ctx, bench_connect *c, char *err, size_t errlen);
    /* Bob (kchat): *at_ms: when (CLOCK_MONOTONIC ms) his session emitted its first established
     * event later than after_ms, waiting up to timeout_ms for it; NULL for plain */
    int (*secure_at)(void *ctx, double after_ms, int timeout_ms, double *at_ms, char *err,
                     size_t errlen);
    /* Bob (plain): echo on or off */
    int (*set_echo)(void *ctx, bool on, char *err, size_t errlen);
    void (*close)(void *ctx);
} bench_side_ops;

void *bench_kchat_new(const bench_wargs *a, const bench_side_ops **ops, char *err, size_t errlen);
void *bench_plain_new(const bench_wargs *a, const bench_side_ops **ops, char *err, size_t errlen);

/* kchat_bench_worker.c: the worker process's main (argv after "--worker"). */
int bench_worker_main(int argc, char **argv);

/* ---- kchat_bench_proc.c: the parent's handle on a worker ---- */

typedef struct bench_proc {
    char name[32];
    pid_t pid;
    int wfd, rfd;
    char buf[BENCH_LINE_MAX];
    size_t len;
    long maxrss_kb; /* from wait4 once it ended */
    double cpu_us;  /* idem */
} bench_proc;

/* Starts `self --worker args...`; 0 or -1 with err filled. */
int bench_proc_start(bench_proc *p, const char *name, const char *const *args, char *err,
                     size_t errlen);
/* Sends one command line (no newline) and reads one reply line into reply; a reply starting
 * with "err" is a failure (-1, err filled with it), as is no reply within timeout_ms. */
int bench_proc_cmd(bench_proc *p, const char *cmd, int timeout_ms, char *reply, size_t cap,
                   char *err, size_t errlen);
/* Reads one more reply line (the second answer of "expect"). */
int bench_proc_reply(bench_proc *p, int timeout_ms, char *reply, size_t cap, char *err,
                     size_t errlen);
int bench_proc_usage(bench_proc *p, bench_usage *u, char *err, size_t errlen);
/* "quit", then waits for the process and records its rusage; kills it if it hangs. */
void bench_proc_stop(bench_proc *p);
void bench_proc_kill(bench_proc *p);

/* ---- delay_proxy.c: a wide-area link between the clients and the broker (--delay-ms) ---- */

typedef struct bench_proxy bench_proxy;
typedef struct bench_proxy_counts {
    uint64_t connections; /* accepted so far */
    uint64_t rewrites;    /* broker addresses pointed at the proxy in Metadata & co. responses */
    uint64_t bytes;       /* relayed, both directions */
} bench_proxy_counts;

/* Starts the proxy for the first broker of brokers (HOST:PORT,...), delaying each direction by
 * delay_ms; addr gets the address the clients are to use (HOST:PROXYPORT). NULL on error. */
bench_proxy *bench_proxy_start(const char *brokers, int delay_ms, char *addr, size_t cap, char *err,
                               size_t errlen);
void bench_proxy_stats(const bench_proxy *px, bench_proxy_counts *out);
void bench_proxy_stop(bench_proxy *px);

/* ---- kchat_bench_run.c and kchat_bench_report.c: the measurement and its results ---- */

typedef struct bench_opts {
    const char *brokers;
    const char *json_out; /* --json-out FILE: the JSON object there too */
    bool json, quick, strict;
    uint32_t echo_n, warmup, block;
    uint32_t tput_small, tput_large, rounds;
    uint32_t handshakes;
    double idle_s;
    uint64_t window;   /* sender pacing in bytes, 0: none (see kchat_bench.c) */
    uint32_t delay_ms; /* one-way delay between every client and the broker (delay_proxy.c) */
} bench_opts;

enum { BENCH_KCHAT = 0, BENCH_PLAIN = 1, BENCH_SIDES = 2 };
enum { BENCH_SMALL = 0, BENCH_LARGE = 1, BENCH_SIZES = 2 };

typedef struct bench_tput {
    size_t size;
    uint64_t msgs;           /* measured rounds only */
    double secs;             /* sum over measured rounds, first hand-over to last verified */
    double cpu_send_us;      /* sender process CPU over the measured rounds (incl. drain) */
    double cpu_recv_us;      /* receiver process CPU */
    double machine_busy_us;  /* the whole machine's busy CPU time over the measured rounds */
    double machine_total_us; /* and its total CPU time (wall time x CPUs) */
    long hwm_send_kb;        /* peak RSS of the sender during this size's rounds */
    long hwm_recv_kb;        /* peak RSS of the receiver */
    uint64_t records_a2b;    /* Kafka records written to the data topic for this size */
    uint64_t records_b2a;    /* records written back (kchat: acknowledgements) */
    uint64_t sent_total;     /* messages handed over for this size, warm-up included */
    double round_rate[16];   /* msgs/s of each measured round */
    uint32_t nrounds;
    uint32_t bad;
} bench_tput;

typedef struct bench_side_result {
    double *lat_us; /* echo round trips */
    size_t n_lat;
    double echo_cpu_alice_us, echo_cpu_bob_us;   /* totals over the measured round trips */
    uint64_t echo_total;                         /* round trips, warm-up included */
    uint64_t echo_records_a2b, echo_records_b2a; /* Kafka records they wrote */
    bench_tput tput[BENCH_SIZES];
    /* handshake phase, per fresh connection (kchat: inner_ms is message 1 sent -> Alice's
     * established, both_ms -> Bob's established, confirm_ms -> confirmed by the peer) */
    double *connect_ms, *inner_ms, *both_ms, *confirm_ms;
    size_t n_connect;
    double idle_cpu_alice_us, idle_cpu_bob_us, idle_wall_s;
    long rss_alice_kb, rss_bob_kb;       /* steady RSS after the echo phase */
    long maxrss_alice_kb, maxrss_bob_kb; /* peak RSS of the interactive processes (wait4) */
} bench_side_result;

typedef struct bench_results {
    char date[64], machine[256], brokers[256];
    char client_brokers[256]; /* what the clients used: the delay proxy's address, or brokers */
    bench_proxy_counts proxy; /* zero without --delay-ms */
    double load1;             /* the load average (1 min) when the run started, -1 if unknown */
    int ncpu;
    double wall_s;
    bench_side_result side[BENCH_SIDES];
} bench_results;

int bench_run(const bench_opts *o, bench_results *r, char *err, size_t errlen);
void bench_results_free(bench_results *r);
/* Prints the table (or one JSON object); returns the number of targets missed. */
int bench_report(const bench_opts *o, const bench_results *r);

#endif
