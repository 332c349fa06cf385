/* session_tx: our side of at-least-once. Messages wait in the outbox until the peer's cumulative
 * acknowledgement covers them; each transmission seals the fragments afresh (new nonces), and a
 * message unacknowledged after its retransmission timeout is sent again. Several small messages
 * that wait at once (new, or due again) share one batch record; a lone one goes alone, at once.
 * Kafka's delivery report of a record marks every message it completes as sent. */
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
    if (s->tp.ops->send(s->tp.ctx, buf, len, token, err, sizeof err) == 0) {
        if (s->tx.in_kafka++ == 0)
            s->tx.kafka_wait_ms = session_now_ms(s);
        return 0;
    }
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

#define SENT_TIMES (sizeof((session_tx_part *)0)->sent_times / sizeof(sent_time))

static void note_sent(session *s, uint64_t seq, double ms)
{
    sent_time *t = &s->tx.sent_times[seq % SENT_TIMES];
    if (t->seq != seq) {
        t->seq = seq;
        t->ms = ms;
    }
}

const double *session_tx_sent_time(const session *s, uint64_t seq)
{
    const sent_time *t = &s->tx.sent_times[seq % SENT_TIMES];
    return t->seq == seq ? &t->ms : NULL;
}

static uint32_t fragments(size_t len)
{
    return len == 0 ? 1 : (uint32_t)((len + CHANNEL_MAX_BODY - 1) / CHANNEL_MAX_BODY);
}

/* A Kafka delivery token: bit 0 set when the record completes its messages (a message's last
 * fragment, or a batch), bits 1-47 the seq of its first message, bits 48-63 how many messages
 * of consecutive seqs follow that one in it. Seqs from 2^47 on get token 0: no report, they
 * count as sent when acknowledged. */
#define TOKEN_SEQ_BITS 47
#define TOKEN_SEQ_MASK (((uint64_t)1 << TOKEN_SEQ_BITS) - 1)

static uint64_t token_of(uint64_t seq, size_t more, bool last)
{
    if (seq + more > TOKEN_SEQ_MASK)
        return 0;
    return (uint64_t)more << (TOKEN_SEQ_BITS + 1) | seq << 1 | (last ? 1u : 0u);
}

/* A transmission of m (whole, or its fragments) went to Kafka at now. */
static void note_transmitted(session *s, out_msg *m, double now)
{
    if (m->first_ms == 0) {
        m->first_ms = now;
        note_sent(s, m->seq, now);
    }
    m->last_tx_ms = now;
    m->tx_count++;
}

static void ack_carried(session *s)
{
    s->tx.ack_sent = session_rx_acked(s);
    s->tx.ack_due = false;
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
                            .ack = session_rx_acked(s),
                            .echo_of = m->echo_of,
                            .frag_idx = i,
                            .frag_count = count,
                            .body = m->text + off,
                            .body_len = n};
        if (session_tx_record(s, &r, token_of(m->seq, 0, i + 1 == count)) != 0)
            break;
    }
    note_transmitted(s, m, now);
    ack_carried(s);
}

/* Whether m may join a batch of n messages holding bytes of text. */
static bool fits_batch(const out_msg *m, size_t n, size_t bytes)
{
    return n < RECORD_BATCH_MAX && CHANNEL_BATCH_LEN(n + 1, bytes + m->len) <= SESSION_BATCH_BYTES;
}

/* Sends the n outbox messages from index first (consecutive seqs; together fits_batch) in one
 * record: a message record when n is 1, else a batch record. */
