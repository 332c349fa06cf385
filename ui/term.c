/* term: the process-level plumbing around the screen: the terminal check, the signal self-pipe
 * (the only state signal handlers touch) and the stand-in pipe for fd 2 while curses owns the
 * terminal. Every change is undone by its restore function. */
#include "ui/tui_internal.h"
#include "sys/wake.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

/* The signal self-pipe: the only state signal handlers may touch. */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    char c = sig == SIGWINCH ? 'W' : sig == SIGINT ? 'I' : sig == SIGCONT ? 'C' : 'T';
    if (sig_pipe[1] >= 0)
        (void)!write(sig_pipe[1], &c, 1);
    errno = saved;
}

static const int caught[TERM_N_SIGNALS] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGCONT};

/* ---- a crash must not leave the terminal broken ----
 * On SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT the handler writes the prepared sequences that
 * leave the screen (alternate screen off, cursor shown, bracketed paste and focus reports off),
 * puts the terminal modes of before back, and dies of the same signal. Only async-signal-safe
 * calls; everything is prepared beforehand. (Not under AddressSanitizer: its report matters
 * more.) */
static const int fatal_sigs[TERM_N_FATAL] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static char crash_seq[256];
static size_t crash_len;
#if !defined(__SANITIZE_ADDRESS__) /* under ASan its own report must come first */
static struct termios crash_tio;
static bool crash_tio_ok;

static void on_crash(int sig)
{
    if (crash_len)
        (void)!write(STDOUT_FILENO, crash_seq, crash_len);
    if (crash_tio_ok)
        tcsetattr(STDIN_FILENO, TCSANOW, &crash_tio);
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

static void add_seq(const char *s)
{
    size_t n = s && s != (const char *)-1 ? strlen(s) : 0;
    if (crash_len + n < sizeof crash_seq) {
        memcpy(crash_seq + crash_len, s, n);
        crash_len += n;
    }
}

void term_prepare_crash_restore(void)
{
    crash_len = 0;
    add_seq(tigetstr("sgr0"));
    add_seq(tigetstr("cnorm"));
    add_seq(tigetstr("rmcup"));
    add_seq(PASTE_OFF_SEQ);
    add_seq("\r\n");
}

static void install_crash_handlers(term_saved *ts)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)ts;
#else
    crash_tio_ok = tcgetattr(STDIN_FILENO, &crash_tio) == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < TERM_N_FATAL; i++)
        sigaction(fatal_sigs[i], &sa, &ts->old_fatal[i]);
    ts->fatal = true;
#endif
}

/* A string capability of the current terminal is there (not absent, not cancelled). */
static bool has_cap(const char *name)
{
    const char *v = tigetstr(name);
    return v && v != (const char *)-1 && *v;
}

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
    bool usable = has_cap("cup") && has_cap("clear") && tigetflag("hc") <= 0;
    del_curterm(cur_term);
    if (!usable) {
        snprintf(err, errlen,
                 "kchat: the terminal '%s' (TERM) cannot move the cursor, so the screen would "
                 "be garbled; use a terminal such as xterm, or --batch for a line-mode chat",
                 term);
        return -1;
    }
    return 0;
}

int term_install_signals(term_saved *ts)
{
    if (sys_pipe_open(sig_pipe) < 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < TERM_N_SIGNALS; i++)
        sigaction(caught[i], &sa, &ts->old[i]);
    ts->signals = true;
    install_crash_handlers(ts);
    return 0;
}

void term_restore_signals(term_saved *ts)
{
    if (ts->signals)
        for (size_t i = 0; i < TERM_N_SIGNALS; i++)
            sigaction(caught[i], &ts->old[i], NULL);
    ts->signals = false;
    if (ts->fatal)
        for (size_t i = 0; i < TERM_N_FATAL; i++)
            sigaction(fatal_sigs[i], &ts->old_fatal[i], NULL);
    ts->fatal = false;
    sys_pipe_close(sig_pipe);
}

/* Points fd 2 at a pipe while curses owns the terminal (only when it is the terminal). */
void term_capture_stderr(term_saved *ts)
{
    ts->stderr_fd = -1;
    ts->err_pipe[0] = ts->err_pipe[1] = -1;
    if (!isatty(STDERR_FILENO) || sys_pipe_open(ts->err_pipe) < 0)
        return; /* dup2 below gives fd 2 a copy of the write end without close-on-exec */
    fflush(stderr);
    ts->stderr_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (ts->stderr_fd < 0 || dup2(ts->err_pipe[1], STDERR_FILENO) < 0) {
        if (ts->stderr_fd >= 0)
            close(ts->stderr_fd);
        ts->stderr_fd = -1;
        sys_pipe_close(ts->err_pipe);
        return;
    }
    close(ts->err_pipe[1]);
    ts->err_pipe[1] = -1;
}

/* Shows complete lines that arrived on the captured stderr in the channel pane. */
void term_read_stderr(tui *t, term_saved *ts)
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

void term_restore_stderr(term_saved *ts)
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
    sys_pipe_close(ts->err_pipe);
}

int term_signal_fd(void)
{
    return sig_pipe[0];
}
