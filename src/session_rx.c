/* session_rx: sealed frames from the peer. Each is opened by the channel (which refuses
 * tampered, replayed and foreign frames without changing state), its acknowledgement releases our
 * outbox, and a message is reassembled, shown once (duplicates from retransmission or redelivery
 * are dropped by sequence number), echoed by Bob with --echo, and acknowledged; the messages of a
 * batch record each take that same path, in order. Holes in the peer's sequence that stay open
 * past a short grace are reported as gaps. */
#include "src/session_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void drop_text(uint8_t *text, size_t len)
{
    sodium_memzero(text, len);
    free(text);
}

/* Takes text (malloc'ed, NUL after len bytes) into the event: no copy. receipt: the front end
 * shows it only once it is recorded (see hand_over). */
static void emit_message(session *s, ui_event_type type, uint64_t seq, uint8_t *text, size_t len,
                         double ms, bool receipt)
{
    ui_event *ev = session_event(type);
    if (!ev) {
        drop_text(text, len);
        return;
    }
    ev->seq = seq;
    ev->text = (char *)text;
    ev->text_len = len;
    ev->ms = ms;
    ev->receipt = receipt;
    session_emit(s, ev);
}

static void set_acked(session *s, uint64_t upto)
{
    s->rx.acked_in = upto;
    session_store_acked(s, upto);
}

/* Bob with --echo: he echoes the peer's messages (not its echoes) and acknowledges them so. */
static bool bob_echoes(const session *s)
{
    return s->cfg.echo && s->cfg.role == SESSION_BOB;
}

/* Bob's echo of the peer's message seq goes into his outbox. */
static void queue_echo(session *s, const uint8_t *text, size_t len, uint64_t seq)
{
    session_tx_queue(s, text, len, seq);
    if (seq > s->rx.echo_queued)
        s->rx.echo_queued = seq;
}

/* ---- settling: what is on the screen is acknowledged, echoed and recorded as shown ---- */

/* Our message seq's echo is on the screen. An echo is Bob's proof that he showed the message and
 * Kafka took his echo, which is what his acknowledgement says: the echoed prefix counts as
 * acknowledged. */
static void settle_echo(session *s, uint64_t seq)
{
    seqset_add(&s->rx.echo_shown, seq);
    session_journal_echoed(s, s->rx.echo_shown.upto);
    if (s->rx.echo_shown.upto > session_tx_outbox(s)->acked)
        session_tx_acked(s, s->rx.echo_shown.upto);
}

/* The peer's message u->seq (and the echo it carries) is on the screen: Bob with --echo echoes
 * it (and acknowledges it once Kafka took the echo), anyone else acknowledges it. */
static void settle(session *s, const unsettled *u)
{
    if (u->acked_upto) {
        session_journal_acked(s, u->acked_upto);
        return;
    }
    seqset_add(&s->rx.shown, u->seq);
    session_store_shown(s, s->rx.shown.upto);
    session_journal_shown(s, u->seq);
    if (u->echo_of)
        settle_echo(s, u->echo_of);
    if (bob_echoes(s) && !u->echo) {
        queue_echo(s, u->text, u->len, u->seq);
    } else {
        set_acked(s, s->rx.shown.upto);
        /* its receipt may come after the acknowledgement timer fired with nothing new to say:
         * without a timer of its own the peer's window would stay full until it resends */
        session_ack_soon(s, false);
    }
}

static void drop_unsettled(unsettled *u)
{
    if (u->text)
        drop_text(u->text, u->len);
    u->text = NULL;
}

/* Room for one more at the end of the unsettled array. */
static int reserve_unsettled(session_rx_part *rx)
{
    if (rx->n_unsettled < rx->cap_unsettled)
        return 0;
    if (rx->unsettled_head > 0) { /* slide the live ones down */
        size_t n = rx->n_unsettled - rx->unsettled_head;
        memmove(rx->unsettled, rx->unsettled + rx->unsettled_head, n * sizeof *rx->unsettled);
        rx->unsettled_head = 0;
        rx->n_unsettled = n;
        if (n < rx->cap_unsettled)
            return 0;
    }
    size_t cap = rx->cap_unsettled ? rx->cap_unsettled * 2 : 64;
    unsettled *u = realloc(rx->unsettled, cap * sizeof *u);
    if (!u)
        return -1;
    rx->unsettled = u;
    rx->cap_unsettled = cap;
    return 0;
}

