#include "ui/ui_event.h"

#include <stdlib.h>
#include <string.h>

const char *ui_event_name(ui_event_type t)
{
    static const char *names[] = {
        [UI_EV_INVITATION] = "invitation",
        [UI_EV_HANDSHAKE] = "handshake",
        [UI_EV_ESTABLISHED] = "established",
        [UI_EV_MESSAGE] = "message",
        [UI_EV_SENT] = "sent",
        [UI_EV_ECHO] = "echo",
        [UI_EV_DELIVERED] = "delivered",
        [UI_EV_REJECTED] = "rejected",
        [UI_EV_GAP] = "gap",
        [UI_EV_ERROR] = "error",
        [UI_EV_STATE] = "state",
        [UI_EV_PEER_LEFT] = "peer-left",
        [UI_EV_REKEY] = "rekey",
        [UI_EV_LOG] = "log",
        [UI_EV_STATS] = "stats",
        [UI_EV_HISTORY] = "history",
        [UI_EV_DONE] = "done",
    };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

const char *ui_state_name(ui_state s)
{
    static const char *names[] = {
        [UI_STATE_CONNECTING] = "connecting",   [UI_STATE_WAITING] = "waiting",
        [UI_STATE_HANDSHAKING] = "handshaking", [UI_STATE_SECURE] = "secure",
        [UI_STATE_BROKEN] = "broken",           [UI_STATE_CLOSED] = "closed",
    };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *ui_reject_name(ui_reject r)
{
    static const char *names[] = {
        [UI_REJECT_MALFORMED] = "malformed",
        [UI_REJECT_TAMPERED] = "tampered",
        [UI_REJECT_REPLAYED] = "replayed",
        [UI_REJECT_UNTRUSTED] = "untrusted",
        [UI_REJECT_UNKNOWN_SESSION] = "unknown-session",
        [UI_REJECT_UNAUTHENTICATED] = "unauthenticated",
        [UI_REJECT_OTHER_PEER] = "other-peer",
        [UI_REJECT_UNKNOWN_ECHO] = "unknown-echo",
    };
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

const char *ui_role_name(ui_role r)
{
    return r == UI_ROLE_BOB ? "Bob" : r == UI_ROLE_ALICE ? "Alice" : "?";
}

void ui_secret_free(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

void ui_event_free(ui_event *ev)
{
    if (!ev)
        return;
    if (ev->text) { /* message plaintext: wiped */
        explicit_bzero(ev->text, ev->text_len ? ev->text_len : strlen(ev->text));
        free(ev->text);
    }
    free(ev->peer);
    free(ev->name);
    free(ev->suite);
    ui_secret_free(ev->invitation); /* holds the invitation secret */
    free(ev->a2b);
    free(ev->b2a);
    free(ev->id);
    free(ev);
}
