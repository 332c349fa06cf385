#include "src/batch.h"
#include "src/event_format.h"
#include "src/reassembly.h"
#include "src/signals.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long written-out lines wait for the session to record the messages among them. */
#define BATCH_RECORD_WAIT_MS 2000

/* Standard input, read only as fast as the session takes lines (back-pressure). */
typedef struct reader {
    char *buf; /* message text not posted yet: wiped before it is freed */
    size_t len, cap;
    bool eof, eof_posted;
    bool blocked;   /* the session refused a line: wait for session_room_fd() */
    bool skip;      /* dropping the rest of an over-long line, up to its newline */
    event_queue *q; /* for the error about such a line */
    size_t scan;    /* the first `scan` bytes of buf hold no newline (a partial line) */
    size_t over;    /* lines over the message limit, not sent: the exit status says so */
} reader;

static void consume(reader *r, size_t n)
{
    memmove(r->buf, r->buf + n, r->len - n);
    sodium_memzero(r->buf + r->len - n, n);
    r->len -= n;
}

/* Drops what is left of an over-long line; true when its newline was found. */
static bool skip_long_line(reader *r)
{
    char *nl = memchr(r->buf, '\n', r->len);
    consume(r, nl ? (size_t)(nl - r->buf) + 1 : r->len);
    return nl != NULL;
}

static void refuse_long_line(reader *r)
{
    r->over++;
    ui_event *ev = calloc(1, sizeof *ev);
    char text[160];
    snprintf(text, sizeof text, "message of more than %u bytes is over the %u-byte limit; not sent",
             KCHAT_MAX_MESSAGE, KCHAT_MAX_MESSAGE);
    if (ev && (ev->text = strdup(text))) {
        ev->type = UI_EV_ERROR;
        event_queue_push(r->q, ev);
    } else {
        free(ev);
    }
}

/* Posts every complete line (and, at the end of input, the last one without a newline), then
 * the end of input; stops at the first line the session refuses and keeps it for later. A line
 * that grows past the message limit before its newline is dropped with an error, without being
 * held whole in memory. */
static void post_lines(session *s, reader *r)
{
    r->blocked = false;
    if (r->skip) {
        r->skip = !skip_long_line(r) && !r->eof; /* the end of input ends the line too */
        r->scan = 0;
        if (r->skip)
            return;
    }
    size_t start = 0, from = r->scan < r->len ? r->scan : r->len;
    char *nl;
    while ((nl = memchr(r->buf + from, '\n', r->len - from))) {
        size_t end = (size_t)(nl - r->buf);
        if (!session_try_post_line(s, r->buf + start, end - start)) {
            r->blocked = true;
            break;
        }
        r->over += end - start > KCHAT_MAX_MESSAGE; /* the session refuses it, and says so */
        start = from = end + 1;
    }
    size_t rest = r->len - start;
    if (!r->blocked && rest > KCHAT_MAX_MESSAGE + 1) { /* one byte over: the session says so */
        refuse_long_line(r);
        r->skip = !r->eof;
        start = r->len;
    } else if (!r->blocked && r->eof && rest > 0) {
        if (session_try_post_line(s, r->buf + start, rest)) {
            r->over += rest > KCHAT_MAX_MESSAGE;
            start = r->len;
        } else {
            r->blocked = true;
        }
    }
    consume(r, start);
    r->scan = r->blocked ? 0 : r->len; /* not blocked: what is left is a partial line */
    if (!r->blocked && r->eof && r->len == 0 && !r->eof_posted) {
        session_post_eof(s);
        r->eof_posted = true;
    }
}

static void read_stdin(session *s, reader *r)
{
    if (r->cap - r->len < 65536) {
        size_t cap = r->cap ? r->cap * 2 : 131072;
        char *p = malloc(cap);
        if (!p)
            return;
        if (r->buf) {
            memcpy(p, r->buf, r->len);
            sodium_memzero(r->buf, r->cap);
        }
        free(r->buf);
        r->buf = p;
        r->cap = cap;
    }
    ssize_t n = read(STDIN_FILENO, r->buf + r->len, r->cap - r->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0)
        r->eof = true;
    else
        r->len += (size_t)n;
    post_lines(s, r);
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
    /* The lines are in stdout's buffer, not yet out: the session records the messages among them
     * as shown, and only then are they written (a crash in between shows them again on resume,
     * never twice, never lost from the queue). */
    event_queue_shown(q);
    event_queue_wait_recorded(q, BATCH_RECORD_WAIT_MS);
    fflush(stdout);
    return running;
}

static void publish(void *ctx)
{
    fflush(ctx);
}

int batch_run(session *s, event_queue *q, const kchat_options *opts)
{
    /* written out once per batch of events, after the session recorded it (drain_events) */
    static char outbuf[256 << 10];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    event_queue_on_publish(q, publish, stdout);
    out o = {.json = opts->json, .verbose = opts->verbose};
    if (opts->log_path && !(o.log = fopen(opts->log_path, "a")))
        fprintf(stderr, "kchat: cannot open log file %s; logging to it is off\n", opts->log_path);
    reader r = {.q = q};
    int code = 1, sigfd = signals_install();
    bool running = true, quit_sent = false;
    while (running) {
        struct pollfd fds[4] = {
            {.fd = event_queue_wake_fd(q), .events = POLLIN},
            {.fd = sigfd, .events = POLLIN},
            {.fd = r.eof || r.blocked ? -1 : STDIN_FILENO, .events = POLLIN},
            {.fd = r.blocked ? session_room_fd(s) : -1, .events = POLLIN},
        };
        if (poll(fds, 4, -1) < 0 && errno != EINTR)
            break;
        if ((fds[1].revents & POLLIN) && signals_take() && !quit_sent) {
            session_post_command(s, SESSION_CMD_QUIT);
            quit_sent = true;
        }
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
            read_stdin(s, &r);
        if (fds[3].revents & POLLIN) {
            session_room_drain(s);
            post_lines(s, &r);
        }
        running = drain_events(q, &o, &code);
    }
    if (r.over && code == KCHAT_EXIT_OK) { /* never a silent success */
        fprintf(stderr, "kchat: %zu line%s over the %u-byte limit not sent\n", r.over,
                r.over == 1 ? " was" : "s were", KCHAT_MAX_MESSAGE);
        code = KCHAT_EXIT_ERROR;
    }
    if (r.buf)
        sodium_memzero(r.buf, r.cap);
    free(r.buf);
    if (o.log)
        fclose(o.log);
    return code;
}
