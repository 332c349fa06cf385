/* session: the session thread, its loop and its life cycle. One poll() waits on the front end's
 * input, the consumer and the producer; timers (retransmission, gaps, handshake retries,
 * timeouts) are checked at least every SESSION_TICK_MS. After each batch of records the listen
 * state is saved, then the batch's events are shown, then the consumer's offset is stored: a
 * record's offset is committed only after what it carried was shown (or echoed). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "src/session_internal.h"
#include "sys/clock.h"

#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(LISTEN_STATE_SID_LEN == FRAME_SESSION_LEN, "the listen state holds a session id");

#define SESSION_TICK_MS 100
#define SESSION_CLOSE_FLUSH_MS 3000

double session_now_ms(const session *s)
{
    return clock_now(&s->clock);
}

static void on_net_log(void *ctx, int level, const char *line)
{
    session *s = ctx;
    (void)level;
    ui_event *ev = session_event(UI_EV_LOG);
    if (ev) {
        ev->text = strdup(line);
        event_queue_push(s->events, ev); /* librdkafka threads: straight to the queue */
    }
}

ui_state session_current_state(const session *s)
{
    if (s->confirmed || (s->ch && channel_established(s->ch)))
        return UI_STATE_SECURE;
    if (s->ch || session_hs_pending(s))
        return UI_STATE_HANDSHAKING;
    return UI_STATE_WAITING;
}

static void on_net_error(void *ctx, int level, const char *line)
{
    session *s = ctx;
    /* Starting (no consumer yet) or ending: a failure there gets one line of the session's own
     * (setup_kafka, shutdown_session); the clients' "all brokers down" would only repeat it. */
    if (s->done || !s->receiving)
        return;
    /* Level 5: Kafka itself is out (a leader election) and being waited out: said, not an
     * error, and not counted as the peer's silence; level 6: it flows again. */
    if (level == 5 && s->kafka_out_since == 0)
        s->kafka_out_since = session_now_ms(s);
    else if (level >= 6 && s->kafka_out_since != 0) {
        s->kafka_out_since = 0;
        session_hs_excuse_silence(s);
    }
    ui_event *ev = session_event(UI_EV_STATE);
    if (!ev)
        return;
    ev->state = level >= 5 ? session_current_state(s) : UI_STATE_BROKEN;
    ev->text = strdup(line);
    event_queue_push(s->events, ev);
}

/* The front end's thread: it has shown what the session waits for. */
static void on_shown(void *ctx)
{
    session *s = ctx;
    wake_signal(&s->in_wake);
}

session *session_new(const session_config *cfg, event_queue *events, char *err, size_t errlen)
{
    session *s = calloc(1, sizeof *s);
    if (!s || wake_init(&s->in_wake) != 0) {
        snprintf(err, errlen, "out of memory");
        free(s);
        return NULL;
    }
    if (wake_init(&s->room_wake) != 0) {
        snprintf(err, errlen, "out of memory");
        wake_close(&s->in_wake);
        free(s);
        return NULL;
    }
    s->cfg = *cfg;
    s->cfg.net.log = on_net_log;
    s->cfg.net.on_error = on_net_error;
    s->cfg.net.log_ctx = s;
    s->events = events;
    if (cfg->front_confirms)
        event_queue_on_shown(events, on_shown, s);
    s->clock = cfg->clock ? *cfg->clock : (kchat_clock){.now_ms = clock_monotonic_ms};
    bool bob = cfg->role == SESSION_BOB;
    s->in_topic = bob ? cfg->a2b : cfg->b2a;
    s->out_topic = bob ? cfg->b2a : cfg->a2b;
    pthread_mutex_init(&s->in_lock, NULL);
    pthread_cond_init(&s->in_room, NULL);
    pthread_mutex_init(&s->attach_lock, NULL);
    pthread_cond_init(&s->attach_cond, NULL);
    session_hs_init(s, cfg->state);
    session_rx_init(s, cfg->state);
    session_tx_init(s, cfg->state);
    return s;
}

/* ---- input from the front end ---- */

static void append_item(input_item **head, input_item **tail, input_item *it)
{
    if (*tail)
        (*tail)->next = it;
    else
        *head = it;
    *tail = it;
}

static void free_item(input_item *it)
{
    sodium_memzero(it->text, it->len);
    free(it);
}

