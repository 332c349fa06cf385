/* tui: the main loop of the terminal UI. tui_run owns curses and readline on the calling thread.
 * It poll()s three descriptors (never a busy loop): stdin (keys, handled by input.c), the
 * session's wake_fd (drained, then every queued event is popped and rendered by events.c) and a
 * self-pipe written by the SIGWINCH/SIGINT/SIGTERM/SIGHUP handlers (resize, quit). A fourth,
 * when stderr is a terminal, is a pipe standing in for fd 2 so that stray library output is
 * shown in the channel pane instead of scribbling over the screen; what is left in it at the end
 * goes to the real stderr once the terminal is restored.
 *
 * Quitting (Ctrl-C, SIGTERM, SIGHUP, /quit) calls hooks->command("quit") once and keeps draining
 * events until UI_EV_DONE, whose code tui_run returns. A third Ctrl-C while the session is still
 * closing gives up waiting and returns 130. Every exit path restores the terminal: readline
 * handler removed, bracketed paste off, endwin, signal handlers and fd 2 put back. */
#include "ui/tui_internal.h"

#include "ui/format.h"
#include "ui/wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#define PASTE_ON "\033[?2004h"
#define PASTE_OFF_SEQ "\033[?2004l"

/* The signal self-pipe: the only state signal handlers may touch. */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    char c = sig == SIGWINCH ? 'W' : sig == SIGINT ? 'I' : 'T';
    if (sig_pipe[1] >= 0)
        (void)!write(sig_pipe[1], &c, 1);
    errno = saved;
}

static const int caught[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
#define N_CAUGHT (sizeof caught / sizeof caught[0])

typedef struct term_saved {
    struct sigaction old[N_CAUGHT];
    bool signals;
    int stderr_fd;   /* a dup of the original fd 2, -1 when not redirected */
    int err_pipe[2]; /* what fd 2 points to meanwhile */
    char err_buf[512];
    size_t err_len;
} term_saved;

int tui_check_terminal(char *err, size_t errlen)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "kchat: the terminal UI needs a terminal; use --batch for scripts");
        return -1;
    }
    int errret = 0;
    const char *term = getenv("TERM");
    if (!term || !*term || setupterm(NULL, STDOUT_FILENO, &errret) != OK) {
        snprintf(err, errlen, "kchat: unknown terminal type '%s' (TERM); use --batch for scripts",
                 term ? term : "");
        return -1;
    }
    del_curterm(cur_term);
    return 0;
}

static int make_pipe(int fds[2])
{
    if (pipe(fds) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    }
    return 0;
}