/* The peer's message r (echo_of: the echo of ours it carries, or 0) is handed to the front end
 * (shown: with an event): settled now (no receipts, no event, or out of memory), or once the
 * front end has it. Returns true when the settling waits for the front end's receipt. */
static bool hand_over(session *s, const channel_record *r, uint64_t echo_of, const uint8_t *text,
                      size_t len, bool shown)
{
    bool echo = r->flags & RECORD_FLAG_ECHO;
    bool echoed_by_us = bob_echoes(s) && !echo;
    unsettled u = {
        .seq = r->seq, .echo = echo, .echo_of = echo_of, .text = (uint8_t *)text, .len = len};
    if (!s->cfg.front_confirms || !shown) {
        settle(s, &u);
        return false;
    }
    u.text = NULL;
    if (echoed_by_us && (u.text = malloc(len + 1)) != NULL && len)
        memcpy(u.text, text, len);
    if ((echoed_by_us && !u.text) || reserve_unsettled(&s->rx) != 0) {
        free(u.text);
        u.text = (uint8_t *)text;
        settle(s, &u);
        return false;
    }
    s->rx.unsettled[s->rx.n_unsettled++] = u;
    return true;
}

void session_rx_defer_acked(session *s, uint64_t upto, bool delivered)
{
    if (!s->cfg.front_confirms || !delivered || reserve_unsettled(&s->rx) != 0) {
        session_journal_acked(s, upto);
        return;
    }
    s->rx.unsettled[s->rx.n_unsettled++] = (unsettled){.acked_upto = upto};
}

void session_rx_pushed(session *s, uint64_t qno)
{
    session_rx_part *rx = &s->rx;
    for (size_t i = rx->n_unsettled; i > rx->unsettled_head && rx->unsettled[i - 1].qno == 0; i--)
        rx->unsettled[i - 1].qno = qno;
}

static const unsettled *oldest_unsettled(const session *s)
{
    return s->rx.unsettled_head < s->rx.n_unsettled ? &s->rx.unsettled[s->rx.unsettled_head] : NULL;
}

uint64_t session_rx_settle(session *s)
{
    session_rx_part *rx = &s->rx;
    uint64_t shown = event_queue_shown_upto(s->events);
    while (rx->unsettled_head < rx->n_unsettled) {
        unsettled *u = &rx->unsettled[rx->unsettled_head];
        if (u->qno == 0 || u->qno > shown)
            break;
        rx->unsettled_head++;
        settle(s, u);
        rx->settled_qno = u->qno;
        drop_unsettled(u);
    }
    if (rx->unsettled_head == rx->n_unsettled)
        rx->unsettled_head = rx->n_unsettled = 0;
    const unsettled *u = oldest_unsettled(s);
    return u ? u->qno : 0;
}

uint64_t session_rx_unsettled_qno(const session *s)
{
    const unsettled *u = oldest_unsettled(s);
    return u ? u->qno : 0;
}

uint64_t session_rx_settled_qno(const session *s)
{
    return s->rx.settled_qno;
}

bool session_rx_settle_ready(const session *s)
{
    const unsettled *u = oldest_unsettled(s);
    return u && u->qno && u->qno <= event_queue_shown_upto(s->events);
}

/* Messages not yet on the screen are forgotten (shown again after a restart). Acknowledgements
 * are journaled first when the conversation goes on (journal_acks: a new conversation must not
 * renumber and resend what they cover); at the end they are not (their delivered events were
 * never shown: a resumed side shows them then). */
static void drop_all_unsettled(session *s, bool journal_acks)
{
    for (size_t i = s->rx.unsettled_head; i < s->rx.n_unsettled; i++) {
        if (journal_acks && s->rx.unsettled[i].acked_upto)
            session_journal_acked(s, s->rx.unsettled[i].acked_upto);
        drop_unsettled(&s->rx.unsettled[i]);
    }
    s->rx.unsettled_head = s->rx.n_unsettled = 0;
}

/* ---- receiving ---- */