/* What a queued line costs: its text and the item around it (so empty lines count too). */
static size_t item_cost(const input_item *it)
{
    return sizeof *it + it->len + 1;
}

static bool input_full(const session *s, const input_item *it)
{
    return s->in_bytes > 0 && s->in_bytes + item_cost(it) > SESSION_INPUT_MAX_BYTES &&
           !s->in_closed;
}

/* Queues it; a line waits for room (wait) or is refused (returns false, it is freed). */
static bool post(session *s, input_item *it, bool wait)
{
    pthread_mutex_lock(&s->in_lock);
    while (it->kind == IN_LINE && wait && input_full(s, it))
        pthread_cond_wait(&s->in_room, &s->in_lock);
    if (it->kind == IN_LINE && input_full(s, it)) {
        s->in_refused = true; /* take_input signals room_wake when it makes room */
        pthread_mutex_unlock(&s->in_lock);
        free_item(it); /* the text is a message: wiped */
        return false;
    }
    /* The session takes all it can at each wake-up, so it needs a wake-up only when it may be
     * idle with nothing to take: the queues were empty, or this is a command (lines may be
     * waiting for room, but a command never waits). */
    bool need_wake = it->kind == IN_COMMAND || (!s->in_tail && !s->cmd_tail);
    if (it->kind == IN_COMMAND) {
        append_item(&s->cmd_head, &s->cmd_tail, it);
    } else {
        append_item(&s->in_head, &s->in_tail, it);
        s->in_bytes += it->kind == IN_LINE ? item_cost(it) : 0;
    }
    pthread_mutex_unlock(&s->in_lock);
    if (need_wake)
        wake_signal(&s->in_wake);
    return true;
}

static input_item *new_item(int kind, const char *text, size_t len)
{
    input_item *it = malloc(sizeof *it + len + 1);
    if (!it)
        return NULL;
    it->kind = kind;
    it->len = len;
    it->next = NULL;
    if (len)
        memcpy(it->text, text, len);
    it->text[len] = '\0';
    return it;
}

static bool post_new(session *s, int kind, const char *text, size_t len, bool wait)
{
    input_item *it = new_item(kind, text, len);
    if (!it) { /* out of memory: refused; the front end may try again when woken */
        wake_signal(&s->room_wake);
        return false;
    }
    return post(s, it, wait);
}

bool session_try_post_line(session *s, const char *text, size_t len)
{
    return post_new(s, IN_LINE, text, len, false);
}

void session_post_line(session *s, const char *text, size_t len)
{
    post_new(s, IN_LINE, text, len, true);
}

void session_post_eof(session *s)
{
    post_new(s, IN_EOF, NULL, 0, true);
}

void session_post_command(session *s, session_command cmd)
{
    input_item *it = new_item(IN_COMMAND, NULL, 0);
    if (!it) { /* out of memory: lost, like any allocation failure here */
        wake_signal(&s->room_wake);
        return;
    }
    it->cmd = cmd;
    post(s, it, true);
}

int session_room_fd(const session *s)
{
    return s->room_wake.rfd;
}

void session_room_drain(session *s)
{
    wake_drain(&s->room_wake);
}

/* Room in the outbox for a line of len bytes (a line always fits an empty outbox). */
static bool outbox_room(const session *s, size_t n, size_t bytes, size_t len)
{
    const outbox *out = session_tx_outbox(s);
    if (out->n + n == 0)
        return true;
    return out->n + n < SESSION_OUTBOX_MAX && out->bytes + bytes + len <= SESSION_OUTBOX_MAX_BYTES;
}

/* Takes the lines the outbox has room for, in order (all of them if `all`), the end of input
 * once no line is left before it, then every command. */
static input_item *take_input(session *s, bool all)
{
    size_t n = 0, bytes = 0, cost = 0;
    input_item *taken = NULL, **tail = &taken;
    pthread_mutex_lock(&s->in_lock);
    input_item *it = s->in_head;
    while (it && (all || it->kind == IN_EOF ||
                  (outbox_room(s, n, bytes, it->len) &&
                   (n == 0 || bytes + it->len <= SESSION_STEP_BYTES)))) {
        n += it->kind == IN_LINE;
        bytes += it->len;
        cost += it->kind == IN_LINE ? item_cost(it) : 0;
        *tail = it;
        tail = &it->next;
        it = it->next;
    }
    s->in_more = it && it->kind == IN_LINE && outbox_room(s, n, bytes, it->len);
    *tail = s->cmd_head; /* the commands follow the lines taken */
    s->in_head = it;
    if (!it)
        s->in_tail = NULL;
    s->cmd_head = s->cmd_tail = NULL;
    s->in_bytes -= cost;
    bool room = n && s->in_refused;
    if (room)
        s->in_refused = false;
    if (n)
        pthread_cond_broadcast(&s->in_room);
    pthread_mutex_unlock(&s->in_lock);
    if (room)
        wake_signal(&s->room_wake);
    return taken;
}