static void close_pipe(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

static int install_signals(term_saved *ts)
{
    if (make_pipe(sig_pipe) < 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < N_CAUGHT; i++)
        sigaction(caught[i], &sa, &ts->old[i]);
    ts->signals = true;
    return 0;
}

static void restore_signals(term_saved *ts)
{
    if (ts->signals)
        for (size_t i = 0; i < N_CAUGHT; i++)
            sigaction(caught[i], &ts->old[i], NULL);
    ts->signals = false;
    close_pipe(sig_pipe);
}

/* Points fd 2 at a pipe while curses owns the terminal (only when it is the terminal). */
static void capture_stderr(term_saved *ts)
{
    ts->stderr_fd = -1;
    ts->err_pipe[0] = ts->err_pipe[1] = -1;
    if (!isatty(STDERR_FILENO) || pipe(ts->err_pipe) < 0)
        return;
    fcntl(ts->err_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(ts->err_pipe[0], F_SETFL, fcntl(ts->err_pipe[0], F_GETFL) | O_NONBLOCK);
    fcntl(ts->err_pipe[1], F_SETFL, fcntl(ts->err_pipe[1], F_GETFL) | O_NONBLOCK);
    fflush(stderr);
    ts->stderr_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (ts->stderr_fd < 0 || dup2(ts->err_pipe[1], STDERR_FILENO) < 0) {
        if (ts->stderr_fd >= 0)
            close(ts->stderr_fd);
        ts->stderr_fd = -1;
        close_pipe(ts->err_pipe);
        return;
    }
    close(ts->err_pipe[1]);
    ts->err_pipe[1] = -1;
}

/* Shows complete lines that arrived on the captured stderr in the channel pane. */
static void read_stderr(tui *t, term_saved *ts)
{
    for (;;) {
        size_t room = sizeof ts->err_buf - 1 - ts->err_len;
        ssize_t n = read(ts->err_pipe[0], ts->err_buf + ts->err_len, room);
        if (n <= 0)
            break;
        ts->err_len += (size_t)n;
        ts->err_buf[ts->err_len] = '\0';
        char *nl;
        while ((nl = memchr(ts->err_buf, '\n', ts->err_len)) != NULL ||
               ts->err_len == sizeof ts->err_buf - 1) {
            size_t line = nl ? (size_t)(nl - ts->err_buf) : ts->err_len;
            ts->err_buf[line] = '\0';
            chan_add(t, ST_DIM, "stderr: %s", ts->err_buf);
            tui_log_file(t, "stderr", ts->err_buf);
            size_t used = nl ? line + 1 : line;
            memmove(ts->err_buf, ts->err_buf + used, ts->err_len - used);
            ts->err_len -= used;
            ts->err_buf[ts->err_len] = '\0';
        }
    }
}

static void restore_stderr(term_saved *ts)
{
    if (ts->stderr_fd < 0)
        return;
    fflush(stderr);
    dup2(ts->stderr_fd, STDERR_FILENO);
    close(ts->stderr_fd);
    ts->stderr_fd = -1;
    /* Whatever was not shown yet goes to the real stderr now. */
    if (ts->err_len)
        (void)!write(STDERR_FILENO, ts->err_buf, ts->err_len);
    char buf[4096];
    ssize_t n;
    while (ts->err_pipe[0] >= 0 && (n = read(ts->err_pipe[0], buf, sizeof buf)) > 0)
        (void)!write(STDERR_FILENO, buf, (size_t)n);
    close_pipe(ts->err_pipe);
}

/* ---- styles ---- */

enum { PAIR_MINE = 1, PAIR_PEER, PAIR_WARN, PAIR_GOOD, PAIR_INFO, PAIR_BAD_BAR };

static void setup_styles(tui *t)
{
    const char *no_color = getenv("NO_COLOR");
    t->colors = has_colors() && !(no_color && *no_color);
    if (t->colors && start_color() == OK) {
        use_default_colors();
        init_pair(PAIR_MINE, COLOR_CYAN, -1);
        init_pair(PAIR_PEER, COLOR_GREEN, -1);
        init_pair(PAIR_WARN, COLOR_RED, -1);
        init_pair(PAIR_GOOD, COLOR_GREEN, -1);
        init_pair(PAIR_INFO, COLOR_YELLOW, -1);
        init_pair(PAIR_BAD_BAR, COLOR_RED, -1);
    } else {
        t->colors = false;
    }
    /* Attributes carry the meaning on their own; colours only add to them. */
    attr_t a[ST_COUNT] = {
        [ST_NORMAL] = A_NORMAL,
        [ST_TIME] = A_DIM,
        [ST_MINE] = A_BOLD,
        [ST_PEER] = A_BOLD,
        [ST_WARN] = A_BOLD,
        [ST_INFO] = A_NORMAL,
        [ST_GOOD] = A_BOLD,
        [ST_DIM] = A_DIM,
        [ST_BAR] = A_REVERSE,
        [ST_BAR_GOOD] = A_REVERSE | A_BOLD,
        [ST_BAR_BAD] = A_REVERSE | A_BOLD,
        [ST_BORDER] = A_DIM,
        [ST_MORE] = A_REVERSE | A_BOLD,
    };
    short p[ST_COUNT] = {
        [ST_MINE] = PAIR_MINE,       [ST_PEER] = PAIR_PEER, [ST_WARN] = PAIR_WARN,
        [ST_GOOD] = PAIR_GOOD,       [ST_INFO] = PAIR_INFO, [ST_BAR_GOOD] = PAIR_GOOD,
        [ST_BAR_BAD] = PAIR_BAD_BAR,
    };
    memcpy(t->attrs, a, sizeof a);
    if (t->colors)
        memcpy(t->pairs, p, sizeof p);
    else
        memset(t->pairs, 0, sizeof t->pairs);
    if (!t->colors)
        t->attrs[ST_WARN] |= A_UNDERLINE;
}

void tui_style_on(const tui *t, WINDOW *w, tui_style s)
{
    wattr_set(w, t->attrs[s], t->pairs[s], NULL);
}

void tui_style_off(const tui *t, WINDOW *w, tui_style s)
{
    (void)t;
    (void)s;
    wattr_set(w, A_NORMAL, 0, NULL);
}

int tui_put_wcs(WINDOW *w, const wchar_t *s, size_t n, int max_cols)
{
    int used = 0;
    size_t i = 0;
    while (i < n) {
        size_t k = i + 1;
        while (k < n && s[k] != L'\n' && wrap_cp_width(s[k]) == 0)
            k++;
        int cw = wrap_wcs_width(s + i, k - i);
        if (s[i] == L'\n' || used + cw > max_cols)
            break;
        if (cw == 0) /* a lone combining mark: give it a base */
            waddnwstr(w, L"\u00a0", 1);
        waddnwstr(w, s + i, (int)(k - i));
        used += cw == 0 ? 1 : cw;
        i = k;
    }
    return used;
}

int tui_put_utf8(WINDOW *w, const char *s, int max_cols)
{
    size_t len;
    wchar_t *ws = wrap_decode_dup(s, strlen(s), &len);
    if (!ws)
        return 0;
    int used = tui_put_wcs(w, ws, len, max_cols);
    free(ws);
    return used;
}

/* ---- layout ---- */

static void drop_windows(tui *t)
{
    WINDOW **ws[] = {&t->w_conv, &t->w_sep, &t->w_chan, &t->w_status, &t->w_input};
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

static void layout_panes(tui *t, int main_h)
{
    t->pane_shown = false;
    t->pane_side = t->cols >= CHAN_SIDE_MIN_COLS;
    if (t->pane_on && t->pane_side) {
        int conv_w = t->cols - CHAN_SIDE_WIDTH;
        t->w_conv = make_win(main_h, conv_w, 0, 0);
        t->w_sep = make_win(main_h, 1, 0, conv_w);
        t->w_chan = make_win(main_h, CHAN_SIDE_WIDTH - 1, 0, conv_w + 1);
        t->pane_shown = true;
        return;
    }
    int chan_h = main_h / 3;
    if (chan_h > 10)
        chan_h = 10;
    if (t->pane_on && chan_h >= 3 && main_h - chan_h - 1 >= 3) {
        int conv_h = main_h - chan_h - 1;
        t->w_conv = make_win(conv_h, t->cols, 0, 0);
        t->w_sep = make_win(1, t->cols, conv_h, 0);
        t->w_chan = make_win(chan_h, t->cols, conv_h + 1, 0);
        t->pane_shown = true;
        return;
    }
    t->w_conv = make_win(main_h, t->cols, 0, 0);
}

void tui_layout(tui *t)
{
    drop_windows(t);
    getmaxyx(stdscr, t->rows, t->cols);
    int in_h = input_rows(t);
    if (in_h > t->rows - 1)
        in_h = t->rows - 1 > 0 ? t->rows - 1 : 1;
    int main_h = t->rows - in_h - 1;
    if (main_h >= 1)
        layout_panes(t, main_h);
    t->w_status = make_win(1, t->cols, main_h > 0 ? main_h : 0, 0);
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
    erase();
    wnoutrefresh(stdscr);
    conv_draw(t);
    draw_separator(t);
    if (t->pane_shown)
        chan_draw(t);
    status_draw(t);
    input_draw(t); /* last: it leaves the cursor in the input line */
    doupdate();
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
    if (t->hooks->command)
        t->hooks->command(t->hooks->ctx, "quit");
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
 * the program set them), and only when it is not UTF-8 already. */
static void ensure_utf8_locale(void)
{
    if (ctype_is_utf8())
        return;
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
    t->st.role = fmt_role(h->role);
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

static void tui_free_state(tui *t)
{
    conv_free(&t->conv);
    chan_free(&t->chan);
    char *owned[] = {t->own_id,   t->peer_id, t->peer_trust, t->suite,
                     t->inv_text, t->inv_a2b, t->inv_b2a,    t->inv_id};
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
    setup_styles(t);
    input_define_keys();
    (void)!write(STDOUT_FILENO, PASTE_ON, strlen(PASTE_ON));
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
    while ((n = read(sig_pipe[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == 'W')
                resize = true;
            else if (buf[i] == 'I')
                on_interrupt(t);
            else
                tui_start_quit(t);
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
        tui_redraw(t);
        struct pollfd fds[4] = {
            {sig_pipe[0], POLLIN, 0},
            {wake_ok ? t->hooks->wake_fd : -1, POLLIN, 0},
            {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
            {ts->err_pipe[0], POLLIN, 0},
        };
        /* A broken wake_fd must not spin: then events are polled ten times a second. */
        int n = poll(fds, 4, wake_ok ? -1 : 100);
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
            read_stderr(t, ts);
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
    ensure_utf8_locale();
    tui_init_state(&t, hooks);
    int code;
    if (install_signals(&ts) < 0 || start_screen(&t) < 0) {
        stop_screen(&t);
        restore_signals(&ts);
        code = finish_headless(&t);
    } else {
        capture_stderr(&ts);
        chan_add(&t, ST_DIM, "kchat %s · %s", KCHAT_VERSION, t.st.role);
        if (!t.log && hooks->log_path && *hooks->log_path)
            chan_add(&t, ST_WARN, "cannot append to log file %s", hooks->log_path);
        run_loop(&t, &ts);
        code = t.code;
        stop_screen(&t);
        restore_stderr(&ts);
        restore_signals(&ts);
    }
    tui_free_state(&t);
    return code;
}
