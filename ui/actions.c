/* actions: what a typed line does. Messages go to the session (hooks->submit_line) and appear
 * at once with the "queued" mark; slash commands run the handler their entry in command.c's
 * table names (action_*), which acts on the UI or asks the session (hooks->request). Feedback
 * appears as info or warning lines in the conversation. */
#include "ui/tui_internal.h"

#include "ui/command.h"
#include "ui/format.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void add_line(tui *t, conv_kind kind, const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    conv_add(&t->conv, kind, time(NULL), buf);
}

void tui_info(tui *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_line(t, CONV_INFO, fmt, ap);
    va_end(ap);
}

void tui_warn(tui *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_line(t, CONV_WARN, fmt, ap);
    va_end(ap);
}

void tui_show_invitation(tui *t)
{
    t->inv_shown = true;
    tui_layout(t);
    if (!t->w_inv && t->screen) { /* no room at the top: in the conversation then */
        tui_info(t, "Invitation for Alice — give it to her over a channel you trust (it holds "
                    "the secret that proves you to each other):");
        conv_add(&t->conv, CONV_BLOCK, time(NULL), t->inv_text);
    }
    tui_info(t,
             "She joins with: kchat connect '<invitation>' (topics %s, %s); /copy puts it on "
             "the clipboard",
             t->inv_a2b ? t->inv_a2b : "?", t->inv_b2a ? t->inv_b2a : "?");
}

static bool has_invitation(tui *t)
{
    if (t->st.role != UI_ROLE_BOB)
        tui_info(t, "only Bob (kchat listen) has an invitation");
    else if (!t->inv_text || !t->inv_text[0])
        tui_info(t, "no invitation yet");
    else
        return true;
    return false;
}

void action_invite(tui *t, const command *cmd)
{
    (void)cmd;
    if (!has_invitation(t))
        return;
    if (!t->inv_shown) {
        tui_show_invitation(t);
        return;
    }
    t->inv_shown = false;
    tui_layout(t);
}

void action_copy(tui *t, const command *cmd)
{
    (void)cmd;
    if (!has_invitation(t) || invite_copy(t) != 0)
        return;
    tui_info(t, "invitation sent to the clipboard (OSC 52; the terminal must allow it%s)",
             getenv("TMUX") ? "; in tmux: set -g set-clipboard on" : "");
}

void action_help(tui *t, const command *cmd)
{
    size_t n;
    const command_info *table = command_table(&n);
    if (cmd->arg_len > 0) {
        const command_info *ci = command_find(cmd->arg, cmd->arg_len);
        if (!ci)
            tui_warn(t, "no command /%.*s — try /help", (int)cmd->arg_len, cmd->arg);
        else
            tui_info(t, "/%s%s%s — %s", ci->name, ci->args[0] ? " " : "", ci->args, ci->help);
        return;
    }
    char buf[2048];
    size_t k = (size_t)snprintf(buf, sizeof buf, "commands:");
    for (size_t i = 0; i < n && k < sizeof buf; i++) {
        char left[32];
        snprintf(left, sizeof left, "/%s %s", table[i].name, table[i].args);
        k += (size_t)snprintf(buf + k, sizeof buf - k, "\n  %-19s %s", left, table[i].help);
    }
    if (k < sizeof buf)
        snprintf(buf + k, sizeof buf - k,
                 "\nkeys: PgUp/PgDn scroll · F2 or Ctrl-T channel pane · Tab completes · "
                 "Up/Down history · Ctrl-L redraw · Ctrl-C quit\n"
                 "a line starting with // sends it with one slash; a paste of several lines "
                 "asks before it is sent as one message");
    conv_add(&t->conv, CONV_INFO, time(NULL), buf);
}

void action_id(tui *t, const command *cmd)
{
    (void)cmd;
    char grouped[80];
    fmt_id_groups(t->own_id, 0, grouped, sizeof grouped);
    tui_info(t, "your identifier: %s\n= %s", t->own_id ? t->own_id : "?", grouped);
}

