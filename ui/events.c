/* events: turns each ui_event from the session into changes of the TUI's models (conversation,
 * channel pane, status bar, saved identifiers). Nothing here draws; tui_run redraws afterwards. */
#include "ui/tui_internal.h"

#include "ui/format.h"

#include <stdlib.h>
#include <string.h>

static void set_str(char **dst, const char *src)
{
    if (!src)
        return;
    char *copy = strdup(src);
    if (!copy)
        return;
    free(*dst);
    *dst = copy;
}

static void copy_small(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static const char *reason_words(const char *reason)
{
    static const struct {
        const char *reason, *words;
    } table[] = {
        {"tampered", "failed authentication (changed or forged)"},
        {"replayed", "already seen (replayed)"},
        {"malformed", "not a well-formed kchat record"},
        {"untrusted", "from a key we do not trust"},
        {"unknown-session", "from another session"},
    };
    for (size_t i = 0; reason && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(reason, table[i].reason) == 0)
            return table[i].words;
    return reason ? reason : "unknown reason";
}

/* The name shown in front of the peer's messages: the first two groups of its identifier. */
static void set_peer(tui *t, const char *id)
{
    if (!id || !*id)
        return;
    set_str(&t->peer_id, id);
    fmt_id_groups(id, 3, t->st.peer_short, sizeof t->st.peer_short);
}

static void on_invitation(tui *t, const ui_event *ev)
{
    set_str(&t->inv_text, ev->invitation);
    set_str(&t->inv_a2b, ev->a2b);
    set_str(&t->inv_b2a, ev->b2a);
    set_str(&t->inv_id, ev->id);
    copy_small(t->st.a2b, sizeof t->st.a2b, ev->a2b);
    copy_small(t->st.b2a, sizeof t->st.b2a, ev->b2a);
    chan_add(t, ST_NORMAL, "topics %s (to Bob), %s (to Alice)", ev->a2b ? ev->a2b : "?",
             ev->b2a ? ev->b2a : "?");
    if (ev->invitation && ev->invitation[0] && strcmp(t->st.role, "Bob") == 0)
        tui_show_invitation(t);
}

static void on_handshake(tui *t, const ui_event *ev)
{
    char peer[32] = "", ms[32];
    t->st.state_known = true;
    t->st.state = UI_STATE_HANDSHAKING;
    t->st.hs_step = ev->step;
    if (ev->peer && ev->peer[0]) {
        set_peer(t, ev->peer);
        snprintf(peer, sizeof peer, ", peer %s", t->st.peer_short);
    }
    fmt_ms(ev->ms, ms, sizeof ms);
    chan_add(t, ST_NORMAL, "%s %d/3 %s%s  (+%s)", ev->out ? "→" : "←", ev->step,
             ev->out ? "sent" : "received", peer, ms);
}

static void on_established(tui *t, const ui_event *ev)
{
    char ms[32];
    set_peer(t, ev->peer);
    set_str(&t->suite, ev->suite);
    set_str(&t->peer_trust, ev->text);
    t->hs_ms = ev->ms;
    t->st.state_known = true;
    t->st.state = UI_STATE_SECURE;
    t->st.hs_step = 3;
    fmt_ms(ev->ms, ms, sizeof ms);
    chan_add(t, ST_GOOD, "✓ secure: %s, %s", ev->suite ? ev->suite : "?", ms);
    chan_add(t, ST_NORMAL, "peer %s", ev->peer ? ev->peer : "?");
    tui_info(t, "secure channel with %s (%s) — type to chat, /help for commands", t->st.peer_short,
             ev->suite ? ev->suite : "?");
}

static const char *state_words(ui_state s)
{
    switch (s) {
    case UI_STATE_CONNECTING:
        return "connecting to Kafka";
    case UI_STATE_WAITING:
        return "waiting for the peer";
    case UI_STATE_HANDSHAKING:
        return "handshaking";
    case UI_STATE_SECURE:
        return "secure";
    case UI_STATE_BROKEN:
        return "broken, retrying";
    case UI_STATE_CLOSED:
        return "closed";
    }
    return "?";
}

static void on_state(tui *t, const ui_event *ev)
{
    bool has_text = ev->text && ev->text[0];
    tui_style style = ev->state == UI_STATE_BROKEN   ? ST_WARN
                      : ev->state == UI_STATE_SECURE ? ST_GOOD
                                                     : ST_NORMAL;
    chan_add(t, style, "● %s%s%s", state_words(ev->state), has_text ? ": " : "",
             has_text ? ev->text : "");
    if (ev->state == UI_STATE_BROKEN && !t->was_broken)
        tui_warn(t, "connection problem: %s", has_text ? ev->text : "retrying");
    if (ev->state == UI_STATE_SECURE && t->was_broken)
        tui_info(t, "connection restored");
    t->was_broken = ev->state == UI_STATE_BROKEN;
    if (ev->state == UI_STATE_HANDSHAKING && t->st.state != UI_STATE_HANDSHAKING)
        t->st.hs_step = 0;
    t->st.state_known = true;
    t->st.state = ev->state;
}

static void on_message_event(tui *t, const ui_event *ev, time_t now)
{
    switch (ev->type) {
    case UI_EV_MESSAGE:
        conv_add(&t->conv, CONV_PEER, now, ev->text);
        t->st.stats.received++;
        break;
    case UI_EV_SENT:
        conv_on_sent(&t->conv, ev->seq, ev->text, now);
        t->st.stats.sent++;
        break;
    case UI_EV_DELIVERED:
        conv_on_delivered(&t->conv, ev->seq);
        t->st.stats.delivered++;
        break;
    case UI_EV_ECHO:
        if (!conv_on_echo(&t->conv, ev->seq, ev->text, ev->ms))
            tui_info(t, "echo of message #%llu: %s", (unsigned long long)ev->seq,
                     ev->text ? ev->text : "");
        t->st.stats.echoed++;
        t->st.stats.last_rtt_ms = ev->ms;
        t->st.have_rtt = true;
        break;
    default:
        break;
    }
}

static void on_history(tui *t, const ui_event *ev)
{
    conv_entry *e = conv_add(&t->conv, ev->out ? CONV_MINE : CONV_PEER, (time_t)(ev->ms / 1000.0),
                             ev->text ? ev->text : "");
    if (e)
        e->dim = true;
}

static void on_rejected(tui *t, const ui_event *ev)
{
    char where[48] = "";
    if (ev->offset >= 0)
        snprintf(where, sizeof where, " at offset %lld", (long long)ev->offset);
    tui_warn(t, "rejected a record%s: %s", where, reason_words(ev->reason));
    chan_add(t, ST_WARN, "✗ rejected%s: %s", where, ev->reason ? ev->reason : "?");
    t->st.stats.rejected++;
}

static void on_gap(tui *t, const ui_event *ev)
{
    if (ev->from == ev->to)
        tui_warn(t, "message #%llu from the peer is missing (never arrived)",
                 (unsigned long long)ev->from);
    else
        tui_warn(t, "messages #%llu–#%llu from the peer are missing (never arrived)",
                 (unsigned long long)ev->from, (unsigned long long)ev->to);
    chan_add(t, ST_WARN, "gap: #%llu–#%llu missing", (unsigned long long)ev->from,
             (unsigned long long)ev->to);
    t->st.stats.gaps++;
}

static void on_notice(tui *t, const ui_event *ev)
{
    const char *text = ev->text ? ev->text : "";
    switch (ev->type) {
    case UI_EV_ERROR:
        chan_add(t, ST_WARN, "error: %s", text);
        tui_warn(t, "error: %s", text);
        tui_log_file(t, "error", text);
        break;
    case UI_EV_LOG:
        chan_add(t, ST_DIM, "%s", text);
        tui_log_file(t, "log", text);
        break;
    case UI_EV_PEER_LEFT:
        set_peer(t, ev->peer);
        tui_warn(t, "the peer %s left the channel", t->st.peer_short[0] ? t->st.peer_short : "");
        chan_add(t, ST_WARN, "peer left");
        break;
    case UI_EV_REKEY:
        chan_add(t, ST_NORMAL, "⟳ new %s key, epoch %llu", ev->out ? "sending" : "receiving",
                 (unsigned long long)ev->seq);
        break;
    default:
        break;
    }
}

void tui_handle_event(tui *t, const ui_event *ev)
{
    time_t now = time(NULL);
    switch (ev->type) {
    case UI_EV_INVITATION:
        on_invitation(t, ev);
        break;
    case UI_EV_HANDSHAKE:
        on_handshake(t, ev);
        break;
    case UI_EV_ESTABLISHED:
        on_established(t, ev);
        break;
    case UI_EV_MESSAGE:
    case UI_EV_SENT:
    case UI_EV_DELIVERED:
    case UI_EV_ECHO:
        on_message_event(t, ev, now);
        break;
    case UI_EV_REJECTED:
        on_rejected(t, ev);
        break;
    case UI_EV_GAP:
        on_gap(t, ev);
        break;
    case UI_EV_STATE:
        on_state(t, ev);
        break;
    case UI_EV_ERROR:
    case UI_EV_LOG:
    case UI_EV_PEER_LEFT:
    case UI_EV_REKEY:
        on_notice(t, ev);
        break;
    case UI_EV_HISTORY: /* an earlier message of the conversation, dimmed */
        on_history(t, ev);
        break;
    case UI_EV_STATS:
        t->st.stats = ev->stats;
        t->st.have_rtt = t->st.have_rtt || ev->stats.last_rtt_ms > 0;
        break;
    case UI_EV_DONE:
        t->done = true;
        t->code = ev->code;
        break;
    }
}
