/* events: turns each ui_event from the session into changes of the TUI's models (conversation,
 * channel pane, status bar, saved identifiers). Nothing here draws; tui_run redraws afterwards. */
#include "ui/tui_internal.h"

#include "ui/format.h"
#include "sys/clock.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static const char *reason_words(ui_reject reason)
{
    switch (reason) {
    case UI_REJECT_TAMPERED:
        return "failed authentication (changed or forged)";
    case UI_REJECT_REPLAYED:
        return "already seen (replayed)";
    case UI_REJECT_MALFORMED:
        return "not a well-formed kchat record";
    case UI_REJECT_UNTRUSTED:
        return "from a key we do not trust";
    case UI_REJECT_UNKNOWN_SESSION:
        return "from another session";
    default:
        return ui_reject_name(reason);
    }
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
    if (ev->invitation && ev->invitation[0] && t->st.role == UI_ROLE_BOB)
        tui_show_invitation(t);
}

static double now_ms(void)
{
    return sys_now_ms();
}

int tui_tick_ms(const tui *t)
{
    if (t->hs1_ms <= 0 || t->hs_hinted)
        return -1;
    double left = t->hs1_ms + TUI_NO_ANSWER_MS - now_ms();
    return left <= 0 ? 0 : (int)left + 1;
}

void tui_tick(tui *t)
{
    if (tui_tick_ms(t) != 0)
        return;
    t->hs_hinted = true;
    tui_warn(t,
             "no answer from Bob for %d s: is his `kchat listen` running, on the same Kafka "
             "cluster, and is this invitation from his current listen? (still trying)",
             TUI_NO_ANSWER_MS / 1000);
}