static void transmit_run(session *s, size_t first, size_t n, double now)
{
    out_msg *m0 = outbox_at(&s->tx.out, first);
    if (n == 1) {
        transmit(s, m0, now);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const out_msg *m = outbox_at(&s->tx.out, first + i);
        s->tx.batch[i] = (channel_record){.kind = RECORD_MSG,
                                          .flags = m->flags,
                                          .seq = m->seq,
                                          .echo_of = m->echo_of,
                                          .frag_count = 1,
                                          .body = m->text,
                                          .body_len = m->len};
    }
    size_t len = 0;
    int rc = channel_seal_batch(s->ch, session_rx_acked(s), s->tx.batch, n, s->frame_buf,
                                sizeof s->frame_buf, &len);
    if (rc != CHANNEL_OK)
        session_emit_text(s, UI_EV_ERROR, "cannot seal a record: %s", channel_strerror(rc));
    else
        session_tx_frame(s, s->frame_buf, len, token_of(m0->seq, n - 1, true));
    for (size_t i = 0; i < n; i++)
        note_transmitted(s, outbox_at(&s->tx.out, first + i), now);
    ack_carried(s);
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
    out_msg *m = outbox_push(&s->tx.out, text, len, echo_of, flags);
    if (!m) {
        session_emit_text(s, UI_EV_ERROR, "out of memory; message not queued");
        return;
    }
    s->tx.untx_bytes += len;
    session_journal_msg(s, m);
    /* The number is spent: a resumed Bob must not give it to another message (the peer would
     * drop that one as a duplicate). Saved before the message is sent (see session_step()). */
    session_store_send_next(s, s->tx.out.next_seq);
}

static bool due(const out_msg *m, double now)
{
    return m->last_tx_ms + rto(m) <= now;
}

/* The retransmission timer covers m's next one. */
static void arm_retx(session *s, const out_msg *m)
{
    double at = m->last_tx_ms + rto(m);
    if (s->tx.next_retx_ms == 0 || at < s->tx.next_retx_ms)
        s->tx.next_retx_ms = at;
}

/* How many messages from outbox index i on (before end) are due and fit one batch (at least 1:
 * the one at i, which is due). */
static size_t due_run(const session *s, size_t i, size_t end, double now)
{
    size_t n = 1, bytes = outbox_at(&s->tx.out, i)->len;
    while (i + n < end) {
        const out_msg *m = outbox_at(&s->tx.out, i + n);
        if (!due(m, now) || !fits_batch(m, n, bytes))
            break;
        bytes += m->len;
        n++;
    }
    return n;
}

static void retransmit_due(session *s, double now)
{
    if (now < s->tx.next_retx_ms)
        return;
    s->tx.next_retx_ms = now + SESSION_RTO_MAX_MS;
    size_t end = s->tx.first_untx < s->tx.out.n ? s->tx.first_untx : s->tx.out.n;
    for (size_t i = 0; i < end;) {
        size_t n = 1;
        if (due(outbox_at(&s->tx.out, i), now)) {
            n = due_run(s, i, end, now);
            transmit_run(s, i, n, now);
        }
        for (size_t k = i; k < i + n; k++)
            arm_retx(s, outbox_at(&s->tx.out, k));
        i += n;
    }
}

/* In flight: at most SESSION_MAX_INFLIGHT messages and about SESSION_MAX_INFLIGHT_BYTES, so big
 * messages do not outrun the retransmission timer (and memory) while Kafka takes them; much less
 * until the peer has confirmed the channel (a peer that refuses us never will). */
static bool may_send_new(const session *s)
{
    size_t max_n = s->confirmed ? SESSION_MAX_INFLIGHT : SESSION_UNCONFIRMED_INFLIGHT;
    size_t max_bytes = s->confirmed ? SESSION_MAX_INFLIGHT_BYTES : SESSION_UNCONFIRMED_BYTES;
    return s->tx.first_untx < s->tx.out.n && s->tx.first_untx < max_n &&
           (s->tx.first_untx == 0 || s->tx.out.bytes - s->tx.untx_bytes < max_bytes);
}

/* Takes the next unsent messages that may go now and fit one batch; returns how many (>= 1). */
static size_t take_new(session *s)
{
    size_t n = 0, bytes = 0;
    do {
        out_msg *m = outbox_at(&s->tx.out, s->tx.first_untx);
        if (n > 0 && !fits_batch(m, n, bytes))
            break;
        s->tx.first_untx++;
        s->tx.untx_bytes -= m->len;
        bytes += m->len;
        n++;
    } while (may_send_new(s));
    return n;
}

void session_tx_pump(session *s, double now)
{
    if (!can_send(s))
        return;
    while (may_send_new(s)) {
        size_t first = s->tx.first_untx, n = take_new(s);
        transmit_run(s, first, n, now);
        arm_retx(s, outbox_at(&s->tx.out, first));
    }
    retransmit_due(s, now);
}

