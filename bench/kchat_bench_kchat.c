/* kchat_bench_kchat: a worker's kchat end: the real session engine (src/session.h) set up as
 * `kchat listen --echo` (Bob: invitation, trust "anyone who holds the secret", listen state saved
 * after every batch) or `kchat connect INVITATION` (Alice: XXpsk3, trusting Bob's identifier)
 * do, each with its conversation journal and history (src/conv_files.h, in a state directory of
 * its own; every fresh Alice of the handshake phase a new one, as on a new machine), with this
 * worker as the front end: it hands lines over with session_post_line and reads ui_events from
 * the event queue, as batch mode does, minus printing them, giving receipts as it takes them.
 * KCHAT_BENCH_NO_STATE=1 (diagnosis only) keeps no listen state, journal or history. */
#include "bench/kchat_bench.h"
#include "crypto/identity.h"
#include "crypto/invitation.h"
#include "crypto/trust.h"
#include "src/conv_files.h"
#include "src/event_queue.h"
#include "src/listen_state.h"
#include "src/session.h"

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HANDSHAKE_TIMEOUT_S 30.0
#define EST_HISTORY 8
/* the detail of Alice's UI_STATE_SECURE event when Bob's first sealed frame arrived */
#define CONFIRMED_TEXT "confirmed by the peer"

typedef struct kside {
    bench_wargs a;
    net_config net;
    identity *self;
    trust_policy *trust;
    invitation *inv;
    listen_state *st;
    char state_path[4096];
    conv_files files;  /* the session's journal and history (none with no_state) */
    char xdg[4096];    /* XDG_STATE_HOME of this worker: <state_dir>/<name>.xdg */
    unsigned sessions; /* sessions opened: each fresh Alice gets <xdg>/<n> */
    event_queue *q;
    session *s;
    /* what the events said */
    bool secure, confirmed, waiting, ended;
    int exit_code;
    double hs_ms;               /* the last "established" event: message 1 sent to secure */
    double hs_at;               /* its at_ms (CLOCK_MONOTONIC ms) */
    double confirm_at;          /* at_ms of the last "confirmed by the peer" state (Alice) */
    double est_at[EST_HISTORY]; /* at_ms of the latest established events, a ring */
    unsigned n_est;
    uint64_t posted, delivered, errors;
    bench_tally *tally;       /* expect(): messages to verify */
    const uint8_t *echo_want; /* echo(): the message whose echo we wait for */
    size_t echo_len;
    bool echo_got;
    bool trace;
    bool no_state; /* KCHAT_BENCH_NO_STATE=1: no listen state, journal, history (diagnosis) */
} kside;

/* KCHAT_BENCH_TRACE=1: every event with its time, for finding where time goes. */
static void trace(const kside *k, const ui_event *ev)
{
    fprintf(stderr, "trace %s %.3f at=%.3f %s step=%d out=%d seq=%llu ms=%.3f %s\n", k->a.name,
            (double)bench_now_ns() / 1e6, ev->at_ms, ui_event_name(ev->type), ev->step, ev->out,
            (unsigned long long)ev->seq, ev->ms,
            ev->type == UI_EV_STATE ? ui_state_name(ev->state) : "");
}

static void on_event(kside *k, const ui_event *ev)
{
    if (k->trace)
        trace(k, ev);
    const uint8_t *text = (const uint8_t *)ev->text;
    size_t len = ev->text_len ? ev->text_len : (ev->text ? strlen(ev->text) : 0);
    switch (ev->type) {
    case UI_EV_ESTABLISHED:
        k->secure = true;
        k->hs_ms = ev->ms;
        k->hs_at = ev->at_ms;
        k->est_at[k->n_est++ % EST_HISTORY] = ev->at_ms;
        break;
    case UI_EV_STATE:
        k->waiting |= ev->state == UI_STATE_WAITING;
        if (ev->state == UI_STATE_SECURE && ev->text && !strcmp(ev->text, CONFIRMED_TEXT)) {
            k->confirmed = true;
            k->confirm_at = ev->at_ms;
        }
        break;
    case UI_EV_DELIVERED:
        k->delivered++;
        break;
    case UI_EV_MESSAGE:
        if (k->tally && text)
            bench_tally_add(k->tally, text, len);
        break;
    case UI_EV_ECHO:
        if (k->echo_want && text && len == k->echo_len && !memcmp(text, k->echo_want, len))
            k->echo_got = true;
        break;
    case UI_EV_ERROR:
    case UI_EV_REJECTED:
    case UI_EV_GAP:
        k->errors++;
        fprintf(stderr, "kchat-bench[%s]: %s %s\n", k->a.name, ui_event_name(ev->type),
                ev->text                     ? ev->text
                : ev->type == UI_EV_REJECTED ? ui_reject_name(ev->reason)
                                             : "");
        break;
    case UI_EV_DONE:
        k->ended = true;
        k->exit_code = ev->code;
        break;
    default:
        break;
    }
}

