/* tui_internal: what the files of the terminal UI share (ui/ only, not a contract for other
 * modules): the one tui state that tui_run owns on the UI thread, the styles, and the entry
 * points of each window and of the input line. Everything here runs on the UI thread. */
#ifndef KCHAT_UI_TUI_INTERNAL_H
#define KCHAT_UI_TUI_INTERNAL_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#include "ui/conv.h"
#include "ui/status.h"
#include "ui/tui.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

typedef enum {
    ST_NORMAL,
    ST_TIME,
    ST_MINE,
    ST_PEER,
    ST_WARN,
    ST_INFO,
    ST_GOOD,
    ST_DIM,
    ST_BAR,
    ST_BAR_GOOD,
    ST_BAR_BAD,
    ST_BORDER,
    ST_MORE,
    ST_COUNT
} tui_style;

/* One line of the channel pane. */
typedef struct chan_line {
    time_t when;
    tui_style style;
    wchar_t *w;
    size_t wlen;
} chan_line;

#define CHAN_MAX_LINES 1000
#define CHAN_SIDE_WIDTH 36     /* columns of the side pane, its border included */
#define CHAN_SIDE_MIN_COLS 100 /* narrower terminals get the pane at the bottom */

typedef struct chanlog {
    chan_line *lines; /* oldest first */
    size_t n, cap;
    size_t scroll; /* lines hidden below the view (Alt-PgUp scrolls back); 0: the newest */
} chanlog;

/* Keys of our own for the bracketed paste markers (far above ncurses' KEY_MAX). */
#define TUI_KEY_PASTE_BEGIN 0x5000
#define TUI_KEY_PASTE_END 0x5001
#define TUI_KEY_FOCUS_IN 0x5002 /* ESC[I and ESC[O: focus reporting (mode 1004) */
#define TUI_KEY_FOCUS_OUT 0x5003
#define PASTE_MAX_BYTES (64 * 1024)

typedef enum { PASTE_OFF, PASTE_COLLECTING, PASTE_CONFIRM } paste_mode;

typedef struct paste_state {
    paste_mode mode;
    char *buf; /* collected text, '\n' between lines, NUL-terminated */
    size_t len, cap;
    bool cr;       /* the last byte was '\r' (so a following '\n' is the same break) */
    bool overflow; /* more than PASTE_MAX_BYTES arrived; the rest was dropped */
} paste_state;

#define TUI_KEEP_ERRORS 3

typedef struct tui {
    const ui_hooks *hooks;
    conv conv;
    chanlog chan;
    tui_status st;

    /* what the session told us, kept for /id, /peer, /invite */
    char *own_id;
    char *peer_id, *peer_trust, *suite;
    char *peer_name; /* the peer's display name (--name), NULL if it gave none */
    double hs_ms;
    char *inv_text, *inv_a2b, *inv_b2a, *inv_id;
    bool was_broken;
    /* the errors since the channel was last secure, printed on the restored terminal when
     * the session ends with a failure */
    char *errors[TUI_KEEP_ERRORS];
    size_t nerrors;

    /* screen */
    SCREEN *screen;
    WINDOW *w_conv, *w_sep, *w_chan, *w_status, *w_input, *w_inv;
    bool inv_shown; /* Bob's invitation stands at the top (win_invite.c) */
    int rows, cols;
    bool pane_on;   /* the user wants the channel pane */
    bool pane_side; /* current layout: beside (true) or below the conversation */
    bool pane_shown;
    bool colors;
    attr_t attrs[ST_COUNT];
    short pairs[ST_COUNT];

    /* input line */
    paste_state paste;
    int hscroll; /* first column of the input text on screen */
    bool rl_ready;

    /* notification: messages that arrived while scrolled back or not focused */
    bool unfocused;     /* the terminal said the window lost the focus */
    bool bell_off;      /* /bell off */
    bool quit_asked;    /* /quit warned about undelivered messages; the next one leaves */
    bool title_set;     /* the terminal title was changed (OSC 2) */
    char last_log[160]; /* the last library log sentence shown in the channel pane */
    bool kafka_warned;  /* "Kafka cannot be reached" is in the conversation (until connected) */
    bool greeted;       /* the "secure channel with ..." line was shown once */
    double hs1_ms;      /* Alice sent handshake message 1 and has no answer since (0: not) */
    bool hs_hinted;     /* the "no answer from Bob" hint was shown for this wait */

    FILE *log;
    int sigints; /* Ctrl-C presses since quitting started */
    bool quitting;
    bool done;
    int code;
} tui;

