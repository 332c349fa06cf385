/* tui: the main loop of the terminal UI. tui_run owns curses and readline on the calling thread.
 * It poll()s (never a busy loop) stdin (keys, handled by input.c), the session's wake_fd
 * (drained, then every queued event is popped and applied by events.c) and a self-pipe written
 * by the signal handlers: SIGWINCH (resize), SIGINT/SIGTERM/SIGHUP (quit) and SIGCONT (back
 * from Ctrl-Z: bracketed paste on again, full repaint). When stderr is a terminal, fd 2 points
 * at a pipe meanwhile, polled too, so that stray library output shows in the channel pane
 * instead of scribbling over the screen; what is left of it goes to the real stderr at the end.
 *
 * Quitting (Ctrl-C, SIGTERM, SIGHUP, /quit) calls hooks->request(UI_REQ_QUIT) once and keeps
 * draining events until UI_EV_DONE, whose code tui_run returns. A third Ctrl-C while the session is
 * still closing gives up waiting and returns 130. Every exit path restores the terminal: readline
 * handler removed, bracketed paste off, endwin, signal handlers and fd 2 put back. */
#include "ui/tui_internal.h"

#include "ui/format.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* ---- layout ---- */

static void drop_windows(tui *t)
{
    WINDOW **ws[] = {&t->w_conv, &t->w_sep, &t->w_chan, &t->w_status, &t->w_input, &t->w_inv};
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
        if (*ws[i])
            delwin(*ws[i]);
        *ws[i] = NULL;
    }
}

static WINDOW *make_win(int h, int w, int y, int x)
{
    if (h < 1 || w < 1)
        return NULL;
    return newwin(h, w, y, x);
}

static void layout_panes(tui *t, int main_h, int top)
{
    t->pane_shown = false;
    t->pane_side = t->cols >= CHAN_SIDE_MIN_COLS;
    if (t->pane_on && t->pane_side) {
        int conv_w = t->cols - CHAN_SIDE_WIDTH;
        t->w_conv = make_win(main_h, conv_w, top, 0);
        t->w_sep = make_win(main_h, 1, top, conv_w);
        t->w_chan = make_win(main_h, CHAN_SIDE_WIDTH - 1, top, conv_w + 1);
        t->pane_shown = true;
        return;
    }
    int chan_h = main_h / 3;
    if (chan_h > 10)
        chan_h = 10;
    if (t->pane_on && chan_h >= 3 && main_h - chan_h - 1 >= 3) {
        int conv_h = main_h - chan_h - 1;
        t->w_conv = make_win(conv_h, t->cols, top, 0);
        t->w_sep = make_win(1, t->cols, top + conv_h, 0);
        t->w_chan = make_win(chan_h, t->cols, top + conv_h + 1, 0);
        t->pane_shown = true;
        return;
    }
    t->w_conv = make_win(main_h, t->cols, top, 0);
}

void tui_layout(tui *t)
{
    if (!t->screen)
        return;
    drop_windows(t);
    getmaxyx(stdscr, t->rows, t->cols);
    int in_h = input_rows(t);
    if (in_h > t->rows - 1)
        in_h = t->rows - 1 > 0 ? t->rows - 1 : 1;
    int main_h = t->rows - in_h - 1;
    int top = invite_rows(t, main_h);
    if (top)
        t->w_inv = make_win(top, t->cols, 0, 0);
    main_h -= top;
    if (main_h >= 1)
        layout_panes(t, main_h, top);
    t->w_status = make_win(1, t->cols, main_h > 0 ? top + main_h : 0, 0);
    t->w_input = make_win(in_h, t->cols, t->rows - in_h, 0);
    if (!t->w_input) /* keys are read through it: always have one */
        t->w_input = newwin(1, 1, 0, 0);
    keypad(t->w_input, TRUE);
    nodelay(t->w_input, TRUE);
    clearok(curscr, TRUE);
}

static void draw_separator(tui *t)
{
    if (!t->w_sep)
        return;
    werase(t->w_sep);
    tui_style_on(t, t->w_sep, ST_BORDER);
    if (t->pane_side) {
        mvwvline_set(t->w_sep, 0, 0, WACS_VLINE, getmaxy(t->w_sep));
    } else {
        mvwhline_set(t->w_sep, 0, 0, WACS_HLINE, getmaxx(t->w_sep));
        wmove(t->w_sep, 0, 2);
        tui_put_utf8(t->w_sep, " channel · F2 hides ", getmaxx(t->w_sep) - 2);
    }
    tui_style_off(t, t->w_sep, ST_BORDER);
    wnoutrefresh(t->w_sep);
}

