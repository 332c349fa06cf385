/* session_tx: our side of at-least-once. Messages wait in the outbox until the peer's cumulative
 * acknowledgement covers them; each transmission seals the fragments afresh (new nonces), and a
 * message unacknowledged after its retransmission timeout is sent again. */
#include "src/session_internal.h"

#include <stdio.h>
#include <string.h>

static bool can_send(const session *s)
{
    return s->ch && channel_established(s->ch) && !s->done;
}

int session_tx_frame(session *s, const uint8_t *buf, size_t len, uint64_t token)
{
    char err[256];
    if (s->tp.ops->send(s->tp.ctx, buf, len, token, err, sizeof err) == 0)
        return 0;
    session_emit_text(s, UI_EV_ERROR, "cannot queue a record for Kafka: %s", err);
    return -1;
}

int session_tx_record(session *s, const channel_record *r, uint64_t token)
{
    size_t n = 0;
    int rc = channel_seal(s->ch, r, s->frame_buf, sizeof s->frame_buf, &n);
    if (rc != CHANNEL_OK) {
        session_emit_text(s, UI_EV_ERROR, "cannot seal a record: %s", channel_strerror(rc));
        return -1;
    }
    return session_tx_frame(s, s->frame_buf, n, token);
}

static uint32_t fragments(size_t len)
{
    return len == 0 ? 1 : (uint32_t)((len + CHANNEL_MAX_BODY - 1) / CHANNEL_MAX_BODY);
}

static void transmit(session *s, out_msg *m, double now)
{
    uint32_t count = fragments(m->len);
    for (uint32_t i = 0; i < count; i++) {
        size_t off = (size_t)i * CHANNEL_MAX_BODY;
        size_t n = m->len - off < CHANNEL_MAX_BODY ? m->len - off : CHANNEL_MAX_BODY;
        channel_record r = {.kind = RECORD_MSG,
                            .flags = m->flags,
                            .seq = m->seq,
                            .ack = s->acked_in,
                            .echo_of = m->echo_of,
                            .frag_idx = i,
                            .frag_count = count,
                            .body = m->text + off,
                            .body_len = n};
        if (session_tx_record(s, &r, m->seq << 1 | (i + 1 == count)) != 0)
            break;
    }
    if (m->first_ms == 0) {
        m->first_ms = now;
        session_note_sent(s, m->seq, now);
    }
    m->last_tx_ms = now;
    m->tx_count++;
    s->ack_sent = s->acked_in;
    s->ack_due = false;
}

static double rto(const out_msg *m)
{
    double t = SESSION_RTO_MS;
    for (unsigned i = 1; i < m->tx_count && t < SESSION_RTO_MAX_MS; i++)
        t *= 2;
    return t < SESSION_RTO_MAX_MS ? t : SESSION_RTO_MAX_MS;
}

void session_tx_queue(session *s, const uint8_t *text, size_t len, uint64_t echo_of)
{
    if (len > KCHAT_MAX_MESSAGE) {
        session_emit_text(s, UI_EV_ERROR,
                          "message of %zu bytes is over the %u-byte limit; not sent", len,
                          KCHAT_MAX_MESSAGE);
        return;
    }
    uint8_t flags = echo_of ? RECORD_FLAG_ECHO : 0;
    if (!outbox_push(&s->out, text, len, echo_of, flags)) {
        session_emit_text(s, UI_EV_ERROR, "out of memory; message not queued");
        return;
    }
    s->untx_bytes += len;
    /* The number is spent: a resumed Bob must not give it to another message (the peer would
     * drop that one as a duplicate). Saved before the message is sent (see step()). */
    if (s->cfg.state) {
        s->cfg.state->send_next = s->out.next_seq;
        s->state_dirty = true;
    }
}

static void retransmit_due(session *s, double now)
{
    if (now < s->next_retx_ms)
        return;
    s->next_retx_ms = now + SESSION_RTO_MAX_MS;
    for (size_t i = 0; i < s->first_untx && i < s->out.n; i++) {
        out_msg *m = outbox_at(&s->out, i);
        double due = m->last_tx_ms + rto(m);
        if (due <= now) {
            transmit(s, m, now);
            due = now + rto(m);
        }
        if (due < s->next_retx_ms)
            s->next_retx_ms = due;
    }
}

void session_tx_pump(session *s, double now)
{
    if (!can_send(s))
        return;
    /* In flight: at most SESSION_MAX_INFLIGHT messages and about SESSION_MAX_INFLIGHT_BYTES, so
     * big messages do not outrun the retransmission timer (and memory) while Kafka takes them;
     * much less until the peer has confirmed the channel (a peer that refuses us never will). */
    size_t max_n = s->confirmed ? SESSION_MAX_INFLIGHT : SESSION_UNCONFIRMED_INFLIGHT;
    size_t max_bytes = s->confirmed ? SESSION_MAX_INFLIGHT_BYTES : SESSION_UNCONFIRMED_BYTES;
    while (s->first_untx < s->out.n && s->first_untx < max_n &&
           (s->first_untx == 0 || s->out.bytes - s->untx_bytes < max_bytes)) {
        out_msg *m = outbox_at(&s->out, s->first_untx++);
        s->untx_bytes -= m->len;
        transmit(s, m, now);
        if (s->next_retx_ms == 0 || m->last_tx_ms + rto(m) < s->next_retx_ms)
            s->next_retx_ms = m->last_tx_ms + rto(m);
    }
    retransmit_due(s, now);
}

