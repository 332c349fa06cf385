/* sim: see sim.h. */
#include "sim.h"

#include "crypto/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_START_MS 1000000.0 /* the engine takes time 0 for "not set" */
#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? (cap)*2 : 16;                                                          \
            (arr) = realloc((arr), (cap) * sizeof *(arr));                                         \
            if (!(arr))                                                                            \
                abort();                                                                           \
        }                                                                                          \
    } while (0)

static double sim_now(void *ctx)
{
    return ((sim *)ctx)->now;
}

/* ---- the topics ---- */

static void add_report(sim_end *e, sim_report r)
{
    GROW(e->reports, e->n_reports, e->cap_reports);
    e->reports[e->n_reports++] = r;
    if (e->side->m->threaded)
        wake_signal(&e->w);
}

static void append(sim *m, const sim_pending *p)
{
    sim_topic *t = &m->topics[p->topic];
    GROW(t->log, t->n, t->cap);
    t->log[t->n] = p->rec;
    int64_t offset = (int64_t)t->n++;
    sim_end *readers[2] = {m->alice.end, m->bob.end};
    for (int i = 0; i < 2; i++)
        if (m->threaded && readers[i] && readers[i]->in == p->topic)
            wake_signal(&readers[i]->w);
    if (!p->from)
        return;
    add_report(p->from, (sim_report){.token = p->token, .offset = offset});
}

static void report_failed(sim_end *e, uint64_t token)
{
    add_report(e, (sim_report){.token = token, .offset = -1, .failed = true});
}

/* Moves the records due by now (all of from's with force) into their topics, earliest first. */
static void deliver(sim *m, sim_end *force)
{
    for (;;) {
        size_t best = m->n_pending;
        for (size_t i = 0; i < m->n_pending; i++) {
            sim_pending *p = &m->pending[i];
            if (p->at > m->now && !(force && p->from == force))
                continue;
            if (best == m->n_pending || p->at < m->pending[best].at)
                best = i;
        }
        if (best == m->n_pending)
            return;
        sim_pending p = m->pending[best];
        memmove(&m->pending[best], &m->pending[best + 1],
                (m->n_pending - best - 1) * sizeof *m->pending);
        m->n_pending--;
        if (p.fail) {
            if (p.from)
                report_failed(p.from, p.token);
            free(p.rec.data);
        } else {
            append(m, &p);
        }
    }
}

static void queue_rec(sim *m, sim_end *e, const void *buf, size_t len, uint64_t token, double at,
                      bool fail)
{
    GROW(m->pending, m->n_pending, m->cap_pending);
    sim_pending *p = &m->pending[m->n_pending++];
    p->topic = e->out;
    p->rec.data = malloc(len ? len : 1);
    memcpy(p->rec.data, buf, len);
    p->rec.len = len;
    p->at = at;
    p->from = e;
    p->token = token;
    p->fail = fail;
}

/* ---- the transport ---- */

static int send_locked(sim_end *e, const void *buf, size_t len, uint64_t token, char *err,
                       size_t errlen)
{
    sim_side *side = e->side;
    sim *m = side->m;
    if (m->refuse_sends) {
        snprintf(err, errlen, "Local: Queue full");
        return -1;
    }
    frame f;
    sim_action a = SIM_PASS;
    double delay = 0;
    if (frame_parse(buf, len, &f) == 0) {
        if (m->filter)
            a = m->filter(m, side, &f, side->sent_by_type[f.type], &delay);
        side->sent_by_type[f.type]++;
    }
    double at = m->now + m->latency_ms + (a == SIM_DELAY ? delay : 0);
    if (a == SIM_DROP) {
        add_report(e, (sim_report){.token = token, .offset = -1});
        return 0;
    }
    queue_rec(m, e, buf, len, token, at, a == SIM_FAIL);
    if (a == SIM_DUP) { /* Kafka's own duplicate: no delivery report of its own */
        queue_rec(m, e, buf, len, 0, at, false);
        m->pending[m->n_pending - 1].from = NULL;
    }
    if (m->threaded)
        deliver(m, NULL);
    return 0;
}

static int t_send(void *ctx, const void *buf, size_t len, uint64_t token, char *err, size_t errlen)
{
    sim_end *e = ctx;
    pthread_mutex_lock(&e->side->m->lock);
    int rc = send_locked(e, buf, len, token, err, errlen);
    pthread_mutex_unlock(&e->side->m->lock);
    return rc;
}

