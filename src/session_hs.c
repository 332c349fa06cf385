/* session_hs: the Noise handshake through the two topics. Alice (initiator) sends message 1,
 * reads 2 (Bob authenticated), sends 3 and from then on counts the channel as secure and sends
 * (like a WireGuard initiator); Bob's first sealed frame confirms that he accepted her and holds
 * the keys, and without it she handshakes again and finally gives up. Bob (responder) answers every
 * message 1 with a pending channel that replaces the current one only when message 3 authenticates,
 * so a replayed or forged message 1 cannot break an established chat. Payloads carry the
 * conversation position (src/hs_payload.h). */
#include "src/session_internal.h"
#include "sys/clock.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill_params(const session *s, channel_params *p, bool initiator)
{
    memset(p, 0, sizeof *p);
    p->initiator = initiator;
    p->pattern = s->cfg.psk ? NOISE_XXPSK3 : NOISE_XX;
    p->static_priv = identity_secret(s->cfg.self);
    p->psk = s->cfg.psk;
    p->a2b = s->cfg.a2b;
    p->b2a = s->cfg.b2a;
    p->trust = s->cfg.trust;
    p->rekey_interval = s->cfg.rekey_interval;
}

static void emit_step(session *s, int step, bool out, double since)
{
    ui_event *ev = session_event(UI_EV_HANDSHAKE);
    if (!ev)
        return;
    ev->step = step;
    ev->out = out;
    ev->ms = session_now_ms(s) - since;
    session_emit(s, ev);
}

/* Our display name into a payload (empty when none). */
static void our_name(const session *s, hs_payload *pl)
{
    snprintf(pl->name, sizeof pl->name, "%s", s->cfg.name ? s->cfg.name : "");
}

static int send_hs(session *s, channel *c, int step, const hs_payload *pl)
{
    uint8_t payload[64];
    size_t plen = hs_payload_encode(step, pl, payload, sizeof payload);
    size_t n = 0;
    int rc = channel_hs_write(c, payload, plen, s->frame_buf, sizeof s->frame_buf, &n);
    if (rc != CHANNEL_OK) {
        session_emit_text(s, UI_EV_ERROR, "handshake message %d: %s", step, channel_strerror(rc));
        return -1;
    }
    return session_tx_frame(s, s->frame_buf, n, 0);
}

static void remember_id(session *s, const uint8_t *id)
{
    memcpy(s->old_ids[s->n_old % SESSION_OLD_IDS], id, FRAME_SESSION_LEN);
    s->n_old++;
}

bool session_is_old_id(const session *s, const uint8_t *id)
{
    size_t n = s->n_old < SESSION_OLD_IDS ? s->n_old : SESSION_OLD_IDS;
    for (size_t i = 0; i < n; i++)
        if (memcmp(s->old_ids[i], id, FRAME_SESSION_LEN) == 0)
            return true;
    return false;
}

static void drop_channel(session *s, channel **c)
{
    if (*c) {
        remember_id(s, channel_session(*c));
        channel_free(*c);
        *c = NULL;
    }
}

int session_hs_begin(session *s)
{
    drop_channel(s, &s->ch);
    s->confirmed = false;
    channel_params p;
    fill_params(s, &p, true);
    int err = 0;
    s->ch = channel_new(&p, NULL, &err);
    if (!s->ch) {
        session_emit_text(s, UI_EV_ERROR, "cannot start a handshake: %s", channel_strerror(err));
        return -1;
    }
    hs_payload pl = {0};
    memcpy(pl.conv, s->conv, sizeof pl.conv);
    double now = session_now_ms(s);
    if (s->hs_start_ms == 0)
        s->hs_start_ms = now;
    s->hs_sent_ms = now;
    if (send_hs(s, s->ch, 1, &pl) != 0)
        return -1;
    session_emit_state(s, UI_STATE_HANDSHAKING, "1/3");
    emit_step(s, 1, true, now);
    return 0;
}

/* A frame for none of our sessions: stale (written before we started, or one of our own earlier
 * sessions) is skipped quietly; anything else is reported. */
static void foreign(session *s, const frame *f, int64_t offset)
{
    if (offset < s->startup_end || session_is_old_id(s, f->session))
        return;
    session_emit_rejected(s, UI_REJECT_UNKNOWN_SESSION, offset);
}

/* Reads handshake message `step` into c and decodes its payload. On failure the record is
 * reported as rejected and the channel_result returned; the channel's state is unchanged. */