void tui_redraw(tui *t)
{
    tui_check_unread(t);
    erase();
    wnoutrefresh(stdscr);
    conv_draw(t);
    draw_separator(t);
    if (t->pane_shown)
        chan_draw(t);
    status_draw(t);
    invite_draw(t);
    input_draw(t); /* last: it leaves the cursor in the input line */
    doupdate();
    invite_mark_wrapped(t);
}

void tui_toggle_pane(tui *t, int value)
{
    t->pane_on = value < 0 ? !t->pane_on : value > 0;
    tui_layout(t);
}

static void do_resize(tui *t)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    tui_layout(t);
}

/* ---- quitting, logging ---- */

void tui_start_quit(tui *t)
{
    if (t->quitting)
        return;
    t->quitting = true;
    t->st.quitting = true;
    chan_add(t, ST_DIM, "closing the channel…");
    if (t->hooks->request)
        t->hooks->request(t->hooks->ctx, UI_REQ_QUIT);
}

static void on_interrupt(tui *t)
{
    if (!t->quitting) {
        tui_start_quit(t);
        return;
    }
    t->sigints++;
    if (t->sigints >= 2) {
        t->done = true;
        t->code = 130;
        return;
    }
    tui_warn(t, "still closing the channel; press Ctrl-C again to leave without waiting");
}

void tui_log_file(tui *t, const char *kind, const char *text)
{
    if (!t->log)
        return;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(t->log, "%s %s %s\n", stamp, kind, text);
    fflush(t->log);
}

/* ---- setup and the loop ---- */

static bool ctype_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && strcmp(cs, "UTF-8") == 0;
}

/* Wide characters need a UTF-8 LC_CTYPE; only LC_CTYPE is touched (numbers and the rest stay as
 * the program set them). Not in tui_run: setlocale races with every other thread. */
void tui_locale_init(void)
{
    setlocale(LC_CTYPE, "");
    if (!ctype_is_utf8())
        setlocale(LC_CTYPE, "C.UTF-8");
}

/* No XON/XOFF: Ctrl-S and Ctrl-Q reach readline instead of freezing the screen. */
static void no_flow_control(void)
{
    struct termios tio;
    if (tcgetattr(STDIN_FILENO, &tio) == 0) {
        tio.c_iflag &= ~(tcflag_t)IXON;
        tcsetattr(STDIN_FILENO, TCSANOW, &tio);
        def_prog_mode();
    }
}

static void tui_init_state(tui *t, const ui_hooks *h)
{
    memset(t, 0, sizeof *t);
    t->hooks = h;
    conv_init(&t->conv);
    chan_init(&t->chan);
    t->st.role = h->role;
    fmt_id_groups(h->own_id, 3, t->st.own_short, sizeof t->st.own_short);
    t->own_id = h->own_id ? strdup(h->own_id) : NULL;
    t->pane_on = true;
    t->code = 1;
    if (h->log_path && *h->log_path) {
        t->log = fopen(h->log_path, "a");
        if (t->log)
            setvbuf(t->log, NULL, _IOLBF, 0);
    }
}

/* On the restored terminal: why the session failed (the screen that showed it is gone). */
static void print_errors(const tui *t, int code)
{
    if (code == 0 || code == 130)
        return;
    for (size_t i = 0; i < t->nerrors; i++)
        fprintf(stderr, "kchat: %s\n", t->errors[i]);
    fflush(stderr);
}

static void tui_free_state(tui *t)
{
    tui_forget_errors(t);
    conv_free(&t->conv);
    chan_free(&t->chan);
    ui_secret_free(t->inv_text); /* the invitation holds its secret */
    char *owned[] = {t->own_id, t->peer_id, t->peer_name, t->peer_trust,
                     t->suite,  t->inv_a2b, t->inv_b2a,   t->inv_id};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    free(t->paste.buf);
    if (t->log)
        fclose(t->log);
}

static int start_screen(tui *t)
{
    /* readline first: its terminal set-up must not replace curses' own terminal afterwards */
    if (input_init(t) < 0)
        return -1;
    t->screen = newterm(NULL, stdout, stdin);
    if (!t->screen)
        return -1;
    set_term(t->screen);
    cbreak(); /* keeps ISIG: Ctrl-C arrives as SIGINT, through the self-pipe */
    noecho();
    nonl();
    no_flow_control();
    set_escdelay(25);
    curs_set(1);
    tui_setup_styles(t);
    input_define_keys();
    (void)!write(STDOUT_FILENO, PASTE_ON, strlen(PASTE_ON));
    term_prepare_crash_restore();
    tui_layout(t);
    return 0;
}