static int serve(void *ctx, char *err, size_t errlen)
{
    kside *k = ctx;
    if (!k->q)
        return 0;
    event_queue_drain_wake(k->q);
    ui_event *ev;
    while (event_queue_pop(k->q, &ev)) {
        on_event(k, ev);
        ui_event_free(ev);
    }
    event_queue_shown(k->q); /* the worker is the screen, as kchat's front ends */
    if (k->ended && k->s) {
        snprintf(err, errlen, "the session ended (status %d)", k->exit_code);
        return -1;
    }
    return 0;
}

static int fds(void *ctx, struct pollfd *out, int max)
{
    kside *k = ctx;
    if (max < 1 || !k->q)
        return 0;
    out[0] = (struct pollfd){.fd = event_queue_wake_fd(k->q), .events = POLLIN};
    return 1;
}

/* Serves events until *flag is true; -1 on timeout or when the session ends. */
static int wait_flag(kside *k, const bool *flag, int timeout_ms, const char *what, char *err,
                     size_t errlen)
{
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (serve(k, err, errlen) != 0)
            return -1;
        if (*flag)
            return 0;
        int64_t left = (deadline - bench_now_ns()) / 1000000;
        if (left <= 0) {
            snprintf(err, errlen, "no %s within %d ms", what, timeout_ms);
            return -1;
        }
        struct pollfd p = {.fd = event_queue_wake_fd(k->q), .events = POLLIN};
        poll(&p, 1, (int)left);
    }
}

/* The state directory of this worker's session (an Alice's handshake sessions each under a new
 * one: a first connect). */
static int state_dir(kside *k, char *err, size_t errlen)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%u", k->xdg, k->a.alice ? k->sessions : 0);
    k->sessions++;
    if ((mkdir(k->xdg, 0700) != 0 && errno != EEXIST) ||
        (mkdir(dir, 0700) != 0 && errno != EEXIST) || setenv("XDG_STATE_HOME", dir, 1) != 0) {
        snprintf(err, errlen, "cannot make the state directory %s", dir);
        return -1;
    }
    return 0;
}

/* The journal and history as cmd_listen (Bob: before the session) and cmd_connect (Alice: while
 * her session connects to Kafka, cfg.state_later) open them. */
static int open_files(kside *k, char *err, size_t errlen)
{
    if (k->no_state)
        return 0;
    if (state_dir(k, err, errlen) != 0)
        return -1;
    return k->a.alice ? 0 : conv_files_open(&k->files, k->self, k->inv, true, false, err, errlen);
}

static session *open_session(kside *k, char *err, size_t errlen)
{
    bool bob = !k->a.alice;
    if (open_files(k, err, errlen) != 0)
        return NULL;
    session_config cfg = {
        .front_confirms = true,
        .role = bob ? SESSION_BOB : SESSION_ALICE,
        .net = k->net,
        .self = k->self,
        .trust = k->trust,
        .psk = k->inv->secret,
        .expected_peer = bob ? NULL : k->inv->bob_id,
        .a2b = k->inv->a2b,
        .b2a = k->inv->b2a,
        .echo = bob && k->a.echo,
        .handshake_timeout_s = HANDSHAKE_TIMEOUT_S,
        .state = bob && !k->no_state ? k->st : NULL,
        .state_path = bob && !k->no_state ? k->state_path : NULL,
        .journal = k->files.journal,
        .history = k->files.hist,
        .history_show = CONV_FILES_SHOW,
        .state_later = !bob && !k->no_state,
    };
    k->secure = k->confirmed = k->waiting = k->ended = false;
    k->q = event_queue_new();
    session *s = k->q ? session_new(&cfg, k->q, err, errlen) : NULL;
    if (s && session_start(s) != 0) {
        snprintf(err, errlen, "cannot start the session thread");
        session_free(s);
        s = NULL;
    }
    if (s && cfg.state_later) /* as app_run does */
        conv_files_attach(&k->files, s, k->self, k->inv, false, false);
    if (!s && k->q) {
        event_queue_free(k->q);
        k->q = NULL;
    }
    if (!s)
        conv_files_close(&k->files);
    return s;
}