/* The echo carried by the peer's message r: a new one is handed over with it (0: none). */
static uint64_t new_echo(session *s, const channel_record *r, int64_t offset)
{
    if (r->echo_of == 0 || r->echo_of >= session_tx_outbox(s)->next_seq) {
        /* acknowledged all the same: its sender would resend it for ever */
        session_emit_rejected(s, UI_REJECT_UNKNOWN_ECHO, offset);
        return 0;
    }
    if (!seqset_add(&s->rx.echoed, r->echo_of))
        return 0;
    session_count(s, STAT_ECHOED);
    return r->echo_of;
}

/* Owns text. */
static void on_echo(session *s, const channel_record *r, uint8_t *text, size_t len, int64_t offset)
{
    uint64_t echo_of = new_echo(s, r, offset);
    bool receipt = hand_over(s, r, echo_of, NULL, 0, echo_of != 0);
    if (!echo_of) {
        drop_text(text, len);
        return;
    }
    double rtt = -1;
    const double *sent = session_tx_sent_time(s, echo_of);
    if (sent)
        rtt = session_now_ms(s) - *sent;
    if (rtt >= 0)
        session_note_rtt(s, rtt);
    emit_message(s, UI_EV_ECHO, echo_of, text, len, rtt, receipt);
}

/* Owns text. */
static void show(session *s, const channel_record *r, uint8_t *text, size_t len, int64_t offset)
{
    seqset_add(&s->rx.seen, r->seq);
    if (r->flags & RECORD_FLAG_ECHO) {
        on_echo(s, r, text, len, offset);
    } else {
        session_journal_history(s, r->seq, text, len);
        session_count(s, STAT_RECEIVED);
        bool receipt = hand_over(s, r, 0, text, len, true);
        emit_message(s, UI_EV_MESSAGE, r->seq, text, len, 0, receipt);
    }
    if (seqset_max(&s->rx.seen) > s->rx.seen.upto && s->rx.gap_due_ms == 0)
        s->rx.gap_due_ms = session_now_ms(s) + SESSION_GAP_GRACE_MS;
}

/* Bob echoes a message he showed before when it comes again and no echo of it is on its way. */
static bool echo_again(const session *s, const channel_record *r)
{
    bool in_flight = r->seq <= s->rx.echo_queued && r->seq > s->rx.echo_confirmed;
    return bob_echoes(s) && !(r->flags & RECORD_FLAG_ECHO) && seqset_has(&s->rx.shown, r->seq) &&
           !in_flight;
}

/* A message shown before, sent again: its sender has not shown our echo (it keeps a message
 * until then, see session_rx_data), so Bob echoes it again unless that echo is on its way, e.g.
 * after a restart of either side lost it. */
static void again(session *s, const channel_record *r, uint8_t *text, size_t len)
{
    if (echo_again(s, r))
        queue_echo(s, text, len, r->seq);
}

static void on_msg(session *s, const channel_record *r, int64_t offset)
{
    if (r->seq == 0) {
        session_emit_rejected(s, UI_REJECT_MALFORMED, offset);
        return;
    }
    bool dup = seqset_has(&s->rx.seen, r->seq);
    /* Bob with --echo acknowledges a new message with its echo (session_rx_echo_taken) */
    if (dup || !bob_echoes(s))
        session_ack_soon(s, false);
    if (dup && r->seq <= s->rx.acked_in)
        session_tx_ack_again(s); /* the peer resent it: our acknowledgement was lost */
    if (dup && !echo_again(s, r))
        return;
    uint8_t *text = NULL;
    size_t len = 0;
    reasm_result rr = reassembly_add(&s->rx.reasm, r->seq, r->frag_idx, r->frag_count, r->body,
                                     r->body_len, offset, &text, &len);
    if (rr == REASM_REFUSED) {
        session_emit_text(
            s, UI_EV_ERROR,
            "message %llu refused: over the size limit, or too many incomplete messages held",
            (unsigned long long)r->seq);
        return;
    }
    if (rr != REASM_COMPLETE)
        return;
    if (!dup) {
        show(s, r, text, len, offset);
        return;
    }
    again(s, r, text, len);
    drop_text(text, len);
}

/* Each message of a batch record takes the path of a message record of its own. */
static void on_batch(session *s, const channel_record *r, int64_t offset)
{
    size_t pos = 0;
    channel_record m;
    while (channel_batch_next(r, &pos, &m) == 1)
        on_msg(s, &m, offset);
}