#define PASTE_ON "\033[?2004h\033[?1004h" /* bracketed paste and focus reports on */
#define PASTE_OFF_SEQ "\033[?2004l\033[?1004l"

/* What term.c changed in the process and must put back. */
#define TERM_N_SIGNALS 5
#define TERM_N_FATAL 5 /* SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT: restore, then die */
typedef struct term_saved {
    struct sigaction old[TERM_N_SIGNALS];
    struct sigaction old_fatal[TERM_N_FATAL];
    bool signals, fatal;
    int stderr_fd;   /* a dup of the original fd 2, -1 when not redirected */
    int err_pipe[2]; /* what fd 2 points to meanwhile */
    char err_buf[512];
    size_t err_len;
} term_saved;

/* term.c */
int term_install_signals(term_saved *ts);
void term_restore_signals(term_saved *ts);
/* Prepares what a crash writes to leave the screen (after curses set the terminal up). */
void term_prepare_crash_restore(void);
int term_signal_fd(void); /* the self-pipe's read end: 'W' resize, 'I' Ctrl-C, 'T' quit, 'C' cont */
void term_capture_stderr(term_saved *ts);
void term_read_stderr(tui *t, term_saved *ts);
void term_restore_stderr(term_saved *ts);

/* style.c */
void tui_setup_styles(tui *t);
void tui_style_on(const tui *t, WINDOW *w, tui_style s);
void tui_style_off(const tui *t, WINDOW *w, tui_style s);
/* Puts wide text on w at the cursor, at most max_cols columns; returns the columns used. */
int tui_put_wcs(WINDOW *w, const wchar_t *s, size_t n, int max_cols);
/* Same for UTF-8 text. */
int tui_put_utf8(WINDOW *w, const char *s, int max_cols);

/* tui.c */
void tui_layout(tui *t);
void tui_redraw(tui *t);
void tui_toggle_pane(tui *t, int value); /* -1 toggle, 0 hide, 1 show */
void tui_start_quit(tui *t);
void tui_log_file(tui *t, const char *kind, const char *text);

/* win_invite.c */
/* Rows the invitation takes at the top (title included) out of avail; 0: not shown. */
int invite_rows(const tui *t, int avail);
void invite_draw(tui *t);
/* After doupdate: writes the invitation once more, raw, so the terminal wraps it itself. */
void invite_mark_wrapped(tui *t);
/* Puts the invitation on the clipboard (OSC 52). 0, or -1 when there is none. */
int invite_copy(const tui *t);

/* events.c */
void tui_handle_event(tui *t, const ui_event *ev);
/* After keys and events: the unread count ends when the newest line is in view and focused. */
void tui_check_unread(tui *t);
/* Milliseconds until tui_tick has something to do, -1 for never. */
int tui_tick_ms(const tui *t);
/* Time-driven hints: Alice waiting long for Bob's answer says what may be wrong. */
void tui_tick(tui *t);
#define TUI_NO_ANSWER_MS 6000
void tui_forget_errors(tui *t);

/* actions.c: what typed lines and commands do */
void tui_submit(tui *t, const char *line);
/* Sends text as one message (shown at once as queued). */
void tui_send_message(tui *t, const char *text);
/* /quit and Ctrl-D: with undelivered messages, says how many and asks first (unless force). */
void tui_request_quit(tui *t, bool force);
void tui_info(tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tui_warn(tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tui_show_invitation(tui *t);
void tui_completions(tui *t, char **matches, int n);

/* win_conversation.c */
void conv_draw(tui *t);
/* Rows the conversation view shows (for paging). */
int conv_view_rows(const tui *t);

/* win_channel.c */
void chan_init(chanlog *c);
void chan_free(chanlog *c);
void chan_add(tui *t, tui_style style, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void chan_draw(tui *t);
/* Scrolls the channel pane back (lines > 0) or forward, within what it holds. */
void chan_scroll_by(tui *t, int lines);

/* win_status.c */
void status_draw(tui *t);

/* input.c */
int input_init(tui *t);
void input_end(tui *t);
void input_key(tui *t, int r, wint_t wc);
void input_draw(tui *t);
int input_rows(const tui *t);
void input_define_keys(void);

#endif