static void stop_screen(tui *t)
{
    input_end(t);
    if (t->screen) {
        drop_windows(t);
        endwin();
        (void)!write(STDOUT_FILENO, PASTE_OFF_SEQ, strlen(PASTE_OFF_SEQ));
        delscreen(t->screen);
        t->screen = NULL;
    }
}

static void read_signals(tui *t)
{
    char buf[64];
    ssize_t n;
    bool resize = false;
    while ((n = read(term_signal_fd(), buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            switch (buf[i]) {
            case 'C': /* back from Ctrl-Z: the shell may have turned paste mode off */
                (void)!write(STDOUT_FILENO, PASTE_ON, strlen(PASTE_ON));
                resize = true;
                break;
            case 'W':
                resize = true;
                break;
            case 'I':
                on_interrupt(t);
                break;
            default:
                tui_start_quit(t);
                break;
            }
        }
    }
    if (resize)
        do_resize(t);
}

static void read_events(tui *t)
{
    char buf[256];
    struct pollfd p = {t->hooks->wake_fd, POLLIN, 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
        (void)!read(t->hooks->wake_fd, buf, sizeof buf);
    ui_event *ev;
    while (!t->done && t->hooks->next_event(t->hooks->ctx, &ev)) {
        tui_handle_event(t, ev);
        ui_event_free(ev);
    }
}

static void read_keys(tui *t)
{
    wint_t wc;
    int r;
    while (!t->done && t->w_input && (r = wget_wch(t->w_input, &wc)) != ERR)
        input_key(t, r, wc);
}

static void run_loop(tui *t, term_saved *ts)
{
    bool stdin_open = true, wake_ok = true;
    while (!t->done) {
        if (t->hooks->shown)
            t->hooks->shown(t->hooks->ctx);
        tui_redraw(t);
        struct pollfd fds[4] = {
            {term_signal_fd(), POLLIN, 0},
            {wake_ok ? t->hooks->wake_fd : -1, POLLIN, 0},
            {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
            {ts->err_pipe[0], POLLIN, 0},
        };
        /* A broken wake_fd must not spin: then events are polled ten times a second. */
        int tick = tui_tick_ms(t);
        int n = poll(fds, 4, !wake_ok ? 100 : tick);
        tui_tick(t);
        if (!wake_ok)
            read_events(t);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            tui_start_quit(t); /* cannot wait properly: wind down, slowly polling events */
            wake_ok = false;
            struct timespec pause = {0, 100 * 1000000L};
            nanosleep(&pause, NULL);
            continue;
        }
        if (fds[0].revents)
            read_signals(t);
        if (fds[1].revents & POLLIN)
            read_events(t);
        else if (fds[1].revents)
            wake_ok = false;
        if (fds[2].revents & POLLIN)
            read_keys(t);
        else if (fds[2].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            stdin_open = false; /* the terminal went away */
            tui_start_quit(t);
        }
        if (fds[3].revents)
            term_read_stderr(t, ts);
    }
}

/* After a failed start: ask the session to stop and wait for it without a screen. */
static int finish_headless(tui *t)
{
    tui_start_quit(t);
    while (!t->done) {
        struct pollfd p = {t->hooks->wake_fd, POLLIN, 0};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        read_events(t);
    }
    return t->code ? t->code : 1;
}

int tui_run(const ui_hooks *hooks)
{
    tui t;
    term_saved ts;
    memset(&ts, 0, sizeof ts);
    ts.stderr_fd = -1;
    ts.err_pipe[0] = ts.err_pipe[1] = -1;
    tui_init_state(&t, hooks);
    int code;
    if (term_install_signals(&ts) < 0 || start_screen(&t) < 0) {
        stop_screen(&t);
        term_restore_signals(&ts);
        code = finish_headless(&t);
        print_errors(&t, code);
    } else {
        term_capture_stderr(&ts);
        chan_add(&t, ST_DIM, "kchat %s · %s", KCHAT_VERSION, ui_role_name(t.st.role));
        if (!t.log && hooks->log_path && *hooks->log_path)
            chan_add(&t, ST_WARN, "cannot append to log file %s", hooks->log_path);
        run_loop(&t, &ts);
        code = t.code;
        stop_screen(&t);
        term_restore_stderr(&ts);
        term_restore_signals(&ts);
        print_errors(&t, code);
    }
    tui_free_state(&t);
    return code;
}
