/* session_emit: builds ui_events on the session thread and hands them to the front end. Events
 * are held until session_flush_events so the listen state can be saved before a message shows. */
#include "src/session_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_STATS_MS 500

ui_event *session_event(ui_event_type type)
{
    ui_event *ev = calloc(1, sizeof *ev);
    if (ev) {
        ev->type = type;
        ev->offset = -1;
    }
    return ev;
}

void session_emit(session *s, ui_event *ev)
{
    if (!ev)
        return;
    if (s->n_held == s->cap_held) {
        size_t cap = s->cap_held ? s->cap_held * 2 : 64;
        ui_event **p = realloc(s->held, cap * sizeof *p);
        if (!p) {
            event_queue_push(s->events, ev);
            return;
        }
        s->held = p;
        s->cap_held = cap;
    }
    s->held[s->n_held++] = ev;
}

void session_flush_events(session *s)
{
    if (s->n_held == 0)
        return;
    session_rx_pushed(s, event_queue_push_many(s->events, s->held, s->n_held));
    s->n_held = 0;
}

void session_emit_text(session *s, ui_event_type type, const char *fmt, ...)
{
    ui_event *ev = session_event(type);
    if (!ev)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ev->text = strdup(buf);
    session_emit(s, ev);
}

void session_emit_state(session *s, ui_state st, const char *detail)
{
    ui_event *ev = session_event(UI_EV_STATE);
    if (!ev)
        return;
    ev->state = st;
    ev->text = strdup(detail ? detail : "");
    session_emit(s, ev);
}

void session_emit_confirmed(session *s)
{
    ui_event *ev = session_event(UI_EV_STATE);
    if (!ev)
        return;
    ev->state = UI_STATE_SECURE;
    ev->confirmed = true;
    ev->text = strdup("confirmed by the peer");
    session_emit(s, ev);
}

void session_emit_rejected(session *s, ui_reject reason, int64_t offset)
{
    session_emit_rejected_peer(s, reason, NULL, offset);
}

void session_emit_rejected_peer(session *s, ui_reject reason, const char *peer, int64_t offset)
{
    ui_event *ev = session_event(UI_EV_REJECTED);
    if (!ev)
        return;
    ev->reason = reason;
    ev->peer = peer ? strdup(peer) : NULL;
    ev->offset = offset;
    s->stats.rejected++;
    s->stats_dirty = true;
    session_emit(s, ev);
}

void session_count(session *s, session_stat which)
{
    uint64_t *counters[] = {
        [STAT_SENT] = &s->stats.sent,     [STAT_DELIVERED] = &s->stats.delivered,
        [STAT_ECHOED] = &s->stats.echoed, [STAT_RECEIVED] = &s->stats.received,
        [STAT_GAPS] = &s->stats.gaps,
    };
    (*counters[which])++;
    s->stats_dirty = true;
}

void session_note_rtt(session *s, double ms)
{
    s->stats.last_rtt_ms = ms;
    s->stats_dirty = true;
}

void session_stats_tick(session *s, double now)
{
    if (s->stats_dirty && now - s->stats_ms >= SESSION_STATS_MS) {
        s->stats_ms = now;
        session_emit_stats(s);
    }
}

void session_emit_stats(session *s)
{
    ui_event *ev = session_event(UI_EV_STATS);
    if (!ev)
        return;
    ev->stats = s->stats;
    s->stats_dirty = false;
    session_emit(s, ev);
}

ui_reject session_reject_reason(int rc)
{
    switch (rc) {
    case CHANNEL_REPLAYED:
        return UI_REJECT_REPLAYED;
    case CHANNEL_TAMPERED:
        return UI_REJECT_TAMPERED;
    case CHANNEL_UNTRUSTED:
        return UI_REJECT_UNTRUSTED;
    case CHANNEL_UNKNOWN_SESSION:
        return UI_REJECT_UNKNOWN_SESSION;
    case CHANNEL_UNAUTHENTICATED:
        return UI_REJECT_UNAUTHENTICATED;
    default:
        return UI_REJECT_MALFORMED;
    }
}