static int read_hs(session *s, channel *c, int step, const uint8_t *buf, size_t len, int64_t offset,
                   hs_payload *pl)
{
    size_t plen = 0;
    int rc = channel_hs_read(c, buf, len, s->open_buf, sizeof s->open_buf, &plen);
    if (rc == CHANNEL_OK && hs_payload_decode(step, s->open_buf, plen, pl) != 0)
        rc = CHANNEL_MALFORMED;
    if (rc == CHANNEL_UNTRUSTED)
        session_emit_rejected_peer(s, session_reject_reason(rc), channel_last_refused_id(c),
                                   offset);
    else if (rc != CHANNEL_OK)
        session_emit_rejected(s, session_reject_reason(rc), offset);
    return rc;
}

static bool same_session(const channel *c, const frame *f)
{
    return c && memcmp(f->session, channel_session(c), FRAME_SESSION_LEN) == 0;
}

/* Why the peer is trusted, in words for /peer. */
static const char *trust_reason(const session *s)
{
    if (trust_policy_is_anyone(s->cfg.trust))
        return s->cfg.psk ? "holds the invitation secret (XXpsk3)"
                          : "not verified: --trust-any accepts anyone";
    if (s->cfg.role == SESSION_ALICE)
        return "is the identity the invitation names, and holds its secret (XXpsk3)";
    return s->cfg.psk ? "listed with --trust, and holds the invitation secret (XXpsk3)"
                      : "listed with --trust";
}

static void emit_established(session *s, double since)
{
    ui_event *ev = session_event(UI_EV_ESTABLISHED);
    if (ev) {
        ev->text = strdup(trust_reason(s));
        ev->peer = strdup(channel_peer_id(s->ch));
        ev->name = s->peer_name[0] ? strdup(s->peer_name) : NULL;
        ev->suite = strdup(channel_suite(s->ch));
        ev->at_ms = session_now_ms(s);
        ev->ms = ev->at_ms - since;
        session_emit(s, ev);
    }
    session_emit_state(s, UI_STATE_SECURE, channel_suite(s->ch));
}

/* A message 2 that fails leaves the handshake as it was (crypto/channel.h): the genuine one may
 * still come. A Bob other than the invitation's is reported, and named when the handshake
 * finally times out. */
static void alice_read2(session *s, const frame *f, const uint8_t *buf, size_t len, int64_t offset)
{
    if (!same_session(s->ch, f) || channel_step(s->ch) != 1) {
        foreign(s, f, offset);
        return;
    }
    hs_payload pl;
    int rc = read_hs(s, s->ch, 2, buf, len, offset, &pl);
    if (rc == CHANNEL_UNTRUSTED)
        snprintf(s->hs_fail, sizeof s->hs_fail,
                 "the peer's identity %s is not the trusted one (the invitation names %s)",
                 channel_last_refused_id(s->ch), s->cfg.expected_peer ? s->cfg.expected_peer : "?");
    if (rc != CHANNEL_OK)
        return;
    s->hs_fail[0] = '\0';
    emit_step(s, 2, false, s->hs_sent_ms);
    s->peer_echoes = pl.flags & HS_FLAG_ECHO;
    session_rx_take_base(s, pl.base);
    hs_payload mine = {.acked = session_rx_acked(s)};
    our_name(s, &mine);
    snprintf(s->peer_name, sizeof s->peer_name, "%s", pl.name);
    if (send_hs(s, s->ch, 3, &mine) != 0)
        return;
    emit_step(s, 3, true, s->hs_sent_ms);
    emit_established(s, s->hs_sent_ms);
    session_tx_ack_carried(s);
    session_tx_restart(s, pl.acked);
}

/* ---- Bob: several handshakes may be under way; only invitation holders get one ---- */

static pending_hs *find_pending(session *s, const frame *f)
{
    for (size_t i = 0; i < SESSION_PENDING; i++)
        if (same_session(s->pending[i].ch, f))
            return &s->pending[i];
    return NULL;
}

static void drop_pending(session *s, pending_hs *p)
{
    drop_channel(s, &p->ch);
    memset(p, 0, sizeof *p);
}

/* A free slot, or the oldest handshake's (dropped). */
static pending_hs *free_pending(session *s)
{
    pending_hs *oldest = &s->pending[0];
    for (size_t i = 0; i < SESSION_PENDING; i++) {
        if (!s->pending[i].ch)
            return &s->pending[i];
        if (s->pending[i].start_ms < oldest->start_ms)
            oldest = &s->pending[i];
    }
    drop_pending(s, oldest);
    return oldest;
}