static void on_close(session *s)
{
    ui_event *ev = session_event(UI_EV_PEER_LEFT);
    if (ev) {
        ev->peer = strdup(channel_peer_id(s->ch));
        session_emit(s, ev);
    }
    session_peer_left(s);
}

static bool ours(const session *s, const frame *f)
{
    return s->ch && channel_established(s->ch) &&
           memcmp(f->session, channel_session(s->ch), FRAME_SESSION_LEN) == 0;
}

/* An Alice who resumed her conversation from its journal reads, until Bob confirms her new
 * channel, his resends sealed for her previous process: stale, not foreign. */
static bool stale_for_resumed(const session *s)
{
    return s->cfg.role == SESSION_ALICE && s->cfg.journal && conv_state_resumed(s->cfg.journal) &&
           !s->confirmed;
}

void session_rx_data(session *s, const frame *f, const uint8_t *buf, size_t len, int64_t offset)
{
    if (!ours(s, f)) {
        if (offset >= s->startup_end && !session_is_old_id(s, f->session) && !stale_for_resumed(s))
            session_emit_rejected(s, UI_REJECT_UNKNOWN_SESSION, offset);
        return;
    }
    channel_record r;
    uint64_t nonce = 0;
    int rc = channel_open(s->ch, buf, len, &r, s->open_buf, sizeof s->open_buf, &nonce);
    if (rc != CHANNEL_OK) {
        session_emit_rejected(s, session_reject_reason(rc), offset);
        return;
    }
    session_hs_heard(s);
    /* An echoing peer's acknowledgement does not release a message whose echo is not on the
     * screen yet: that echo releases it (settle_echo), and a resumed Alice resends what it never
     * showed, which the peer echoes again. */
    uint64_t ack = r.ack;
    if (s->peer_echoes && ack > s->rx.echo_shown.upto)
        ack = s->rx.echo_shown.upto;
    if (ack > session_tx_outbox(s)->acked && ack < session_tx_outbox(s)->next_seq)
        session_tx_acked(s, ack);
    if (r.kind == RECORD_MSG)
        on_msg(s, &r, offset);
    else if (r.kind == RECORD_BATCH)
        on_batch(s, &r, offset);
    else if (r.kind == RECORD_CLOSE)
        on_close(s);
    sodium_memzero(s->open_buf, len < sizeof s->open_buf ? len : sizeof s->open_buf); /* plain */
}

static void reasm_dropped(void *ctx, uint64_t seq)
{
    session *s = ctx;
    session_emit_text(s, UI_EV_ERROR,
                      "message %llu stayed incomplete for %.0f s: its fragments were dropped (the "
                      "peer sends it again until it arrives whole)",
                      (unsigned long long)seq, SESSION_REASM_MAX_MS / 1000.0);
}

void session_rx_timers(session *s, double now)
{
    if (s->rx.reasm.n)
        reassembly_expire(&s->rx.reasm, now, SESSION_REASM_MAX_MS, reasm_dropped, s);
    if (s->rx.gap_due_ms == 0 || now < s->rx.gap_due_ms)
        return;
    s->rx.gap_due_ms = 0;
    uint64_t from, to;
    while (seqset_first_hole(&s->rx.seen, s->rx.gap_reported, &from, &to)) {
        ui_event *ev = session_event(UI_EV_GAP);
        if (ev) {
            ev->from = from;
            ev->to = to;
            session_emit(s, ev);
        }
        session_count(s, STAT_GAPS);
        s->rx.gap_reported = to;
    }
}

int64_t session_rx_done_offset(session *s, int64_t offset)
{
    int64_t min = reassembly_min_offset(&s->rx.reasm);
    return min >= 0 && min <= offset ? min - 1 : offset;
}

static void init_empty(session *s)
{
    seqset_init(&s->rx.seen, 0);
    seqset_init(&s->rx.shown, 0);
    seqset_init(&s->rx.echoed, 0);
    seqset_init(&s->rx.echo_shown, 0);
}