static void close_session(kside *k)
{
    if (!k->s)
        return;
    session_post_command(k->s, SESSION_CMD_QUIT);
    session_join(k->s);
    session_free(k->s);
    k->s = NULL;
    event_queue_free(k->q);
    k->q = NULL;
    conv_files_close(&k->files);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int ready(void *ctx, int timeout_ms, char *err, size_t errlen)
{
    kside *k = ctx;
    return wait_flag(k, k->a.alice ? &k->secure : &k->waiting, timeout_ms,
                     k->a.alice ? "secure channel" : "listening state", err, errlen);
}

static int echo(void *ctx, uint32_t n, size_t size, uint32_t round, double *lat_us, char *err,
                size_t errlen)
{
    kside *k = ctx;
    uint8_t buf[BENCH_MAX_SIZE];
    k->echo_want = buf;
    k->echo_len = size;
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        bench_fill(buf, size, round, i);
        k->echo_got = false;
        int64_t t0 = bench_now_ns();
        session_post_line(k->s, (const char *)buf, size);
        k->posted++;
        rc = wait_flag(k, &k->echo_got, 10000, "echo", err, errlen);
        lat_us[i] = (double)(bench_now_ns() - t0) / 1e3;
    }
    k->echo_want = NULL;
    return rc;
}

/* With a window: waits until at most window bytes are handed over and not acknowledged. */
static int pace(kside *k, size_t size, uint64_t window, char *err, size_t errlen)
{
    int64_t deadline = bench_now_ns() + 60 * (int64_t)1000000000;
    while (window && (k->posted - k->delivered) * size >= window) {
        struct pollfd p = {.fd = event_queue_wake_fd(k->q), .events = POLLIN};
        poll(&p, 1, 100);
        if (serve(k, err, errlen) != 0)
            return -1;
        if (bench_now_ns() > deadline) {
            snprintf(err, errlen, "no acknowledgement within 60 s");
            return -1;
        }
    }
    return 0;
}

static int send_msgs(void *ctx, uint32_t n, size_t size, uint32_t round, uint64_t window,
                     int64_t *t0, char *err, size_t errlen)
{
    kside *k = ctx;
    uint8_t buf[BENCH_MAX_SIZE];
    *t0 = bench_now_ns();
    for (uint32_t i = 0; i < n; i++) {
        if (pace(k, size, window, err, errlen) != 0)
            return -1;
        bench_fill(buf, size, round, i);
        session_post_line(k->s, (const char *)buf, size);
        k->posted++;
        /* like batch mode, which handles events while it reads its input */
        if (i % 256 == 255 && serve(k, err, errlen) != 0)
            return -1;
    }
    return serve(k, err, errlen);
}

static int expect(void *ctx, uint32_t n, size_t size, uint32_t round, int timeout_ms, int64_t *last,
                  uint32_t *bad, char *err, size_t errlen)
{
    kside *k = ctx;
    bench_tally t;
    if (bench_tally_init(&t, n, size, round) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    k->tally = &t;
    bool done = false;
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    int rc = 0;
    while (!done && rc == 0) {
        struct pollfd p = {.fd = event_queue_wake_fd(k->q), .events = POLLIN};
        poll(&p, 1, 100);
        rc = serve(k, err, errlen);
        done = t.got == n;
        if (!done && bench_now_ns() > deadline) {
            snprintf(err, errlen, "only %u of %u messages within %d ms", t.got, n, timeout_ms);
            rc = -1;
        }
    }
    k->tally = NULL;
    *last = t.last_ns;
    *bad = t.bad;
    bench_tally_free(&t);
    return rc;
}

static int drain(void *ctx, int timeout_ms, char *err, size_t errlen)
{
    kside *k = ctx;
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while (k->delivered < k->posted) {
        if (serve(k, err, errlen) != 0)
            return -1;
        if (bench_now_ns() > deadline) {
            snprintf(err, errlen, "%llu of %llu messages not acknowledged within %d ms",
                     (unsigned long long)(k->posted - k->delivered), (unsigned long long)k->posted,
                     timeout_ms);
            return -1;
        }
        struct pollfd p = {.fd = event_queue_wake_fd(k->q), .events = POLLIN};
        poll(&p, 1, 100);
    }
    return 0;
}

/* A fresh `kchat connect`: a new session (its own Kafka clients) until secure (connect_ms),
 * then until the peer confirmed it, then quit. Times from the events' own clocks. */
static int connect_once(void *ctx, bench_connect *c, char *err, size_t errlen)
{
    kside *k = ctx;
    close_session(k); /* the long-lived session, on the first call */
    int64_t t0 = bench_now_ns();
    k->s = open_session(k, err, errlen);
    if (!k->s)
        return -1;
    int rc = wait_flag(k, &k->secure, 30000, "secure channel", err, errlen);
    c->connect_ms = bench_ms_between(t0, bench_now_ns());
    if (rc == 0)
        rc = wait_flag(k, &k->confirmed, 30000, "confirmation by the peer", err, errlen);
    c->inner_ms = k->hs_ms;
    c->start_at = k->hs_at - k->hs_ms; /* message 1 sent */
    c->confirm_ms = rc == 0 ? k->confirm_at - c->start_at : 0;
    close_session(k);
    return rc;
}

/* The earliest remembered established event later than after_ms; 0 if none. */
static double established_after(const kside *k, double after_ms)
{
    double best = 0;
    unsigned n = k->n_est < EST_HISTORY ? k->n_est : EST_HISTORY;
    for (unsigned i = 0; i < n; i++)
        if (k->est_at[i] > after_ms && (best == 0 || k->est_at[i] < best))
            best = k->est_at[i];
    return best;
}

/* Bob: when his session became secure with a client whose message 1 went out at after_ms. */
static int secure_at(void *ctx, double after_ms, int timeout_ms, double *at_ms, char *err,
                     size_t errlen)
{
    kside *k = ctx;
    if (!k->q || k->a.alice) {
        snprintf(err, errlen, "only a listening Bob reports when he became secure");
        return -1;
    }
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (serve(k, err, errlen) != 0)
            return -1;
        if ((*at_ms = established_after(k, after_ms)) > 0)
            return 0;
        int64_t left = (deadline - bench_now_ns()) / 1000000;
        if (left <= 0) {
            snprintf(err, errlen, "no established event after %.3f within %d ms", after_ms,
                     timeout_ms);
            return -1;
        }
        struct pollfd p = {.fd = event_queue_wake_fd(k->q), .events = POLLIN};
        poll(&p, 1, (int)left);
    }
}