bool session_hs_pending(const session *s)
{
    if (s->cfg.role == SESSION_ALICE)
        return s->ch != NULL;
    for (size_t i = 0; i < SESSION_PENDING; i++)
        if (s->pending[i].ch)
            return true;
    return false;
}

void session_hs_free(session *s)
{
    for (size_t i = 0; i < SESSION_PENDING; i++)
        drop_pending(s, &s->pending[i]);
    if (s->ch)
        channel_free(s->ch);
    s->ch = NULL;
}

/* Our first message not yet acknowledged (the next one when none waits). */
static uint64_t send_base(const session *s)
{
    const outbox *o = session_tx_outbox(s);
    const out_msg *m = outbox_at(o, 0);
    return m ? m->seq : o->next_seq;
}

/* A message 1 whose send time is far from ours: a replay, or clocks that disagree. Said once. */
static void explain_stale(session *s, const uint8_t *buf, size_t len, uint64_t now)
{
    uint64_t sent = 0;
    if (s->skew_told || channel_hs1_check_mac(s->cfg.psk, buf, len, &sent) != CHANNEL_OK)
        return;
    double minutes = ((double)sent - (double)now) / 60000.0;
    if (minutes > -CHANNEL_HS1_WINDOW_MS / 60000.0 && minutes < CHANNEL_HS1_WINDOW_MS / 60000.0)
        return; /* in the window: a copy of one admitted already */
    s->skew_told = true;
    session_emit_text(s, UI_EV_ERROR,
                      "refused a handshake sent %.0f minutes %s by its sender's clock: a replay, "
                      "or the two clocks differ by more than %u minutes",
                      minutes < 0 ? -minutes : minutes, minutes < 0 ? "ago" : "ahead",
                      CHANNEL_HS1_WINDOW_MS / 60000u);
}

/* Under XXpsk3 a message 1 must carry the mac of an invitation holder and be fresh and new
 * before anything is spent on it; with --trust-any there is no secret to check. Message 1 of
 * our current or an earlier session is a replay. Refusals are reported. */
static bool hs1_acceptable(session *s, const frame *f, const uint8_t *buf, size_t len,
                           int64_t offset)
{
    if (same_session(s->ch, f) || session_is_old_id(s, f->session)) {
        session_emit_rejected(s, UI_REJECT_REPLAYED, offset);
        return false;
    }
    if (!s->cfg.psk)
        return true;
    uint64_t now = sys_wall_ms();
    int rc = channel_hs1_admit(&s->hs1_guard, s->cfg.psk, buf, len, now);
    if (rc == CHANNEL_OK)
        return true;
    session_emit_rejected(s, session_reject_reason(rc), offset);
    if (rc == CHANNEL_REPLAYED)
        explain_stale(s, buf, len, now);
    return false;
}

static void bob_read1(session *s, const frame *f, const uint8_t *buf, size_t len, int64_t offset)
{
    if (offset < s->startup_end)
        return; /* stale: answering it would only put a reply nobody waits for into Kafka */
    if (!hs1_acceptable(s, f, buf, len, offset))
        return;
    channel_params p;
    fill_params(s, &p, false);
    int err = 0;
    channel *c = channel_new(&p, f->session, &err);
    if (!c) {
        session_emit_text(s, UI_EV_ERROR, "cannot answer a handshake: %s", channel_strerror(err));
        return;
    }
    hs_payload pl;
    if (read_hs(s, c, 1, buf, len, offset, &pl) != CHANNEL_OK) {
        channel_free(c);
        return;
    }
    double now = session_now_ms(s);
    bool same_conv = s->has_conv && sodium_memcmp(pl.conv, s->conv, HS_CONV_LEN) == 0;
    hs_payload reply = {.flags = s->cfg.echo ? HS_FLAG_ECHO : 0,
                        .acked = same_conv ? session_rx_acked(s) : 0,
                        .base = send_base(s)};
    our_name(s, &reply);
    if (send_hs(s, c, 2, &reply) != 0) {
        channel_free(c);
        return;
    }
    pending_hs *slot = free_pending(s);
    *slot = (pending_hs){.ch = c, .base = reply.base, .start_ms = now};
    memcpy(slot->conv, pl.conv, HS_CONV_LEN);
    s->hs_start_ms = now;
    emit_step(s, 1, false, now);
    emit_step(s, 2, true, now);
    if (!s->ch)
        session_emit_state(s, UI_STATE_HANDSHAKING, "2/3");
}