static void command(session *s, session_command cmd)
{
    switch (cmd) {
    case SESSION_CMD_QUIT:
        session_finish(s, KCHAT_EXIT_OK);
        break;
    case SESSION_CMD_REKEY:
        /* the rekey event itself comes from check_epochs, like automatic rekeys */
        if (!s->ch || !channel_established(s->ch) || channel_rekey_now(s->ch) != CHANNEL_OK) {
            session_emit_text(s, UI_EV_ERROR, "no secure channel to rekey yet");
        }
        break;
    case SESSION_CMD_STATS:
        session_emit_stats(s);
        break;
    }
}

static void handle_input(session *s)
{
    input_item *it = take_input(s, false);
    while (it) {
        input_item *next = it->next;
        if (it->kind == IN_LINE)
            session_tx_queue(s, (const uint8_t *)it->text, it->len, 0);
        else if (it->kind == IN_EOF)
            s->input_eof = true;
        else
            command(s, it->cmd);
        free_item(it);
        it = next;
    }
}

/* ---- Kafka records ---- */

static void handle_record(session *s, const transport_record *rec)
{
    frame f;
    if (frame_parse(rec->data, rec->len, &f) != 0) {
        if (rec->offset >= s->startup_end)
            session_emit_rejected(s, UI_REJECT_MALFORMED, rec->offset);
        return;
    }
    if (f.type == FRAME_DATA || f.type == FRAME_CLOSE)
        session_rx_data(s, &f, rec->data, rec->len, rec->offset);
    else
        session_hs_frame(s, &f, rec->data, rec->len, rec->offset);
}

static int64_t consume_batch(session *s)
{
    int64_t last = -1;
    char err[256];
    for (int i = 0; i < SESSION_BATCH && !s->done; i++) {
        transport_record rec;
        int rc = s->tp.ops->poll(s->tp.ctx, &rec, err, sizeof err);
        if (rc == 0)
            break;
        if (rc < 0) {
            session_emit_text(s, UI_EV_ERROR, "reading %s: %s", s->in_topic, err);
            if (strstr(err, "refused the login") || strstr(err, "not authorized"))
                session_finish(s, KCHAT_EXIT_ERROR); /* waiting cannot mend it */
            break;
        }
        handle_record(s, &rec);
        last = rec.offset;
        s->tp.ops->release(s->tp.ctx, &rec);
    }
    return last;
}

/* ---- timers and the end ---- */

static bool all_done(const session *s)
{
    const outbox *out = session_tx_outbox(s);
    if (!s->input_eof || !s->confirmed || out->n)
        return false;
    return !s->peer_echoes || session_rx_echoed(s)->upto + 1 >= out->next_seq;
}

static void describe_missing(session *s)
{
    const outbox *out = session_tx_outbox(s);
    const seqset *echoed = session_rx_echoed(s);
    uint64_t sent = out->next_seq - 1;
    if (!s->ever_established) {
        bool unconfirmed = s->ch && channel_established(s->ch);
        session_emit_text(s, UI_EV_ERROR, "timed out after %.0f s before the channel was %s",
                          s->cfg.timeout_s, unconfirmed ? "confirmed by the peer" : "secure");
        return;
    }
    unsigned long long undelivered = out->n, unechoed = 0;
    if (s->peer_echoes && sent > echoed->upto)
        unechoed = sent - echoed->upto - echoed->n;
    const out_msg *first = outbox_at(out, 0);
    char which[64] = "";
    if (first)
        snprintf(which, sizeof which, " (first: seq %llu)", (unsigned long long)first->seq);
    session_emit_text(s, UI_EV_ERROR,
                      "timed out after %.0f s: %llu of %llu messages not delivered%s, %llu "
                      "not echoed (first missing echo: seq %llu)",
                      s->cfg.timeout_s, undelivered, (unsigned long long)sent, which, unechoed,
                      (unsigned long long)(echoed->upto + 1));
}

