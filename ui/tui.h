/* tui: the full-screen terminal UI (ncursesw + GNU readline). Renders ui_events and hands typed
 * lines and commands back through hooks; knows nothing of Kafka or crypto.
 *
 * Threads: tui_run runs on the calling (UI) thread, which alone owns curses and readline. It
 * waits with poll() on stdin, on hooks->wake_fd (made readable by the session thread after it
 * queues an event) and on a self-pipe for SIGWINCH; it then drains events with next_event(). */
#ifndef KCHAT_TUI_H
#define KCHAT_TUI_H

#include "ui/ui_event.h"

#include <stdbool.h>

/* What the UI asks of the session (hooks->request). */
typedef enum {
    UI_REQ_QUIT,  /* close the channel; the UI keeps draining events until UI_EV_DONE */
    UI_REQ_REKEY, /* switch to fresh session keys now */
} ui_request;

typedef struct ui_hooks {
    int wake_fd;
    /* Pops the next queued event (ownership passes to the UI); false when none is queued. */
    bool (*next_event)(void *ctx, ui_event **out);
    /* A message the user typed (UTF-8, no trailing newline; a confirmed multi-line paste is one
     * message with embedded newlines). */
    void (*submit_line)(void *ctx, const char *line);
    /* A request for the session (see ui_request). */
    void (*request)(void *ctx, ui_request req);
    void *ctx;
    ui_role role;
    const char *own_id;   /* our identifier */
    const char *log_path; /* optional file that also receives log lines; NULL: none */
    /* Optional: everything taken with next_event so far is about to be drawn (called before each
     * redraw; it may wait briefly while the session records the messages as shown). */
    void (*shown)(void *ctx);
} ui_hooks;

/* Sets LC_CTYPE from the environment, or C.UTF-8 when that is not UTF-8 (the screen needs wide
 * characters). setlocale is not thread-safe: call it first thing in main, before any thread
 * starts (kchat's session thread, librdkafka's threads), and before tui_run. */
void tui_locale_init(void);
/* Runs until the session reports UI_EV_DONE; returns its code. Restores the terminal. */
int tui_run(const ui_hooks *hooks);
/* 0 when stdin and stdout are terminals; else -1 with a one-line hint in err. */
int tui_check_terminal(char *err, size_t errlen);

#endif