/* Alice from her journal: the peer's messages shown (acknowledged) and ours echoed. */
static void restore_alice(session *s)
{
    if (conv_state_restore(s->cfg.journal, NULL, &s->rx.seen, &s->rx.echoed) != 0 ||
        seqset_copy(&s->rx.shown, &s->rx.seen) != 0 ||
        seqset_copy(&s->rx.echo_shown, &s->rx.echoed) != 0) {
        session_rx_free(s);
        init_empty(s);
        session_emit_text(s, UI_EV_ERROR, "out of memory restoring the conversation");
        session_finish(s, KCHAT_EXIT_ERROR);
        return;
    }
    s->rx.acked_in = s->rx.gap_reported = s->rx.seen.upto;
}

/* Bob: the echoes in his restored outbox need not be queued again. */
static uint64_t last_echo_of(const session *s)
{
    const outbox *o = conv_state_pending(s->cfg.journal);
    uint64_t max = 0;
    for (size_t i = 0; i < o->n; i++)
        if (outbox_at(o, i)->echo_of > max)
            max = outbox_at(o, i)->echo_of;
    return max;
}

void session_rx_init(session *s, const listen_state *st)
{
    bool resumed = st && st->has_conv;
    reassembly_init(&s->rx.reasm);
    if (s->cfg.journal && s->cfg.role == SESSION_ALICE) {
        restore_alice(s);
        return;
    }
    seqset_init(&s->rx.seen, resumed ? st->shown : 0);
    seqset_init(&s->rx.shown, resumed ? st->shown : 0);
    seqset_init(&s->rx.echoed, 0);
    seqset_init(&s->rx.echo_shown, 0);
    if (resumed)
        s->rx.acked_in = s->rx.echo_confirmed = st->acked;
    if (resumed && s->cfg.journal)
        s->rx.echo_queued = last_echo_of(s);
}

void session_rx_free(session *s)
{
    seqset_free(&s->rx.seen);
    seqset_free(&s->rx.shown);
    seqset_free(&s->rx.echoed);
    seqset_free(&s->rx.echo_shown);
    reassembly_free(&s->rx.reasm);
    drop_all_unsettled(s, false);
    free(s->rx.unsettled);
    s->rx.unsettled = NULL;
    s->rx.cap_unsettled = 0;
}

/* A new conversation: what the old one handed over and the screen did not yet show is not
 * settled into the new one. */
void session_rx_reset(session *s)
{
    seqset_free(&s->rx.seen);
    seqset_init(&s->rx.seen, 0);
    seqset_free(&s->rx.shown);
    seqset_init(&s->rx.shown, 0);
    drop_all_unsettled(s, true);
    reassembly_free(&s->rx.reasm);
    s->rx.acked_in = s->rx.echo_queued = s->rx.echo_confirmed = s->rx.gap_reported = 0;
}

/* Bob's message 2 says his messages below base were settled earlier: an Alice who starts the
 * conversation anew (a new process) neither waits for them nor reports them as a gap. */
void session_rx_take_base(session *s, uint64_t base)
{
    if (base <= s->rx.seen.upto + 1)
        return;
    seqset_advance(&s->rx.seen, base - 1);
    seqset_advance(&s->rx.shown, base - 1);
    session_journal_shown_upto(s, base - 1);
    if (s->rx.acked_in < s->rx.seen.upto)
        s->rx.acked_in = s->rx.seen.upto;
    if (s->rx.gap_reported < base - 1)
        s->rx.gap_reported = base - 1;
}

uint64_t session_rx_acked(const session *s)
{
    return s->rx.acked_in;
}

const seqset *session_rx_echoed(const session *s)
{
    return &s->rx.echo_shown;
}

void session_rx_echo_taken(session *s, uint64_t echo_of)
{
    if (echo_of > s->rx.echo_confirmed)
        s->rx.echo_confirmed = echo_of;
    /* only what is on the screen: a message Bob echoed but did not show is not acknowledged */
    uint64_t upto =
        s->rx.echo_confirmed < s->rx.shown.upto ? s->rx.echo_confirmed : s->rx.shown.upto;
    /* No acknowledgement of its own: the echo Kafka just took tells the peer the same (it counts
     * the echoed prefix as acknowledged), and a standalone record would only cost the peer a read
     * (across a wide-area link, a fetch round trip that the next echo may then wait for). Later
     * records carry it. */
    if (upto > s->rx.acked_in)
        set_acked(s, upto);
}
