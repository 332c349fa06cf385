/* session_rx: sealed frames from the peer. Each is opened by the channel (which refuses
 * tampered, replayed and foreign frames without changing state), its acknowledgement releases our
 * outbox, and a message is reassembled, shown once (duplicates from retransmission or redelivery
 * are dropped by sequence number), echoed by Bob with --echo, and acknowledged. Holes in the
 * peer's sequence that stay open past a short grace are reported as gaps. */
#include "src/session_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SENT_TIMES 8192

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
    s->acked_in = upto;
    if (s->cfg.state) {
        s->cfg.state->acked = upto;
        s->state_dirty = true;
    }
}

/* Owns text. */
static void on_echo(session *s, const channel_record *r, uint8_t *text, size_t len)
{
    if (r->echo_of == 0 || r->echo_of >= s->out.next_seq || seqset_has(&s->echoed, r->echo_of)) {
        drop_text(text, len);
        return;
    }
    seqset_add(&s->echoed, r->echo_of);
    /* An echo is Bob's proof that he showed the message and Kafka took his echo, which is what
     * his acknowledgement says: the echoed prefix counts as acknowledged. */
    if (s->echoed.upto > s->out.acked)
        session_tx_acked(s, s->echoed.upto);
    double rtt = -1;
    const double *sent = session_sent_time(s, r->echo_of);
    if (sent)
        rtt = session_now_ms(s) - *sent;
    s->stats.echoed++;
    if (rtt >= 0)
        s->stats.last_rtt_ms = rtt;
    s->stats_dirty = true;
    emit_message(s, UI_EV_ECHO, r->echo_of, text, len, rtt);
}

/* Owns text. */
static void show(session *s, const channel_record *r, uint8_t *text, size_t len)
{
    seqset_add(&s->seen, r->seq);
    if (s->cfg.state) {
        s->cfg.state->shown = s->seen.upto;
        s->state_dirty = true;
    }
    if (r->flags & RECORD_FLAG_ECHO) {
        on_echo(s, r, text, len);
    } else {
        s->stats.received++;
        s->stats_dirty = true;
        if (s->cfg.echo)
            session_tx_queue(s, text, len, r->seq);
        emit_message(s, UI_EV_MESSAGE, r->seq, text, len, 0);
    }
    if (s->cfg.echo && s->cfg.role == SESSION_BOB)
        s->echo_queued = s->echo_queued > r->seq ? s->echo_queued : r->seq;
    else
        set_acked(s, s->seen.upto);
    if (seqset_max(&s->seen) > s->seen.upto && s->gap_due_ms == 0)
        s->gap_due_ms = session_now_ms(s) + SESSION_GAP_GRACE_MS;
}

/* A message shown before (a retransmission). Bob re-echoes what he never confirmed echoing,
 * e.g. after a restart lost the echo. */
static void again(session *s, const channel_record *r, uint8_t *text, size_t len)
{
    if (s->cfg.echo && !(r->flags & RECORD_FLAG_ECHO) && r->seq > s->acked_in &&
        r->seq > s->echo_queued) {
        session_tx_queue(s, text, len, r->seq);
        s->echo_queued = r->seq;
    }
}

static void on_msg(session *s, const channel_record *r, int64_t offset)
{
    if (r->seq == 0) {
        session_emit_rejected(s, "malformed", offset);
        return;
    }
    session_ack_soon(s, false);
    bool dup = seqset_has(&s->seen, r->seq);
    if (dup && r->seq <= s->acked_in)
        s->ack_sent = UINT64_MAX; /* the peer resent it: our acknowledgement was lost, send again */
    if (dup && !(s->cfg.echo && r->seq > s->acked_in && r->seq > s->echo_queued))
        return;
    uint8_t *text = NULL;
    size_t len = 0;
    reasm_result rr = reassembly_add(&s->reasm, r->seq, r->frag_idx, r->frag_count, r->body,
                                     r->body_len, offset, &text, &len);
    if (rr == REASM_REFUSED) {
        session_emit_text(s, UI_EV_ERROR, "message %llu refused: over the size limit",
                          (unsigned long long)r->seq);
        return;
    }
    if (rr != REASM_COMPLETE)
        return;
    if (!dup) {
        show(s, r, text, len);
        return;
    }
    again(s, r, text, len);
    drop_text(text, len);
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

void session_rx_data(session *s, const frame *f, const uint8_t *buf, size_t len, int64_t offset)
{
    if (!ours(s, f)) {
        if (offset >= s->startup_end && !session_is_old_id(s, f->session))
            session_emit_rejected(s, "unknown-session", offset);
        return;
    }
    channel_record r;
    uint64_t nonce = 0;
    int rc = channel_open(s->ch, buf, len, &r, s->open_buf, sizeof s->open_buf, &nonce);
    if (rc != CHANNEL_OK) {
        session_emit_rejected(s, session_reject_reason(rc), offset);
        return;
    }
    s->last_peer_ms = session_now_ms(s);
    if (!s->confirmed)
        session_hs_confirmed(s);
    if (r.ack > s->out.acked && r.ack < s->out.next_seq)
        session_tx_acked(s, r.ack);
    if (r.kind == RECORD_MSG)
        on_msg(s, &r, offset);
    else if (r.kind == RECORD_CLOSE)
        on_close(s);
}

void session_rx_timers(session *s, double now)
{
    if (s->gap_due_ms == 0 || now < s->gap_due_ms)
        return;
    s->gap_due_ms = 0;
    uint64_t from, to;
    while (seqset_first_hole(&s->seen, s->gap_reported, &from, &to)) {
        ui_event *ev = session_event(UI_EV_GAP);
        if (ev) {
            ev->from = from;
            ev->to = to;
            session_emit(s, ev);
        }
        s->stats.gaps++;
        s->stats_dirty = true;
        s->gap_reported = to;
    }
}

int64_t session_rx_done_offset(session *s, int64_t offset)
{
    int64_t min = reassembly_min_offset(&s->reasm);
    return min >= 0 && min <= offset ? min - 1 : offset;
}

const double *session_sent_time(const session *s, uint64_t seq)
{
    const sent_time *t = &s->sent_times[seq % SENT_TIMES];
    return t->seq == seq ? &t->ms : NULL;
}

void session_note_sent(session *s, uint64_t seq, double ms)
{
    sent_time *t = &s->sent_times[seq % SENT_TIMES];
    if (t->seq != seq) {
        t->seq = seq;
        t->ms = ms;
    }
}