/* A new conversation: from scratch with --trust-any (whoever connects is someone new); for the
 * one peer an invitation admits, our outbox is kept, numbered from the base told in message 2
 * (echoes of the old conversation dropped). Lines typed before any peer came are kept either
 * way. */
static void adopt_conversation(session *s, const pending_hs *p)
{
    bool first = !s->has_conv;
    memcpy(s->conv, p->conv, HS_CONV_LEN);
    s->has_conv = true;
    session_rx_reset(s);
    if (!first && !s->cfg.psk)
        session_tx_reset(s);
    else if (!first)
        session_tx_renumber(s, p->base);
    session_journal_new_conv(s, p->conv);
    session_store_new_conv(s, p->conv);
}

/* The invitation admits the first identity that completes a handshake under it; another is
 * refused before anything is sealed to it. False when refused. */
static bool pin_peer(session *s, pending_hs *p, int64_t offset)
{
    const char *id = channel_peer_id(p->ch);
    if (!s->cfg.psk)
        return true;
    if (s->pinned[0] && strcmp(s->pinned, id) != 0) {
        session_emit_rejected_peer(s, UI_REJECT_OTHER_PEER, id, offset);
        session_emit_text(s, UI_EV_ERROR,
                          "refused %s: this invitation belongs to %s (`kchat listen --new` "
                          "makes an invitation for someone else)",
                          id, s->pinned);
        drop_pending(s, p);
        return false;
    }
    if (!s->pinned[0]) {
        snprintf(s->pinned, sizeof s->pinned, "%s", id);
        session_store_pin(s, id);
    }
    return true;
}

static void refused3(session *s, pending_hs *p, int rc)
{
    if (rc != CHANNEL_UNTRUSTED || p->refused)
        return;
    p->refused = true;
    session_emit_text(s, UI_EV_ERROR, "refused a peer with identity %s: not trusted",
                      channel_last_refused_id(p->ch));
}

static void bob_read3(session *s, const frame *f, const uint8_t *buf, size_t len, int64_t offset)
{
    if (offset < s->startup_end)
        return; /* stale: a handshake of an earlier Bob */
    pending_hs *p = find_pending(s, f);
    if (!p) {
        if (same_session(s->ch, f) || session_is_old_id(s, f->session))
            session_emit_rejected(s, UI_REJECT_REPLAYED, offset);
        else
            foreign(s, f, offset);
        return;
    }
    hs_payload pl;
    int rc = read_hs(s, p->ch, 3, buf, len, offset, &pl);
    if (rc != CHANNEL_OK) { /* the handshake stays: a forgery must not end the genuine one */
        refused3(s, p, rc);
        return;
    }
    if (!pin_peer(s, p, offset))
        return;
    emit_step(s, 3, false, p->start_ms);
    snprintf(s->peer_name, sizeof s->peer_name, "%s", pl.name);
    drop_channel(s, &s->ch);
    s->ch = p->ch;
    p->ch = NULL;
    session_store_sid(s, channel_session(s->ch));
    if (!s->has_conv || sodium_memcmp(p->conv, s->conv, HS_CONV_LEN) != 0)
        adopt_conversation(s, p);
    double since = p->start_ms;
    memset(p, 0, sizeof *p);
    s->confirmed = true;
    s->ever_established = true;
    s->last_peer_ms = session_now_ms(s);
    emit_established(s, since);
    session_tx_restart(s, pl.acked);
    session_tx_ack_again(s); /* key confirmation: Bob's first sealed frame goes out now */
    session_ack_soon(s, true);
}

void session_hs_confirmed(session *s)
{
    s->confirmed = true;
    s->ever_established = true;
    s->hs_start_ms = 0;
    if (s->cfg.role == SESSION_ALICE)
        session_emit_confirmed(s);
}

void session_hs_frame(session *s, const frame *f, const uint8_t *buf, size_t len, int64_t offset)
{
    bool bob = s->cfg.role == SESSION_BOB;
    if (bob && f->type == FRAME_HS1)
        bob_read1(s, f, buf, len, offset);
    else if (bob && f->type == FRAME_HS3)
        bob_read3(s, f, buf, len, offset);
    else if (!bob && f->type == FRAME_HS2)
        alice_read2(s, f, buf, len, offset);
    else
        session_emit_rejected(s, UI_REJECT_MALFORMED, offset);
}

