/* session_store: Bob's listen state, the persistence part of the session. The other parts tell
 * it what changed (shown, acknowledged, next sequence number, session id, a new conversation);
 * it keeps cfg.state up to date and saves it when the loop says (session_store_save: before
 * anything is sent or shown, see session_step). */
#include "src/session_internal.h"

#include <string.h>

void session_store_shown(session *s, uint64_t upto)
{
    if (s->cfg.state) {
        s->cfg.state->shown = upto;
        s->store.dirty = true;
    }
}

void session_store_acked(session *s, uint64_t upto)
{
    if (s->cfg.state) {
        s->cfg.state->acked = upto;
        s->store.dirty = true;
    }
}

void session_store_send_next(session *s, uint64_t next)
{
    if (s->cfg.state && s->cfg.state->send_next != next) {
        s->cfg.state->send_next = next;
        s->store.dirty = true;
    }
}

/* A restarted Bob knows this session's frames as his own, stale. */
void session_store_sid(session *s, const uint8_t *sid)
{
    if (s->cfg.state) {
        memcpy(s->cfg.state->sid, sid, LISTEN_STATE_SID_LEN);
        s->cfg.state->has_sid = true;
        s->store.dirty = true;
    }
}

void session_store_new_conv(session *s, const uint8_t *conv)
{
    if (s->cfg.state) {
        memcpy(s->cfg.state->conv, conv, HS_CONV_LEN);
        s->cfg.state->has_conv = true;
        s->cfg.state->shown = s->cfg.state->acked = 0;
        s->cfg.state->send_next = session_tx_outbox(s)->next_seq;
    }
    s->store.dirty = true;
}

void session_store_pin(session *s, const char *id)
{
    if (s->cfg.state)
        listen_state_pin(s->cfg.state, id);
    s->store.dirty = true;
}

/* With a journal, which keeps the next sequence number on disk before anything is sent, the
 * position is written each step (a killed process loses nothing) but synced at most every
 * SESSION_STATE_SYNC_MS and at the end: a power loss may then show a few messages again, never
 * reuse a number. Without a journal every save is synced. */
void session_store_save(session *s)
{
    if (!s->cfg.state || !s->cfg.state_path)
        return;
    char err[512];
    double now = session_now_ms(s);
    bool lazy = s->cfg.journal != NULL;
    int rc = 0;
    if (s->store.dirty)
        rc = lazy ? listen_state_write(s->cfg.state_path, s->cfg.state, err, sizeof err)
                  : listen_state_save(s->cfg.state_path, s->cfg.state, err, sizeof err);
    if (rc == 0 && s->store.dirty && lazy)
        s->store.unsynced = true;
    if (rc == 0 && s->store.unsynced && now - s->store.synced_ms >= SESSION_STATE_SYNC_MS) {
        rc = listen_state_sync(s->cfg.state_path, s->cfg.state, err, sizeof err);
        s->store.unsynced = false;
        s->store.synced_ms = now;
    }
    if (rc != 0)
        session_emit_text(s, UI_EV_ERROR, "%s", err);
    s->store.dirty = false;
}

void session_store_sync(session *s)
{
    char err[512];
    session_store_save(s);
    if (s->store.unsynced &&
        listen_state_sync(s->cfg.state_path, s->cfg.state, err, sizeof err) != 0)
        session_emit_text(s, UI_EV_ERROR, "%s", err);
    s->store.unsynced = false;
}