void session_ack_soon(session *s, bool now)
{
    if (!s->tx.ack_due || now)
        s->tx.ack_due_ms = now ? 0 : session_now_ms(s) + SESSION_ACK_DELAY_MS;
    s->tx.ack_due = true;
}

int session_tx_wait_ms(const session *s, double now, int cap)
{
    /* no channel: the acknowledgement waits for one (the next handshake sends it), not the loop */
    if (!s->tx.ack_due || !can_send(s) || s->tx.ack_due_ms >= now + cap)
        return cap;
    return s->tx.ack_due_ms <= now ? 0 : (int)(s->tx.ack_due_ms - now) + 1;
}

/* Many messages waiting for an acknowledgement (a busy sender's window), or a lost one. */
static bool ack_urgent(const session *s)
{
    return s->tx.ack_sent == UINT64_MAX ||
           (session_rx_acked(s) > s->tx.ack_sent &&
            session_rx_acked(s) - s->tx.ack_sent >= SESSION_ACK_EVERY);
}

void session_tx_ack(session *s, double now)
{
    if (!can_send(s) || !s->tx.ack_due || (now < s->tx.ack_due_ms && !ack_urgent(s)))
        return;
    s->tx.ack_due = false;
    if (session_rx_acked(s) == s->tx.ack_sent && s->ever_established)
        return;
    channel_record r = {.kind = RECORD_ACK, .ack = session_rx_acked(s), .frag_count = 1};
    if (session_tx_record(s, &r, 0) == 0)
        s->tx.ack_sent = session_rx_acked(s);
}

void session_tx_close(session *s)
{
    /* called once the loop is done, so not can_send() (which refuses once done) */
    if (!s->ch || !channel_established(s->ch))
        return;
    channel_record r = {.kind = RECORD_CLOSE, .ack = session_rx_acked(s), .frag_count = 1};
    session_tx_record(s, &r, 0);
}

static void emit_sent(session *s, uint64_t seq)
{
    ui_event *ev = session_event(UI_EV_SENT);
    if (ev) {
        ev->seq = seq;
        session_emit(s, ev);
    }
    session_count(s, STAT_SENT);
}

static void on_acked(void *ctx, const out_msg *m)
{
    session *s = ctx;
    /* The peer can acknowledge a record before Kafka's delivery report reaches us: what the peer
     * has, Kafka took, so count it as sent now (else an echo would never be confirmed, Bob's
     * acknowledgement would stall and Alice would retransmit forever). */
    if (m->echo_of) {
        if (!m->kafka_ok)
            session_rx_echo_taken(s, m->echo_of);
        return;
    }
    if (!m->kafka_ok)
        emit_sent(s, m->seq);
    ui_event *ev = session_event(UI_EV_DELIVERED);
    if (ev) {
        ev->seq = m->seq;
        ev->receipt = s->cfg.front_confirms; /* shown once journaled (session_rx_defer_acked) */
        session_emit(s, ev);
    }
    s->tx.delivered_now = true;
    session_count(s, STAT_DELIVERED);
}

void session_tx_acked(session *s, uint64_t upto)
{
    size_t before = s->tx.out.n;
    s->tx.delivered_now = false;
    outbox_ack(&s->tx.out, upto, on_acked, s);
    session_rx_defer_acked(s, s->tx.out.acked, s->tx.delivered_now);
    size_t removed = before - s->tx.out.n;
    if (removed >
        s->tx.first_untx) /* acknowledged beyond what this session sent: all left are new */
        s->tx.untx_bytes = s->tx.out.bytes;
    s->tx.first_untx = s->tx.first_untx > removed ? s->tx.first_untx - removed : 0;
    session_store_send_next(s, s->tx.out.next_seq);
}

void session_tx_restart(session *s, uint64_t peer_acked)
{
    session_tx_acked(s, peer_acked);
    s->tx.first_untx = 0;
    s->tx.untx_bytes = s->tx.out.bytes;
    s->tx.next_retx_ms = 0;
}

static void on_sent(session *s, out_msg *m)
{
    if (m->kafka_ok)
        return;
    m->kafka_ok = true;
    if (m->echo_of)
        session_rx_echo_taken(s, m->echo_of);
    else
        emit_sent(s, m->seq);
}