static int set_echo(void *ctx, bool on, char *err, size_t errlen)
{
    (void)ctx;
    (void)on;
    snprintf(err, errlen, "a kchat Bob echoes or not from the start");
    return -1;
}

static void kside_close(void *ctx)
{
    kside *k = ctx;
    close_session(k);
    invitation_free(k->inv);
    trust_policy_free(k->trust);
    identity_free(k->self);
    if (k->st)
        listen_state_free(k->st);
    if (k->state_path[0])
        unlink(k->state_path);
    if (k->xdg[0])
        nftw(k->xdg, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(k);
}

static const bench_side_ops kchat_ops = {
    .ready = ready,
    .fds = fds,
    .serve = serve,
    .echo = echo,
    .send = send_msgs,
    .expect = expect,
    .drain = drain,
    .connect_once = connect_once,
    .secure_at = secure_at,
    .set_echo = set_echo,
    .close = kside_close,
};

/* Bob as `kchat listen` sets himself up: identity, trust, listen state with the invitation. */
static int setup_bob(kside *k, char *err, size_t errlen)
{
    uint8_t secret[32];
    if (!k->a.bob_secret_hex || bench_unhex(k->a.bob_secret_hex, secret, sizeof secret) != 0) {
        snprintf(err, errlen, "Bob needs his secret key");
        return -1;
    }
    k->self = identity_from_secret(secret);
    sodium_memzero(secret, sizeof secret);
    k->trust = trust_policy_anyone();
    k->st = listen_state_new();
    if (!k->self || !k->trust || !k->st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(k->st->a2b, sizeof k->st->a2b, "%s", k->inv->a2b);
    snprintf(k->st->b2a, sizeof k->st->b2a, "%s", k->inv->b2a);
    snprintf(k->st->invitation, LISTEN_STATE_INV_MAX, "%s", k->a.invitation);
    snprintf(k->state_path, sizeof k->state_path, "%s/%s.state", k->a.state_dir, k->a.name);
    return listen_state_save(k->state_path, k->st, err, errlen);
}

/* Alice as `kchat connect INVITATION` does: her identity, trusting the invitation's Bob. */
static int setup_alice(kside *k, char *err, size_t errlen)
{
    k->self = identity_generate();
    k->trust = trust_policy_list();
    if (!k->self || !k->trust) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return trust_policy_add(k->trust, k->inv->bob_id, err, errlen);
}

void *bench_kchat_new(const bench_wargs *a, const bench_side_ops **ops, char *err, size_t errlen)
{
    kside *k = calloc(1, sizeof *k);
    if (!k || sodium_init() < 0) {
        snprintf(err, errlen, "out of memory");
        free(k);
        return NULL;
    }
    k->a = *a;
    k->net.brokers = a->brokers;
    const char *tr = getenv("KCHAT_BENCH_TRACE");
    k->trace = tr && *tr == '1';
    const char *ns = getenv("KCHAT_BENCH_NO_STATE");
    k->no_state = ns && *ns == '1';
    snprintf(k->xdg, sizeof k->xdg, "%s/%s.xdg", a->state_dir ? a->state_dir : "/tmp", a->name);
    k->inv = a->invitation ? invitation_parse(a->invitation, err, errlen) : NULL;
    int rc = !k->inv ? -1 : a->alice ? setup_alice(k, err, errlen) : setup_bob(k, err, errlen);
    if (rc == 0 && !(k->s = open_session(k, err, errlen)))
        rc = -1;
    if (rc != 0) {
        kside_close(k);
        return NULL;
    }
    *ops = &kchat_ops;
    return k;
}