static int t_poll(void *ctx, transport_record *rec, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    sim_end *e = ctx;
    sim *m = e->side->m;
    sim_topic *t = &m->topics[e->in];
    pthread_mutex_lock(&m->lock);
    int rc = e->open && e->pos < (int64_t)t->n;
    if (rc) {
        rec->offset = e->pos;
        rec->data = t->log[e->pos].data;
        rec->len = t->log[e->pos].len;
        rec->handle = NULL;
        e->pos++;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static void t_release(void *ctx, transport_record *rec)
{
    (void)ctx;
    (void)rec;
}

static void t_done(void *ctx, int64_t offset)
{
    sim_end *e = ctx;
    e->stored = offset + 1;
}

/* The callbacks run without the lock (they may send). */
static int t_serve(void *ctx)
{
    sim_end *e = ctx;
    sim *m = e->side->m;
    pthread_mutex_lock(&m->lock);
    sim_report *taken = e->reports;
    size_t n = e->n_reports;
    e->reports = NULL;
    e->n_reports = e->cap_reports = 0;
    pthread_mutex_unlock(&m->lock);
    for (size_t i = 0; i < n; i++)
        e->cb(e->cb_ctx, taken[i].token, taken[i].offset,
              taken[i].failed ? "Local: Message timed out" : NULL);
    free(taken);
    return (int)n;
}

static int t_flush(void *ctx, int timeout_ms)
{
    (void)timeout_ms;
    sim_end *e = ctx;
    pthread_mutex_lock(&e->side->m->lock);
    deliver(e->side->m, e);
    pthread_mutex_unlock(&e->side->m->lock);
    t_serve(e);
    return 0;
}

static int64_t t_end_offset(void *ctx, int timeout_ms)
{
    (void)timeout_ms;
    sim_end *e = ctx;
    pthread_mutex_lock(&e->side->m->lock);
    int64_t end = (int64_t)e->side->m->topics[e->in].n;
    pthread_mutex_unlock(&e->side->m->lock);
    return end;
}

static int t_fds(void *ctx, int fds[2])
{
    sim_end *e = ctx;
    if (!e->side->m->threaded)
        return 0;
    fds[0] = e->w.rfd;
    return 1;
}

static void t_drain(void *ctx, int fd)
{
    sim_end *e = ctx;
    (void)fd;
    wake_drain(&e->w);
}

static void t_close(void *ctx)
{
    sim_end *e = ctx;
    pthread_mutex_lock(&e->side->m->lock);
    if (e->group && e->open)
        e->side->m->topics[e->in].committed = e->stored;
    e->open = false;
    pthread_mutex_unlock(&e->side->m->lock);
}

static void t_free(void *ctx)
{
    sim_end *e = ctx;
    sim *m = e->side->m;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n_pending; i++) /* in flight: still lands, nobody hears of it */
        if (m->pending[i].from == e)
            m->pending[i].from = NULL;
    e->side->end = NULL;
    pthread_mutex_unlock(&m->lock);
    wake_close(&e->w);
    free(e->reports);
    free(e);
}

static const transport_ops sim_ops = {
    .send = t_send,
    .poll = t_poll,
    .release = t_release,
    .done = t_done,
    .serve = t_serve,
    .flush = t_flush,
    .end_offset = t_end_offset,
    .fds = t_fds,
    .drain = t_drain,
    .close = t_close,
    .free = t_free,
};

static int t_open(void *arg, const transport_params *p, transport *t, char *err, size_t errlen)
{
    sim_side *side = arg;
    sim *m = side->m;
    sim_end *e = calloc(1, sizeof *e);
    if (!e || wake_init(&e->w) != 0) {
        snprintf(err, errlen, "out of memory");
        free(e);
        return -1;
    }
    pthread_mutex_lock(&m->lock);
    e->side = side;
    e->in = strcmp(p->in_topic, m->a2b) == 0 ? SIM_A2B : SIM_B2A;
    e->out = strcmp(p->out_topic, m->a2b) == 0 ? SIM_A2B : SIM_B2A;
    e->group = p->group != NULL;
    e->pos = p->from_stored ? m->topics[e->in].committed : (int64_t)m->topics[e->in].n;
    e->stored = e->pos;
    e->open = true;
    e->cb = p->on_delivery;
    e->cb_ctx = p->delivery_ctx;
    side->end = e;
    pthread_mutex_unlock(&m->lock);
    t->ops = &sim_ops;
    t->ctx = e;
    return 0;
}

/* ---- the world ---- */

static void init_side(sim *m, sim_side *side, const char *name)
{
    memset(side, 0, sizeof *side);
    side->m = m;
    side->name = name;
    side->id = identity_generate();
    side->factory = (transport_factory){.open = t_open, .arg = side};
}

void sim_init(sim *m)
{
    memset(m, 0, sizeof *m);
    m->now = SIM_START_MS;
    m->clock = (kchat_clock){.now_ms = sim_now, .ctx = m};
    pthread_mutex_init(&m->lock, NULL);
    snprintf(m->a2b, sizeof m->a2b, "kchat-sim-a2b");
    snprintf(m->b2a, sizeof m->b2a, "kchat-sim-b2a");
    init_side(m, &m->alice, "alice");
    init_side(m, &m->bob, "bob");
    char err[256];
    m->inv = invitation_new(m->a2b, m->b2a, identity_id(m->bob.id), err, sizeof err);
    if (!m->inv || !m->alice.id || !m->bob.id)
        abort();
    m->alice.trust = trust_policy_list();
    trust_policy_add(m->alice.trust, identity_id(m->bob.id), err, sizeof err);
    m->bob.trust = trust_policy_anyone();
    m->alice.cfg = (session_config){
        .role = SESSION_ALICE,
        .self = m->alice.id,
        .trust = m->alice.trust,
        .psk = m->inv->secret,
        .expected_peer = m->inv->bob_id,
        .a2b = m->a2b,
        .b2a = m->b2a,
        .handshake_timeout_s = 30,
        .transport = &m->alice.factory,
        .clock = &m->clock,
    };
    m->bob.cfg = (session_config){
        .role = SESSION_BOB,
        .self = m->bob.id,
        .trust = m->bob.trust,
        .psk = m->inv->secret,
        .a2b = m->a2b,
        .b2a = m->b2a,
        .handshake_timeout_s = 30,
        .transport = &m->bob.factory,
        .clock = &m->clock,
    };
}

/* The side's front end: what it pops is shown (and receipted, with cfg.front_confirms). */
static void collect(sim_side *side)
{
    ui_event *ev;
    if (side->lag)
        return;
    while (side->q && event_queue_pop(side->q, &ev)) {
        GROW(side->evs, side->n_evs, side->cap_evs);
        side->evs[side->n_evs++] = ev;
        if (ev->type == UI_EV_DONE)
            side->code = ev->code;
    }
    if (side->q)
        event_queue_shown(side->q);
}

/* session_new for the side, then (stepped) session_begin; with late, the files handed over in
 * between, as a front end does while the session connects. */
static void start_stepped(sim_side *side, bool late, conv_state *journal, history *hist,
                          const char *why)
{
    char err[256];
    side->cfg.state_later = late;
    side->q = event_queue_new();
    side->s = session_new(&side->cfg, side->q, err, sizeof err);
    if (!side->s)
        abort();
    side->live = true;
    if (late)
        session_attach_state(side->s, journal, hist, why);
    session_begin(side->s);
    session_flush_events(side->s);
    collect(side);
}

void sim_start(sim_side *side)
{
    start_stepped(side, false, NULL, NULL, NULL);
}

void sim_start_later(sim_side *side, conv_state *journal, history *hist, const char *err)
{
    side->cfg.journal = NULL;
    side->cfg.history = NULL;
    start_stepped(side, true, journal, hist, err);
}

void sim_start_thread(sim_side *side)
{
    char err[256];
    side->q = event_queue_new();
    side->s = session_new(&side->cfg, side->q, err, sizeof err);
    if (!side->s || session_start(side->s) != 0)
        abort();
    side->live = true;
}

static void release_side(sim_side *side)
{
    session_free(side->s);
    side->s = NULL;
    collect(side);
    event_queue_free(side->q);
    side->q = NULL;
    side->live = false;
}

void sim_join(sim_side *side)
{
    if (!side->s)
        return;
    session_post_command(side->s, SESSION_CMD_QUIT);
    side->code = session_join(side->s);
    release_side(side);
}

void sim_stop(sim_side *side, bool graceful)
{
    if (!side->s)
        return;
    if (graceful)
        session_end(side->s);
    release_side(side);
}

static void free_side(sim_side *side)
{
    sim_stop(side, false);
    for (size_t i = 0; i < side->n_evs; i++)
        ui_event_free(side->evs[i]);
    free(side->evs);
    identity_free(side->id);
    trust_policy_free(side->trust);
}

void sim_free(sim *m)
{
    free_side(&m->alice);
    free_side(&m->bob);
    for (int i = 0; i < 2; i++) {
        for (size_t j = 0; j < m->topics[i].n; j++)
            free(m->topics[i].log[j].data);
        free(m->topics[i].log);
    }
    for (size_t i = 0; i < m->n_pending; i++)
        free(m->pending[i].rec.data);
    free(m->pending);
    invitation_free(m->inv);
    pthread_mutex_destroy(&m->lock);
}

/* ---- running ---- */

static bool has_work(const sim_side *side)
{
    const sim_end *e = side->end;
    return e && (e->n_reports || (e->open && e->pos < (int64_t)side->m->topics[e->in].n));
}

static void step_side(sim_side *side)
{
    if (!side->live)
        return;
    session_step(side->s);
    if (side->s->done) { /* the loop ends: what session_main does after it */
        session_end(side->s);
        release_side(side);
        return;
    }
    collect(side);
}

/* Milliseconds to the next thing that can happen. */
static double next_dt(const sim *m)
{
    if (has_work(&m->alice) || has_work(&m->bob))
        return 0;
    double dt = 100;
    const sim_side *sides[2] = {&m->alice, &m->bob};
    for (int i = 0; i < 2; i++)
        if (sides[i]->live) {
            double w = session_wait_ms(sides[i]->s);
            dt = w < dt ? w : dt;
        }
    for (size_t i = 0; i < m->n_pending; i++)
        if (m->pending[i].at - m->now < dt)
            dt = m->pending[i].at - m->now;
    return dt > 0 ? dt : 0;
}

bool sim_run(sim *m, bool (*until)(sim *m), double max_ms)
{
    double stop = m->now + max_ms;
    unsigned idle = 0;
    for (;;) {
        deliver(m, NULL);
        step_side(&m->alice);
        step_side(&m->bob);
        if (until && until(m))
            return true;
        if (!until && !m->alice.live && !m->bob.live)
            return true;
        if (m->now >= stop)
            return false;
        double dt = next_dt(m);
        idle = dt == 0 ? idle + 1 : 0;
        if (idle > 1000) /* something keeps asking for a turn: let time pass */
            dt = 1;
        m->now += dt;
    }
}

void sim_run_for(sim *m, double ms)
{
    double stop = m->now + ms;
    while (m->now < stop)
        sim_run(m, NULL, stop - m->now);
}

void sim_post(sim_side *side, const char *text)
{
    session_post_line(side->s, text, strlen(text));
}

size_t sim_count(const sim_side *side, ui_event_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < side->n_evs; i++)
        n += side->evs[i]->type == type;
    return n;
}