void session_ack_soon(session *s, bool now)
{
    if (!s->ack_due || now)
        s->ack_due_ms = now ? 0 : session_now_ms(s) + SESSION_ACK_DELAY_MS;
    s->ack_due = true;
}

int session_tx_wait_ms(const session *s, double now, int cap)
{
    /* no channel: the acknowledgement waits for one (the next handshake sends it), not the loop */
    if (!s->ack_due || !can_send(s) || s->ack_due_ms >= now + cap)
        return cap;
    return s->ack_due_ms <= now ? 0 : (int)(s->ack_due_ms - now) + 1;
}

/* Many messages waiting for an acknowledgement (a busy sender's window), or a lost one. */
static bool ack_urgent(const session *s)
{
    return s->ack_sent == UINT64_MAX ||
           (s->acked_in > s->ack_sent && s->acked_in - s->ack_sent >= SESSION_ACK_EVERY);
}

void session_tx_ack(session *s, double now)
{
    if (!can_send(s) || !s->ack_due || (now < s->ack_due_ms && !ack_urgent(s)))
        return;
    s->ack_due = false;
    if (s->acked_in == s->ack_sent && s->ever_established)
        return;
    channel_record r = {.kind = RECORD_ACK, .ack = s->acked_in, .frag_count = 1};
    if (session_tx_record(s, &r, 0) == 0)
        s->ack_sent = s->acked_in;
}

void session_tx_close(session *s)
{
    /* called once the loop is done, so not can_send() (which refuses once done) */
    if (!s->ch || !channel_established(s->ch))
        return;
    channel_record r = {.kind = RECORD_CLOSE, .ack = s->acked_in, .frag_count = 1};
    session_tx_record(s, &r, 0);
}

/* Bob: the echo of the peer's message echo_of is in Kafka, so that message may be acknowledged. */
static void echo_taken(session *s, uint64_t echo_of)
{
    if (echo_of > s->echo_confirmed)
        s->echo_confirmed = echo_of;
    uint64_t upto = s->echo_confirmed < s->seen.upto ? s->echo_confirmed : s->seen.upto;
    if (upto > s->acked_in) {
        s->acked_in = upto;
        session_ack_soon(s, false);
        if (s->cfg.state) {
            s->cfg.state->acked = upto;
            s->state_dirty = true;
        }
    }
}

static void emit_sent(session *s, uint64_t seq)
{
    ui_event *ev = session_event(UI_EV_SENT);
    if (ev) {
        ev->seq = seq;
        session_emit(s, ev);
    }
    s->stats.sent++;
    s->stats_dirty = true;
}

static void on_acked(void *ctx, const out_msg *m)
{
    session *s = ctx;
    /* The peer can acknowledge a record before Kafka's delivery report reaches us: what the peer
     * has, Kafka took, so count it as sent now (else an echo would never be confirmed, Bob's
     * acknowledgement would stall and Alice would retransmit forever). */
    if (m->echo_of) {
        if (!m->kafka_ok)
            echo_taken(s, m->echo_of);
        return;
    }
    if (!m->kafka_ok)
        emit_sent(s, m->seq);
    ui_event *ev = session_event(UI_EV_DELIVERED);
    if (ev) {
        ev->seq = m->seq;
        session_emit(s, ev);
    }
    s->stats.delivered++;
    s->stats_dirty = true;
}

void session_tx_acked(session *s, uint64_t upto)
{
    size_t before = s->out.n;
    outbox_ack(&s->out, upto, on_acked, s);
    size_t removed = before - s->out.n;
    if (removed > s->first_untx) /* acknowledged beyond what this session sent: all left are new */
        s->untx_bytes = s->out.bytes;
    s->first_untx = s->first_untx > removed ? s->first_untx - removed : 0;
    if (s->cfg.state && s->cfg.state->send_next != s->out.next_seq) {
        s->cfg.state->send_next = s->out.next_seq;
        s->state_dirty = true;
    }
}

void session_tx_restart(session *s, uint64_t peer_acked)
{
    session_tx_acked(s, peer_acked);
    s->first_untx = 0;
    s->untx_bytes = s->out.bytes;
    s->next_retx_ms = 0;
}

static void on_sent(session *s, out_msg *m)
{
    if (m->kafka_ok)
        return;
    m->kafka_ok = true;
    if (m->echo_of)
        echo_taken(s, m->echo_of);
    else
        emit_sent(s, m->seq);
}

void session_tx_delivery(void *ctx, uint64_t token, int64_t offset, const char *err)
{
    session *s = ctx;
    (void)offset;
    if (err) {
        if (!s->broker_down)
            session_emit_text(s, UI_EV_ERROR, "Kafka did not take a record: %s", err);
        s->broker_down = true;
        return;
    }
    if (s->broker_down) {
        s->broker_down = false;
        session_emit_state(s, session_current_state(s), "Kafka reachable again");
    }
    if (!(token & 1))
        return;
    out_msg *m = outbox_find(&s->out, token >> 1);
    if (m)
        on_sent(s, m);
}