void session_tx_watch_kafka(session *s, double now)
{
    if (!s->tx.kafka_stalled && s->tx.in_kafka &&
        now - s->tx.kafka_wait_ms >= SESSION_KAFKA_STALL_MS)
        s->tx.kafka_stalled = true;
    /* said once, and not while an outage is being said (that line says it already) */
    if (s->tx.kafka_stalled && !s->tx.stall_said && s->kafka_out_since == 0) {
        s->tx.stall_said = true;
        char line[128];
        snprintf(line, sizeof line,
                 "Kafka: none of our records taken for %.0f s (no leader or too few in-sync "
                 "replicas?); waiting",
                 (now - s->tx.kafka_wait_ms) / 1000.0);
        session_emit_state(s, session_current_state(s), line);
    }
}

/* A delivery report: one record fewer waiting; one taken ends a stall. */
static void kafka_answered(session *s, bool taken)
{
    if (s->tx.in_kafka)
        s->tx.in_kafka--;
    if (!taken) {
        if (!s->tx.in_kafka)
            s->tx.kafka_wait_ms = 0;
        return;
    }
    s->tx.kafka_wait_ms = s->tx.in_kafka ? session_now_ms(s) : 0;
    if (!s->tx.kafka_stalled)
        return;
    if (s->tx.stall_said)
        session_emit_state(s, session_current_state(s), "Kafka: takes our records again");
    s->tx.kafka_stalled = s->tx.stall_said = false;
    session_hs_excuse_silence(s);
}

void session_tx_delivery(void *ctx, uint64_t token, int64_t offset, const char *err)
{
    session *s = ctx;
    (void)offset;
    kafka_answered(s, err == NULL);
    if (err) {
        if (!s->tx.broker_down)
            session_emit_text(s, UI_EV_ERROR, "Kafka did not take a record: %s", err);
        s->tx.broker_down = true;
        return;
    }
    if (s->tx.broker_down) {
        s->tx.broker_down = false;
        session_emit_state(s, session_current_state(s), "Kafka reachable again");
    }
    if (!(token & 1))
        return;
    uint64_t seq = token >> 1 & TOKEN_SEQ_MASK, more = token >> (TOKEN_SEQ_BITS + 1);
    for (uint64_t i = 0; i <= more; i++) {
        out_msg *m = outbox_find(&s->tx.out, seq + i);
        if (m)
            on_sent(s, m);
    }
}

/* From the journal: our messages not yet acknowledged, resent once a channel is up. Bob's next
 * number is also in his listen state: the higher one is free. */
static void restore(session *s, const listen_state *st)
{
    if (conv_state_restore(s->cfg.journal, &s->tx.out, NULL, NULL) != 0) {
        outbox_init(&s->tx.out, 1);
        session_emit_text(s, UI_EV_ERROR, "out of memory restoring the conversation");
        session_finish(s, KCHAT_EXIT_ERROR);
        return;
    }
    if (st && st->has_conv && st->send_next > s->tx.out.next_seq && s->tx.out.n == 0)
        s->tx.out.next_seq = st->send_next;
    s->tx.untx_bytes = s->tx.out.bytes;
}

void session_tx_init(session *s, const listen_state *st)
{
    if (s->cfg.journal)
        restore(s, st);
    else
        outbox_init(&s->tx.out, st && st->has_conv ? st->send_next : 1);
}

void session_tx_free(session *s)
{
    outbox_free(&s->tx.out);
}

void session_tx_reset(session *s)
{
    outbox_free(&s->tx.out);
    outbox_init(&s->tx.out, 1);
    s->tx.first_untx = 0;
    s->tx.untx_bytes = 0;
    session_journal_clear(s);
}

void session_tx_renumber(session *s, uint64_t base)
{
    outbox_renumber(&s->tx.out, base);
    session_journal_renumber(s, base);
    s->tx.first_untx = 0;
    s->tx.untx_bytes = s->tx.out.bytes;
    s->tx.next_retx_ms = 0;
}

const outbox *session_tx_outbox(const session *s)
{
    return &s->tx.out;
}

void session_tx_ack_again(session *s)
{
    s->tx.ack_sent = UINT64_MAX;
}

void session_tx_ack_carried(session *s)
{
    s->tx.ack_sent = session_rx_acked(s);
}
