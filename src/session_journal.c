/* session_journal: the conversation journal and the history, the part of the session that makes
 * a killed process resume its conversation. The other parts tell it each change of the outbox,
 * of the peer's messages shown and of the echoes; it mirrors them into cfg.journal (conv_state:
 * applied in memory at once, written by session_journal_sync as one sealed record per step,
 * before anything journaled in the step is sent) and appends the messages to cfg.history. At
 * start it shows the last history messages. Without a journal (or history) nothing is kept. */
#include "src/session_internal.h"
#include "sys/clock.h"

#include <stdlib.h>
#include <string.h>

/* A change the journal refused, or a sync that failed: the journal no longer matches what we
 * would send, so the session ends before sending it (exit 1 with the reason). */
static void fail(session *s, const char *what, const char *why)
{
    if (!s->journal.failed)
        session_emit_text(s, UI_EV_ERROR, "conversation state: %s%s%s", what, why ? ": " : "",
                          why ? why : "");
    s->journal.failed = true;
    session_finish(s, KCHAT_EXIT_ERROR);
}

static void check(session *s, int rc, const char *what)
{
    if (rc != 0)
        fail(s, what, NULL);
}

static void history_failed(session *s, const char *err)
{
    s->journal.history_off = true;
    session_emit_text(s, UI_EV_ERROR, "history: %s; no more history is kept", err);
}

/* Queued: written with the journal (session_journal_write), before what it holds is shown. */
static void add_history(session *s, uint8_t dir, uint64_t seq, const void *text, size_t len)
{
    if (!s->cfg.history || s->journal.history_off)
        return;
    char err[256];
    if (history_add(s->cfg.history, dir, seq, (int64_t)sys_wall_ms(), text, len, err, sizeof err) !=
        0)
        history_failed(s, err);
}

static void flush_history(session *s)
{
    if (!s->cfg.history || s->journal.history_off)
        return;
    char err[256];
    if (history_flush(s->cfg.history, err, sizeof err) != 0)
        history_failed(s, err);
}

void session_journal_msg(session *s, const out_msg *m)
{
    if (!m->echo_of)
        add_history(s, HISTORY_OURS, m->seq, m->text, m->len);
    if (s->cfg.journal)
        check(s, conv_state_msg(s->cfg.journal, m->seq, m->echo_of, m->flags, m->text, m->len),
              "cannot journal a message");
}

/* Our numbers the journal never held (Bob's, handed out before it existed) are settled for
 * it: an acknowledgement or echo counts up to its highest number only. */
static uint64_t ours_upto(const session *s, uint64_t upto)
{
    uint64_t top = conv_state_next_seq(s->cfg.journal) - 1;
    return upto < top ? upto : top;
}

void session_journal_acked(session *s, uint64_t upto)
{
    if (!s->cfg.journal)
        return;
    upto = ours_upto(s, upto);
    if (upto > conv_state_acked_upto(s->cfg.journal))
        check(s, conv_state_acked(s->cfg.journal, upto), "cannot journal an acknowledgement");
}

void session_journal_history(session *s, uint64_t seq, const uint8_t *text, size_t len)
{
    add_history(s, HISTORY_PEER, seq, text, len);
}

void session_journal_shown(session *s, uint64_t seq)
{
    if (s->cfg.journal && s->cfg.role == SESSION_ALICE)
        check(s, conv_state_shown(s->cfg.journal, seq), "cannot journal a message shown");
}

void session_journal_shown_upto(session *s, uint64_t upto)
{
    if (s->cfg.journal && s->cfg.role == SESSION_ALICE)
        check(s, conv_state_shown_upto(s->cfg.journal, upto), "cannot journal messages settled");
}

void session_journal_echoed(session *s, uint64_t upto)
{
    if (!s->cfg.journal)
        return;
    upto = ours_upto(s, upto);
    if (upto > conv_state_echoed_upto(s->cfg.journal))
        check(s, conv_state_echoed(s->cfg.journal, upto), "cannot journal an echo");
}

void session_journal_new_conv(session *s, const uint8_t *conv)
{
    if (s->cfg.journal)
        check(s, conv_state_set_conv(s->cfg.journal, conv), "cannot journal a new conversation");
}

void session_journal_renumber(session *s, uint64_t first)
{
    if (s->cfg.journal)
        check(s, conv_state_renumber(s->cfg.journal, first), "cannot journal a renumbering");
}

void session_journal_clear(session *s)
{
    if (s->cfg.journal)
        check(s, conv_state_clear(s->cfg.journal), "cannot journal a new conversation");
}

/* Writes (conv_state_write) or writes and syncs (conv_state_sync) what the step journaled. */
static void save(session *s, int (*how)(conv_state *, char *, size_t))
{
    if (!s->cfg.journal || s->journal.failed)
        return;
    char err[512];
    if (how(s->cfg.journal, err, sizeof err) != 0)
        fail(s, "cannot save", err);
}

void session_journal_write(session *s)
{
    flush_history(s);
    save(s, conv_state_write);
}

void session_journal_sync(session *s)
{
    save(s, conv_state_sync);
}

bool session_journal_failed(const session *s)
{
    return s->journal.failed;
}

static void emit_history(void *ctx, const history_entry *e)
{
    session *s = ctx;
    ui_event *ev = session_event(UI_EV_HISTORY);
    if (!ev)
        return;
    ev->text = malloc(e->len + 1);
    if (!ev->text) {
        ui_event_free(ev);
        return;
    }
    if (e->len)
        memcpy(ev->text, e->text, e->len);
    ev->text[e->len] = '\0';
    ev->text_len = e->len;
    ev->seq = e->seq;
    ev->out = e->dir == HISTORY_OURS;
    ev->ms = (double)e->time_ms;
    session_emit(s, ev);
}

void session_journal_show_history(session *s)
{
    char err[256];
    if (s->cfg.history && s->cfg.history_show &&
        history_last(s->cfg.history, s->cfg.history_show, emit_history, s, err, sizeof err) != 0)
        session_emit_text(s, UI_EV_ERROR, "history: %s", err);
}