void action_peer(tui *t, const command *cmd)
{
    (void)cmd;
    if (!t->peer_id) {
        tui_info(t, "no peer yet (%s)",
                 t->st.state_known ? ui_state_name(t->st.state) : "starting");
        return;
    }
    char grouped[80], ms[32];
    fmt_id_groups(t->peer_id, 0, grouped, sizeof grouped);
    fmt_ms(t->hs_ms, ms, sizeof ms);
    tui_info(t, "peer identifier: %s\n= %s\nname it gave: %s\ntrust: %s\nchannel: %s, handshake %s",
             t->peer_id, grouped, t->peer_name ? t->peer_name : "none",
             t->peer_trust ? t->peer_trust : "authenticated by the handshake",
             t->suite ? t->suite : "not established", ms);
}

void action_stats(tui *t, const command *cmd)
{
    (void)cmd;
    const ui_stats *s = &t->st.stats;
    char rtt[32] = "none yet";
    if (t->st.have_rtt)
        fmt_ms(s->last_rtt_ms, rtt, sizeof rtt);
    tui_info(t,
             "sent %llu · delivered %llu · echoed %llu · received %llu · rejected %llu · "
             "gaps %llu · last round trip %s",
             (unsigned long long)s->sent, (unsigned long long)s->delivered,
             (unsigned long long)s->echoed, (unsigned long long)s->received,
             (unsigned long long)s->rejected, (unsigned long long)s->gaps, rtt);
}

void tui_send_message(tui *t, const char *text)
{
    if (t->quitting) {
        tui_warn(t, "the channel is closing; message not sent");
        return;
    }
    conv_add_mine(&t->conv, time(NULL), text);
    conv_scroll_bottom(&t->conv);
    if (t->hooks->submit_line)
        t->hooks->submit_line(t->hooks->ctx, text);
}

/* /quit with messages the peer has not acknowledged says how many and asks first. */
void tui_request_quit(tui *t, bool force)
{
    size_t n = conv_undelivered(&t->conv);
    if (n == 0 || force || t->quit_asked) {
        tui_start_quit(t);
        return;
    }
    t->quit_asked = true;
    tui_warn(t,
             "%zu message%s not delivered to the peer yet; /quit again (or /quit!) leaves "
             "anyway",
             n, n == 1 ? "" : "s");
}

void action_quit(tui *t, const command *cmd)
{
    tui_request_quit(t, cmd->value == 1);
}

void action_clear(tui *t, const command *cmd)
{
    (void)cmd;
    conv_clear(&t->conv);
}

void action_rekey(tui *t, const command *cmd)
{
    (void)cmd;
    if (t->hooks->request)
        t->hooks->request(t->hooks->ctx, UI_REQ_REKEY);
    tui_info(t, "rekey requested");
}

void action_channel(tui *t, const command *cmd)
{
    tui_toggle_pane(t, cmd->value);
}

void action_bell(tui *t, const command *cmd)
{
    t->bell_off = cmd->value < 0 ? !t->bell_off : cmd->value == 0;
    tui_info(t, "bell %s for messages that arrive while you are scrolled back or away",
             t->bell_off ? "off" : "on");
}

void tui_submit(tui *t, const char *line)
{
    command cmd;
    command_parse(line, &cmd);
    if (cmd.kind == UI_CMD_EMPTY)
        return;
    conv_scroll_bottom(&t->conv);
    if (cmd.kind == UI_CMD_MESSAGE)
        tui_send_message(t, cmd.text);
    else if (cmd.info)
        cmd.info->run(t, &cmd);
    else
        tui_warn(t, "%s", cmd.error);
}

void tui_completions(tui *t, char **matches, int n)
{
    char buf[512];
    size_t k = (size_t)snprintf(buf, sizeof buf, "completions:");
    for (int i = 1; i <= n && k < sizeof buf; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, " %s", matches[i]);
    tui_info(t, "%s", buf);
}