static void timers(session *s, double now)
{
    session_tx_watch_kafka(s, now); /* before the handshake's: a stall is no peer silence */
    session_hs_timers(s, now);
    session_rx_timers(s, now);
    if (s->done)
        return;
    if (s->cfg.exit_when_done && all_done(s)) {
        session_finish(s, KCHAT_EXIT_OK);
    } else if (s->deadline_ms && now >= s->deadline_ms) {
        describe_missing(s);
        session_finish(s, KCHAT_EXIT_TIMEOUT);
    }
}

void session_finish(session *s, int code)
{
    if (s->done)
        return;
    s->done = true;
    s->exit_code = code;
}

static void check_epochs(session *s)
{
    if (!s->ch || !channel_established(s->ch))
        return;
    uint64_t se = channel_send_epoch(s->ch), re = channel_recv_epoch(s->ch);
    if (se > s->send_epoch || re > s->recv_epoch) {
        ui_event *ev = session_event(UI_EV_REKEY);
        if (ev) {
            ev->out = se > s->send_epoch;
            ev->seq = ev->out ? se : re;
            session_emit(s, ev);
        }
    }
    s->send_epoch = se;
    s->recv_epoch = re;
}

/* ---- set-up and the loop ---- */

const transport_factory *session_default_transport;

static int setup_kafka(session *s)
{
    char err[512];
    bool bob = s->cfg.role == SESSION_BOB;
    session_emit_state(s, UI_STATE_CONNECTING, "connecting to Kafka");
    session_flush_events(s);
    /* Bob's consumer group is named after the topic he reads, so both share the prefix an
     * operator grants (--topic-prefix); Alice reads by assignment and needs no group. */
    const char *group = s->in_topic;
    transport_params p = {
        .net = &s->cfg.net,
        .in_topic = s->in_topic,
        .out_topic = s->out_topic,
        .group = bob ? group : NULL,
        .from_stored = bob,
        .on_delivery = session_tx_delivery,
        .delivery_ctx = s,
    };
    const transport_factory *f = s->cfg.transport ? s->cfg.transport : session_default_transport;
    int rc = f ? f->open(f->arg, &p, &s->tp, err, sizeof err)
               : transport_kafka_open(NULL, &p, &s->tp, err, sizeof err);
    if (rc != 0) {
        session_emit_text(s, UI_EV_ERROR, "%s", err);
        return -1;
    }
    s->receiving = true;
    s->startup_end = bob ? s->tp.ops->end_offset(s->tp.ctx, SESSION_KAFKA_WAIT_MS) : 0;
    if (s->startup_end < 0) {
        session_emit_text(s, UI_EV_ERROR, "cannot read the end of topic %s (Kafka at %s)",
                          s->in_topic, s->cfg.net.brokers ? s->cfg.net.brokers : "?");
        return -1;
    }
    return 0;
}

static void wait_for_work(session *s, int timeout_ms)
{
    struct pollfd fds[3] = {{.fd = s->in_wake.rfd, .events = POLLIN}};
    int tfd[2];
    int n = 1 + s->tp.ops->fds(s->tp.ctx, tfd);
    for (int i = 1; i < n; i++)
        fds[i] = (struct pollfd){.fd = tfd[i - 1], .events = POLLIN};
    if (poll(fds, (nfds_t)n, timeout_ms) <= 0)
        return;
    if (fds[0].revents & POLLIN)
        wake_drain(&s->in_wake);
    for (int i = 1; i < n; i++)
        if (fds[i].revents & POLLIN)
            s->tp.ops->drain(s->tp.ctx, fds[i].fd);
}

/* Messages settled and saved: the front end may make them visible (a crash can no longer show
 * them twice). A failed save ends the session, and then the front end shows them anyway. */
static void announce_recorded(session *s)
{
    if (s->cfg.front_confirms)
        event_queue_recorded(s->events, session_rx_settled_qno(s));
}

/* What the step journaled and the sequence numbers it handed out are saved before anything is
 * sent (the journal first: it holds the messages the listen state numbers): written (a killed
 * process has it), then announced (the front end may show it), then synced. */
static void save_step(session *s)
{
    session_journal_write(s);
    session_store_save(s);
    announce_recorded(s);
    session_journal_sync(s);
}