static void handshake_failed(session *s)
{
    if (s->hs_fail[0]) {
        session_emit_text(s, UI_EV_ERROR, "handshake failed: %s", s->hs_fail);
        session_finish(s, KCHAT_EXIT_HANDSHAKE);
        return;
    }
    if (s->ch && channel_established(s->ch))
        session_emit_text(s, UI_EV_ERROR,
                          "handshake not confirmed by the peer within %.0f s (Bob refused us: "
                          "is the invitation's secret right, and does Bob trust us?)",
                          s->cfg.handshake_timeout_s);
    else
        session_emit_text(s, UI_EV_ERROR,
                          "handshake did not complete within %.0f s (is Bob running `kchat "
                          "listen`, and is the invitation right?)",
                          s->cfg.handshake_timeout_s);
    session_finish(s, KCHAT_EXIT_HANDSHAKE);
}

static bool peer_silent(const session *s, double now)
{
    const out_msg *m = outbox_at(session_tx_outbox(s), 0);
    return m && s->kafka_out_since == 0 && !s->tx.kafka_stalled && m->tx_count >= 2 &&
           now - m->first_ms >= SESSION_REHANDSHAKE_MS &&
           now - s->last_peer_ms >= SESSION_REHANDSHAKE_MS && now >= s->silence_excused_until;
}

static void alice_timers(session *s, double now)
{
    if (s->confirmed) {
        if (peer_silent(s, now)) {
            session_emit_state(s, UI_STATE_BROKEN, "no answer from the peer; handshaking again");
            session_hs_begin(s);
        }
        return;
    }
    if (!s->ever_established && now - s->hs_start_ms >= s->cfg.handshake_timeout_s * 1000.0) {
        handshake_failed(s);
        return;
    }
    if (now - s->hs_sent_ms < SESSION_HS_RETRY_MS)
        return;
    session_hs_begin(s);
}

void session_hs_timers(session *s, double now)
{
    if (s->done)
        return;
    if (s->cfg.role == SESSION_ALICE) {
        alice_timers(s, now);
        return;
    }
    for (size_t i = 0; i < SESSION_PENDING; i++) {
        pending_hs *p = &s->pending[i];
        if (p->ch && now - p->start_ms >= s->cfg.handshake_timeout_s * 1000.0) {
            session_emit_text(s, UI_EV_LOG, "a handshake was not completed by the peer; dropped");
            drop_pending(s, p);
        }
    }
}

void session_hs_init(session *s, const listen_state *st)
{
    channel_hs1_guard_init(&s->hs1_guard);
    if (st && st->has_sid) { /* the session of the Bob before us: its frames are stale */
        memcpy(s->old_ids[0], st->sid, FRAME_SESSION_LEN);
        s->n_old = 1;
    }
    if (st && s->cfg.role == SESSION_BOB && s->cfg.psk) /* an invitation admits one peer */
        snprintf(s->pinned, sizeof s->pinned, "%s", st->peer);
    session_hs_init_conv(s, st);
}

void session_hs_init_conv(session *s, const listen_state *st)
{
    if (st && st->has_conv) {
        memcpy(s->conv, st->conv, HS_CONV_LEN);
        s->has_conv = true;
    } else if (s->cfg.role == SESSION_ALICE) { /* the journal's resumes the conversation */
        if (s->cfg.journal)
            memcpy(s->conv, conv_state_conv(s->cfg.journal), HS_CONV_LEN);
        else
            randombytes_buf(s->conv, HS_CONV_LEN);
        s->has_conv = true;
    }
}

void session_hs_heard(session *s)
{
    s->last_peer_ms = session_now_ms(s);
    if (!s->confirmed)
        session_hs_confirmed(s);
}

/* Kafka flows again for us, but the peer's clients may still be waiting for the same election
 * (or for its metadata): its silence counts only after a grace. */
void session_hs_excuse_silence(session *s)
{
    s->last_peer_ms = session_now_ms(s);
    s->silence_excused_until = s->last_peer_ms + SESSION_KAFKA_GRACE_MS;
}

void session_peer_left(session *s)
{
    drop_channel(s, &s->ch); /* its id joins those refused: the departed peer's frames */
    s->confirmed = false;
    session_emit_state(s, s->cfg.role == SESSION_BOB ? UI_STATE_WAITING : UI_STATE_CLOSED,
                       "peer left");
}
