#include "src/batch.h"
#include "src/event_format.h"
#include "src/signals.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct reader {
    char *buf;
    size_t len, cap;
    bool eof;
} reader;

static void post_lines(session *s, reader *r, bool final)
{
    size_t start = 0;
    for (size_t i = 0; i < r->len; i++) {
        if (r->buf[i] != '\n')
            continue;
        session_post_line(s, r->buf + start, i - start);
        start = i + 1;
    }
    if (final && start < r->len) {
        session_post_line(s, r->buf + start, r->len - start);
        start = r->len;
    }
    memmove(r->buf, r->buf + start, r->len - start);
    r->len -= start;
}

static void read_stdin(session *s, reader *r)
{
    if (r->cap - r->len < 65536) {
        size_t cap = r->cap ? r->cap * 2 : 131072;
        char *p = realloc(r->buf, cap);
        if (!p)
            return;
        r->buf = p;
        r->cap = cap;
    }
    ssize_t n = read(STDIN_FILENO, r->buf + r->len, r->cap - r->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        r->eof = true;
        post_lines(s, r, true);
        session_post_eof(s);
        return;
    }
    r->len += (size_t)n;
    post_lines(s, r, false);
}

typedef struct out {
    bool json, verbose;
    FILE *log;
} out;

static void log_line(const out *o, const char *kind, const char *text)
{
    if (o->log) {
        fprintf(o->log, "%s: %s\n", kind, text);
        fflush(o->log);
    }
}

/* Prints one event; returns false once the session is done (*code set). */
static bool show(const ui_event *ev, const out *o, int *code)
{
    const char *text = ev->text ? ev->text : "";
    if (ev->type == UI_EV_DONE) {
        *code = ev->code;
        return false;
    }
    if (ev->type == UI_EV_ERROR) {
        fprintf(stderr, "kchat: %s\n", text);
        log_line(o, "error", text);
    }
    if (ev->type == UI_EV_LOG) {
        if (o->verbose)
            fprintf(stderr, "kchat: log: %s\n", text);
        log_line(o, "log", text);
        return true;
    }
    char *line = event_format_line(ev, o->json);
    if (line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        free(line);
    }
    return true;
}

static bool drain_events(event_queue *q, const out *o, int *code)
{
    bool running = true;
    ui_event *ev;
    event_queue_drain_wake(q);
    while (running && event_queue_pop(q, &ev)) {
        running = show(ev, o, code);
        ui_event_free(ev);
    }
    fflush(stdout);
    return running;
}

int batch_run(session *s, event_queue *q, const kchat_options *opts)
{
    out o = {.json = opts->json, .verbose = opts->verbose};
    if (opts->log_path && !(o.log = fopen(opts->log_path, "a")))
        fprintf(stderr, "kchat: cannot open log file %s; logging to it is off\n", opts->log_path);
    reader r = {0};
    int code = 1, sigfd = signals_install();
    bool running = true, quit_sent = false;
    while (running) {
        struct pollfd fds[3] = {
            {.fd = event_queue_wake_fd(q), .events = POLLIN},
            {.fd = sigfd, .events = POLLIN},
            {.fd = r.eof ? -1 : STDIN_FILENO, .events = POLLIN},
        };
        if (poll(fds, 3, -1) < 0 && errno != EINTR)
            break;
        if ((fds[1].revents & POLLIN) && signals_take() && !quit_sent) {
            session_post_command(s, "quit");
            quit_sent = true;
        }
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
            read_stdin(s, &r);
        running = drain_events(q, &o, &code);
    }
    free(r.buf);
    if (o.log)
        fclose(o.log);
    return code;
}