static void on_handshake(tui *t, const ui_event *ev)
{
    if (ev->step == 1 && ev->out && t->hs1_ms <= 0)
        t->hs1_ms = now_ms(); /* retries of message 1 keep the first time */
    else if (ev->step > 1)
        t->hs1_ms = 0;
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

static bool is_alice(const tui *t)
{
    return t->st.role == UI_ROLE_ALICE;
}

static void say_secure(tui *t)
{
    if (t->greeted) { /* after a new handshake: no second banner */
        tui_info(t, "secure again with %s (new handshake)", t->st.peer_short);
        return;
    }
    t->greeted = true;
    tui_info(t, "secure channel with %s (%s) — type to chat, /help for commands", t->st.peer_short,
             t->suite ? t->suite : "?");
}

/* Alice has authenticated Bob here, but Bob has not confirmed her yet (he may still refuse her):
 * nothing claims "secure" before his confirmation (a secure state with ev->confirmed). */
static void on_established(tui *t, const ui_event *ev)
{
    char ms[32];
    set_peer(t, ev->peer);
    free(t->peer_name); /* a new handshake: the name it carried, or none */
    t->peer_name = ev->name ? strdup(ev->name) : NULL;
    set_str(&t->suite, ev->suite);
    set_str(&t->peer_trust, ev->text);
    t->hs_ms = ev->ms;
    t->st.state_known = true;
    t->st.state = UI_STATE_SECURE;
    t->st.hs_step = 3;
    t->st.unconfirmed = is_alice(t);
    if (t->inv_shown) { /* the peer is here: the conversation gets the room (/invite) */
        t->inv_shown = false;
        tui_layout(t);
    }
    fmt_ms(ev->ms, ms, sizeof ms);
    if (ev->name)
        chan_add(t, ST_NORMAL, "peer %s, who calls themself \"%s\"", ev->peer ? ev->peer : "?",
                 ev->name);
    else
        chan_add(t, ST_NORMAL, "peer %s", ev->peer ? ev->peer : "?");
    if (t->st.unconfirmed) {
        chan_add(t, ST_NORMAL, "keys agreed: %s, %s; waiting for the peer to confirm",
                 ev->suite ? ev->suite : "?", ms);
        return;
    }
    chan_add(t, ST_GOOD, "✓ secure: %s, %s", ev->suite ? ev->suite : "?", ms);
    say_secure(t);
}

static void on_confirmed(tui *t)
{
    bool was = t->st.unconfirmed;
    t->st.unconfirmed = false;
    tui_forget_errors(t);
    if (!was)
        return;
    chan_add(t, ST_GOOD, "✓ secure: confirmed by the peer");
    say_secure(t);
}

/* Keeps the text of an error for the restored terminal (the last few, each once). */
static void keep_error(tui *t, const char *text)
{
    for (size_t i = 0; i < t->nerrors; i++)
        if (strcmp(t->errors[i], text) == 0)
            return;
    char *copy = strdup(text);
    if (!copy)
        return;
    if (t->nerrors == TUI_KEEP_ERRORS) {
        free(t->errors[0]);
        memmove(t->errors, t->errors + 1, (TUI_KEEP_ERRORS - 1) * sizeof t->errors[0]);
        t->nerrors--;
    }
    t->errors[t->nerrors++] = copy;
}

void tui_forget_errors(tui *t)
{
    for (size_t i = 0; i < t->nerrors; i++)
        free(t->errors[i]);
    t->nerrors = 0;
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
    /* no detail that only repeats the state ("connecting to Kafka: connecting to Kafka") */
    bool has_text = ev->text && ev->text[0] && strcmp(ev->text, state_words(ev->state)) != 0;
    bool confirmed = ev->confirmed;
    t->st.state_known = true;
    if (ev->state == UI_STATE_SECURE && (confirmed || t->st.unconfirmed)) {
        if (confirmed) /* else: on_established said it, nothing is secure before this */
            on_confirmed(t);
        t->st.state = ev->state;
        return;
    }
    if (ev->state != UI_STATE_CONNECTING && ev->state != UI_STATE_BROKEN)
        t->kafka_warned = false; /* connected: a later failure is news again */
    if (ev->state != UI_STATE_HANDSHAKING) {
        t->hs1_ms = 0;
        t->hs_hinted = false;
    }
    if (ev->state != UI_STATE_SECURE)
        t->st.unconfirmed = false;
    else
        tui_forget_errors(t);
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
    t->st.state = ev->state;
}

static void set_title(tui *t)
{
    char title[64];
    int n = t->st.unread ? snprintf(title, sizeof title, "\033]2;kchat (%u unread)\a", t->st.unread)
                         : snprintf(title, sizeof title, "\033]2;kchat\a");
    if (t->screen)
        (void)!write(STDOUT_FILENO, title, (size_t)n);
    t->title_set = true;
}

/* A peer message arrives while the reader is scrolled back or elsewhere: a marker line above
 * the first unread one, the bell once, the count in the status bar and the terminal title. */
static void notify(tui *t, time_t now)
{
    if (t->conv.scroll == 0 && !t->unfocused)
        return;
    if (t->st.unread == 0) {
        conv_add(&t->conv, CONV_DAY, now, "── unread ──");
        if (!t->bell_off && t->screen)
            beep();
    }
    t->st.unread++;
    set_title(t);
}

void tui_check_unread(tui *t)
{
    if (!t->st.unread || t->conv.scroll > 0 || t->unfocused)
        return;
    t->st.unread = 0;
    set_title(t);
}

/* A message's text for the screen: a NUL byte in it shows as U+FFFD instead of ending it.
 * Returns ev->text itself when it holds none, else a copy to free. */
static char *screen_text(const ui_event *ev)
{
    if (!ev->text || ev->text_len <= strlen(ev->text))
        return ev->text;
    size_t nul = 0;
    for (size_t i = 0; i < ev->text_len; i++)
        nul += ev->text[i] == '\0';
    char *out = malloc(ev->text_len + 2 * nul + 1), *o = out;
    if (!out)
        return ev->text;
    for (size_t i = 0; i < ev->text_len; i++) {
        if (ev->text[i]) {
            *o++ = ev->text[i];
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
        }
    }
    *o = '\0';
    return out;
}

static void on_message_event(tui *t, const ui_event *ev, time_t now)
{
    char *text = screen_text(ev);
    switch (ev->type) {
    case UI_EV_MESSAGE:
        notify(t, now);
        conv_add(&t->conv, CONV_PEER, now, text);
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
        if (!conv_on_echo(&t->conv, ev->seq, text, ev->ms))
            tui_info(t, "echo of message #%llu: %s", (unsigned long long)ev->seq, text ? text : "");
        t->st.stats.echoed++;
        t->st.stats.last_rtt_ms = ev->ms;
        t->st.have_rtt = true;
        break;
    default:
        break;
    }
    if (text != ev->text)
        free(text);
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
    chan_add(t, ST_WARN, "✗ rejected%s: %s", where, ui_reject_name(ev->reason));
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

/* A librdkafka log line ("kchat#consumer-2 [FAIL] [thrd:...]: host/bootstrap: Connect to ...
 * failed: Connection refused (after 0ms in state CONNECT, 1 identical error(s) suppressed)") as
 * one sentence in the channel pane: its message without the thread prefix and the timing
 * remark, shown only when it differs from the last one. */
static void log_sentence(tui *t, const char *text)
{
    char sentence[sizeof t->last_log];
    const char *msg = text, *p;
    while ((p = strstr(msg, "]: ")) != NULL)
        msg = p + 3;
    snprintf(sentence, sizeof sentence, "%s%s", msg == text ? "" : "Kafka: ", msg);
    char *after = strstr(sentence, " (after ");
    if (after)
        *after = '\0';
    if (strcmp(sentence, t->last_log) == 0)
        return;
    snprintf(t->last_log, sizeof t->last_log, "%s", sentence);
    chan_add(t, ST_DIM, "%s", sentence);
    const char *failed = strstr(sentence, " failed: ");
    bool down =
        !t->st.state_known || t->st.state == UI_STATE_CONNECTING || t->st.state == UI_STATE_BROKEN;
    if (failed && strstr(sentence, "Connect to ") && down && !t->kafka_warned) {
        t->kafka_warned = true; /* librdkafka's reason, in the main pane, while it retries */
        tui_warn(t, "Kafka cannot be reached: %s (retrying)",
                 strncmp(sentence, "Kafka: ", 7) ? sentence : sentence + 7);
    }
}

static void on_notice(tui *t, const ui_event *ev)
{
    const char *text = ev->text ? ev->text : "";
    switch (ev->type) {
    case UI_EV_ERROR:
        chan_add(t, ST_WARN, "error: %s", text);
        tui_warn(t, "error: %s", text);
        tui_log_file(t, "error", text);
        keep_error(t, text);
        break;
    case UI_EV_LOG:
        tui_log_file(t, "log", text); /* the raw line goes to --log */
        log_sentence(t, text);
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