/* What the front end has shown is settled (acknowledged, echoed, recorded); for the rest a
 * receipt is asked for, which wakes the loop. */
static void settle(session *s)
{
    if (!s->cfg.front_confirms)
        return;
    uint64_t want = session_rx_settle(s);
    if (want)
        event_queue_want_shown(s->events, want);
}

/* At the end of a step: a receipt is asked for what waits for one; what the front end has shown
 * already is settled by the next step, at once (session_wait_ms). */
static void ask_receipt(session *s)
{
    uint64_t want = s->cfg.front_confirms ? session_rx_unsettled_qno(s) : 0;
    if (want)
        event_queue_want_shown(s->events, want);
}

void session_step(session *s)
{
    settle(s);
    int64_t last = consume_batch(s);
    s->tp.ops->serve(s->tp.ctx);
    handle_input(s); /* after the acknowledgements above made room in the outbox */
    double now = session_now_ms(s);
    timers(s, now);
    save_step(s);
    /* shown at once: what was journaled as shown is on its way to the front end before the
     * step goes on (a process killed in between would neither show it nor show it again) */
    session_flush_events(s);
    session_tx_pump(s, now);
    session_tx_ack(s, now);
    check_epochs(s);
    session_stats_tick(s, now);
    save_step(s);
    session_flush_events(s);
    ask_receipt(s); /* settling here would leave its echo unsent until the next wake-up */
    if (last >= 0 && s->cfg.role == SESSION_BOB)
        s->tp.ops->done(s->tp.ctx, session_rx_done_offset(s, last));
}

int session_wait_ms(const session *s)
{
    if ((s->in_more || session_rx_settle_ready(s)) && !s->done)
        return 0;
    return session_tx_wait_ms(s, session_now_ms(s), SESSION_TICK_MS);
}

void session_attach_state(session *s, conv_state *journal, history *hist, const char *err)
{
    pthread_mutex_lock(&s->attach_lock);
    s->attach_journal = err ? NULL : journal;
    s->attach_history = err ? NULL : hist;
    snprintf(s->attach_err, sizeof s->attach_err, "%s", err ? err : "");
    s->attached = true;
    pthread_cond_broadcast(&s->attach_cond);
    pthread_mutex_unlock(&s->attach_lock);
}

/* cfg.state_later: waits for the journal and history, then restores from them what session_new
 * could not (the conversation id, our outbox and numbers, the peer's messages shown). -1 when
 * they could not be opened (said). */
static int take_state(session *s)
{
    pthread_mutex_lock(&s->attach_lock);
    while (!s->attached)
        pthread_cond_wait(&s->attach_cond, &s->attach_lock);
    pthread_mutex_unlock(&s->attach_lock);
    if (s->attach_err[0]) {
        session_emit_text(s, UI_EV_ERROR, "%s", s->attach_err);
        return -1;
    }
    s->cfg.journal = s->attach_journal;
    s->cfg.history = s->attach_history;
    session_hs_init_conv(s, s->cfg.state);
    session_tx_free(s);
    session_rx_free(s);
    session_tx_init(s, s->cfg.state);
    session_rx_init(s, s->cfg.state);
    return s->done ? -1 : 0; /* a restore that ran out of memory said so */
}

void session_begin(session *s)
{
    if (s->cfg.timeout_s > 0)
        s->deadline_ms = session_now_ms(s) + s->cfg.timeout_s * 1000.0;
    if (!s->cfg.state_later)
        session_journal_show_history(s);
    bool kafka = setup_kafka(s) == 0;
    bool state = !s->cfg.state_later || take_state(s) == 0; /* both said when both failed */
    if (!kafka || !state) {
        session_finish(s, KCHAT_EXIT_ERROR);
        return;
    }
    if (s->cfg.state_later)
        session_journal_show_history(s);
    if (s->cfg.role == SESSION_ALICE) {
        if (session_hs_begin(s) != 0)
            session_finish(s, KCHAT_EXIT_ERROR);
    } else {
        session_emit_state(s, UI_STATE_WAITING,
                           s->cfg.psk ? "waiting for the peer"
                                      : "waiting for the peer (--trust-any: whoever connects is "
                                        "accepted, nobody is pinned)");
    }
}

/* The front end has up to this long, at the end, to show what it was handed (and so have it
 * recorded as shown); what it has not shown by then is shown again on resume. */