size_t sim_count_text(const sim_side *side, ui_event_type type, const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < side->n_evs; i++)
        n += side->evs[i]->type == type && side->evs[i]->text && !strcmp(side->evs[i]->text, text);
    return n;
}

const ui_event *sim_find(const sim_side *side, ui_event_type type, size_t nth)
{
    for (size_t i = 0; i < side->n_evs; i++)
        if (side->evs[i]->type == type && nth-- == 0)
            return side->evs[i];
    return NULL;
}

bool sim_has_text(const sim_side *side, ui_event_type type, const char *part)
{
    for (size_t i = 0; i < side->n_evs; i++)
        if (side->evs[i]->type == type && side->evs[i]->text && strstr(side->evs[i]->text, part))
            return true;
    return false;
}

int sim_frame_type(const sim *m, int topic, size_t offset)
{
    const sim_topic *t = &m->topics[topic];
    frame f;
    if (offset >= t->n || frame_parse(t->log[offset].data, t->log[offset].len, &f) != 0)
        return -1;
    return f.type;
}

void sim_dump(const sim_side *side)
{
    for (size_t i = 0; i < side->n_evs; i++) {
        const ui_event *ev = side->evs[i];
        fprintf(stderr, "%s: %s seq=%llu text=%s reason=%s\n", side->name, ui_event_name(ev->type),
                (unsigned long long)ev->seq, ev->text ? ev->text : "",
                ev->type == UI_EV_REJECTED ? ui_reject_name(ev->reason) : "");
    }
}

void sim_inject(sim *m, int topic, const uint8_t *buf, size_t len)
{
    sim_topic *t = &m->topics[topic];
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->log = realloc(t->log, t->cap * sizeof *t->log);
    }
    t->log[t->n].data = malloc(len);
    memcpy(t->log[t->n].data, buf, len);
    t->log[t->n++].len = len;
}
