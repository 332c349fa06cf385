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

static void append(sim *m, const sim_pending *p)
{
    sim_topic *t = &m->topics[p->topic];
    GROW(t->log, t->n, t->cap);
    t->log[t->n] = p->rec;
    int64_t offset = (int64_t)t->n++;
    if (!p->from)
        return;
    sim_end *e = p->from;
    GROW(e->reports, e->n_reports, e->cap_reports);
    e->reports[e->n_reports++] = (sim_report){.token = p->token, .offset = offset};
}

static void report_failed(sim_end *e, uint64_t token)
{
    GROW(e->reports, e->n_reports, e->cap_reports);
    e->reports[e->n_reports++] = (sim_report){.token = token, .offset = -1, .failed = true};
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

static int t_send(void *ctx, const void *buf, size_t len, uint64_t token, char *err, size_t errlen)
{
    sim_end *e = ctx;
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
        GROW(e->reports, e->n_reports, e->cap_reports);
        e->reports[e->n_reports++] = (sim_report){.token = token, .offset = -1};
        return 0;
    }
    queue_rec(m, e, buf, len, token, at, a == SIM_FAIL);
    if (a == SIM_DUP)
        queue_rec(m, e, buf, len, 0, at, false);
    return 0;
}

static int t_poll(void *ctx, transport_record *rec, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    sim_end *e = ctx;
    sim_topic *t = &e->side->m->topics[e->in];
    if (!e->open || e->pos >= (int64_t)t->n)
        return 0;
    rec->offset = e->pos;
    rec->data = t->log[e->pos].data;
    rec->len = t->log[e->pos].len;
    rec->handle = NULL;
    e->pos++;
    return 1;
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

static int t_serve(void *ctx)
{
    sim_end *e = ctx;
    size_t n = e->n_reports;
    for (size_t i = 0; i < e->n_reports; i++) { /* callbacks may send: reports may grow */
        sim_report r = e->reports[i];
        e->cb(e->cb_ctx, r.token, r.offset, r.failed ? "Local: Message timed out" : NULL);
    }
    n = e->n_reports;
    e->n_reports = 0;
    return (int)n;
}

static int t_flush(void *ctx, int timeout_ms)
{
    (void)timeout_ms;
    sim_end *e = ctx;
    deliver(e->side->m, e);
    t_serve(e);
    return 0;
}

static int64_t t_end_offset(void *ctx, int timeout_ms)
{
    (void)timeout_ms;
    sim_end *e = ctx;
    return (int64_t)e->side->m->topics[e->in].n;
}

static int t_fds(void *ctx, int fds[2])
{
    (void)ctx;
    (void)fds;
    return 0;
}

static void t_drain(void *ctx, int fd)
{
    (void)ctx;
    (void)fd;
}

static void t_close(void *ctx)
{
    sim_end *e = ctx;
    if (e->group && e->open)
        e->side->m->topics[e->in].committed = e->stored;
    e->open = false;
}

static void t_free(void *ctx)
{
    sim_end *e = ctx;
    sim *m = e->side->m;
    for (size_t i = 0; i < m->n_pending; i++) /* in flight: still lands, nobody hears of it */
        if (m->pending[i].from == e)
            m->pending[i].from = NULL;
    e->side->end = NULL;
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
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
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

static void collect(sim_side *side)
{
    ui_event *ev;
    while (side->q && event_queue_pop(side->q, &ev)) {
        GROW(side->evs, side->n_evs, side->cap_evs);
        side->evs[side->n_evs++] = ev;
        if (ev->type == UI_EV_DONE)
            side->code = ev->code;
    }
}

void sim_start(sim_side *side)
{
    char err[256];
    side->q = event_queue_new();
    side->s = session_new(&side->cfg, side->q, err, sizeof err);
    if (!side->s)
        abort();
    side->live = true;
    session_begin(side->s);
    session_flush_events(side->s);
    collect(side);
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
                ev->reason ? ev->reason : "");
    }
}