#define SESSION_END_RECEIPT_MS 1000

/* A thread of its own (not a test stepping the session): the front end runs meanwhile. */
static void await_receipts(session *s)
{
    double until = sys_now_ms() + SESSION_END_RECEIPT_MS;
    for (;;) {
        session_flush_events(s);
        uint64_t want = s->cfg.front_confirms ? session_rx_settle(s) : 0;
        save_step(s);
        double left = until - sys_now_ms();
        if (!want || left <= 0 || !s->own_thread)
            return;
        event_queue_want_shown(s->events, want);
        if (session_rx_settle_ready(s))
            continue;
        struct pollfd p = {.fd = s->in_wake.rfd, .events = POLLIN};
        if (poll(&p, 1, (int)left + 1) > 0)
            wake_drain(&s->in_wake);
    }
}

void session_end(session *s)
{
    await_receipts(s);
    if (!session_journal_failed(s)) /* its acknowledgement may cover what was not journaled */
        session_tx_close(s);
    if (s->tp.ops && s->tp.ops->flush(s->tp.ctx, SESSION_CLOSE_FLUSH_MS) != 0)
        session_emit_text(s, UI_EV_ERROR, "some records were not confirmed by Kafka at exit");
    session_journal_sync(s);
    session_store_sync(s);
    session_emit_state(s, UI_STATE_CLOSED, "closed");
    session_flush_events(s);
    if (s->cfg.front_confirms) /* nothing more will be recorded: the front end waits no longer */
        event_queue_recorded(s->events, UINT64_MAX);
    if (s->receiving)
        s->tp.ops->close(s->tp.ctx);
    s->receiving = false;
    pthread_mutex_lock(&s->in_lock);
    s->in_closed = true; /* nobody takes lines any more: posts must not wait */
    pthread_cond_broadcast(&s->in_room);
    pthread_mutex_unlock(&s->in_lock);
    wake_signal(&s->room_wake);
    ui_event *ev = session_event(UI_EV_DONE);
    if (ev) {
        ev->code = s->exit_code;
        event_queue_push(s->events, ev);
    }
}

static void *session_main(void *arg)
{
    session *s = arg;
    pthread_setname_np(pthread_self(), "kchat-session"); /* for top -H, perf, gdb */
    s->own_thread = true;
    session_begin(s);
    while (!s->done) {
        session_flush_events(s);
        wait_for_work(s, session_wait_ms(s));
        session_step(s);
    }
    session_end(s);
    return NULL;
}

int session_start(session *s)
{
    if (pthread_create(&s->thread, NULL, session_main, s) != 0)
        return -1;
    s->started = true;
    return 0;
}

int session_join(session *s)
{
    pthread_mutex_lock(&s->attach_lock);
    bool waiting = s->cfg.state_later && !s->attached;
    pthread_mutex_unlock(&s->attach_lock);
    if (waiting) /* a front end that ends before handing the files over: not a hang */
        session_attach_state(s, NULL, NULL, "ended before the conversation state was opened");
    if (s->started) {
        pthread_join(s->thread, NULL);
        s->started = false;
    }
    return s->exit_code;
}

size_t session_undelivered(session *s)
{
    size_t n = 0;
    const outbox *o = session_tx_outbox(s);
    for (size_t i = 0; i < o->n; i++)
        n += outbox_at(o, i)->echo_of == 0;
    pthread_mutex_lock(&s->in_lock);
    for (const input_item *it = s->in_head; it; it = it->next)
        n += it->kind == IN_LINE;
    pthread_mutex_unlock(&s->in_lock);
    return n;
}

void session_free(session *s)
{
    if (!s)
        return;
    session_join(s);
    input_item *it = take_input(s, true);
    while (it) {
        input_item *next = it->next;
        free_item(it);
        it = next;
    }
    if (s->tp.ops)
        s->tp.ops->free(s->tp.ctx);
    session_hs_free(s);
    session_rx_free(s);
    session_tx_free(s);
    for (size_t i = 0; i < s->n_held; i++)
        ui_event_free(s->held[i]);
    free(s->held);
    wake_close(&s->in_wake);
    wake_close(&s->room_wake);
    pthread_cond_destroy(&s->in_room);
    pthread_mutex_destroy(&s->in_lock);
    pthread_cond_destroy(&s->attach_cond);
    pthread_mutex_destroy(&s->attach_lock);
    free(s);
}
