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

/* Takes text (malloc'ed, NUL after len bytes) into the event: no copy. */
static void emit_message(session *s, ui_event_type type, uint64_t seq, uint8_t *text, size_t len,
                         double ms)
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
    session_emit(s, ev);
}

static void set_acked(session *s, uint64_t upto)
{
    s->rx.acked_in = upto;
    session_store_acked(s, upto);
}

/* Owns text. */
static void on_echo(session *s, const channel_record *r, uint8_t *text, size_t len, int64_t offset)
{
    if (r->echo_of == 0 || r->echo_of >= session_tx_outbox(s)->next_seq) {
        /* acknowledged all the same: its sender would resend it for ever */
        session_emit_rejected(s, UI_REJECT_UNKNOWN_ECHO, offset);
        drop_text(text, len);
        return;
    }
    if (seqset_has(&s->rx.echoed, r->echo_of)) {
        drop_text(text, len);
        return;
    }
    seqset_add(&s->rx.echoed, r->echo_of);
    session_journal_echoed(s, s->rx.echoed.upto);
    /* An echo is Bob's proof that he showed the message and Kafka took his echo, which is what
     * his acknowledgement says: the echoed prefix counts as acknowledged. */
    if (s->rx.echoed.upto > session_tx_outbox(s)->acked)
        session_tx_acked(s, s->rx.echoed.upto);
    double rtt = -1;
    const double *sent = session_tx_sent_time(s, r->echo_of);
    if (sent)
        rtt = session_now_ms(s) - *sent;
    session_count(s, STAT_ECHOED);
    if (rtt >= 0)
        session_note_rtt(s, rtt);
    emit_message(s, UI_EV_ECHO, r->echo_of, text, len, rtt);
}

/* Owns text. */
static void show(session *s, const channel_record *r, uint8_t *text, size_t len, int64_t offset)
{
    seqset_add(&s->rx.seen, r->seq);
    session_store_shown(s, s->rx.seen.upto);
    session_journal_shown(s, r->seq, r->flags & RECORD_FLAG_ECHO ? NULL : text, len);
    if (r->flags & RECORD_FLAG_ECHO) {
        on_echo(s, r, text, len, offset);
    } else {
        session_count(s, STAT_RECEIVED);
        if (s->cfg.echo)
            session_tx_queue(s, text, len, r->seq);
        emit_message(s, UI_EV_MESSAGE, r->seq, text, len, 0);
    }
    if (s->cfg.echo && s->cfg.role == SESSION_BOB)
        s->rx.echo_queued = s->rx.echo_queued > r->seq ? s->rx.echo_queued : r->seq;
    else
        set_acked(s, s->rx.seen.upto);
    if (seqset_max(&s->rx.seen) > s->rx.seen.upto && s->rx.gap_due_ms == 0)
        s->rx.gap_due_ms = session_now_ms(s) + SESSION_GAP_GRACE_MS;
}

/* A message shown before (a retransmission). Bob re-echoes what he never confirmed echoing,
 * e.g. after a restart lost the echo. */
static void again(session *s, const channel_record *r, uint8_t *text, size_t len)
{
    if (s->cfg.echo && !(r->flags & RECORD_FLAG_ECHO) && r->seq > s->rx.acked_in &&
        r->seq > s->rx.echo_queued) {
        session_tx_queue(s, text, len, r->seq);
        s->rx.echo_queued = r->seq;
    }
}

static void on_msg(session *s, const channel_record *r, int64_t offset)
{
    if (r->seq == 0) {
        session_emit_rejected(s, UI_REJECT_MALFORMED, offset);
        return;
    }
    session_ack_soon(s, false);
    bool dup = seqset_has(&s->rx.seen, r->seq);
    if (dup && r->seq <= s->rx.acked_in)
        session_tx_ack_again(s); /* the peer resent it: our acknowledgement was lost */
    if (dup && !(s->cfg.echo && r->seq > s->rx.acked_in && r->seq > s->rx.echo_queued))
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
    if (r.ack > session_tx_outbox(s)->acked && r.ack < session_tx_outbox(s)->next_seq)
        session_tx_acked(s, r.ack);
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

/* Alice from her journal: the peer's messages shown (acknowledged) and ours echoed. */
static void restore_alice(session *s)
{
    if (conv_state_restore(s->cfg.journal, NULL, &s->rx.seen, &s->rx.echoed) != 0) {
        seqset_init(&s->rx.seen, 0);
        seqset_init(&s->rx.echoed, 0);
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
    seqset_init(&s->rx.echoed, 0);
    if (resumed)
        s->rx.acked_in = s->rx.echo_confirmed = st->acked;
    if (resumed && s->cfg.journal)
        s->rx.echo_queued = last_echo_of(s);
}

void session_rx_free(session *s)
{
    seqset_free(&s->rx.seen);
    seqset_free(&s->rx.echoed);
    reassembly_free(&s->rx.reasm);
}

void session_rx_reset(session *s)
{
    seqset_free(&s->rx.seen);
    seqset_init(&s->rx.seen, 0);
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
    return &s->rx.echoed;
}

void session_rx_echo_taken(session *s, uint64_t echo_of)
{
    if (echo_of > s->rx.echo_confirmed)
        s->rx.echo_confirmed = echo_of;
    uint64_t upto = s->rx.echo_confirmed < s->rx.seen.upto ? s->rx.echo_confirmed : s->rx.seen.upto;
    if (upto > s->rx.acked_in) {
        set_acked(s, upto);
        session_ack_soon(s, false);
    }
}
