/* tui_demo: runs the terminal UI against a fake session thread that plays a scripted sequence
 * of events (connect, invitation, handshake 1..3, established, messages, a rejected record, a
 * gap, log lines) and answers every typed line with sent, delivered and echo. For trying the
 * UI by hand or in tmux; not a CTest test. Usage: tui_demo [--alice] [--flood N] [--log FILE]
 * [--stubborn]. After the UI ends it prints the lines it received and the exit code. */
#include "ui/tui.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 256

typedef struct node {
    ui_event *ev;
    struct node *next;
} node;

typedef struct demo {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    node *head, *tail;
    int wake[2];
    char *lines[MAX_LINES]; /* typed lines not yet handled */
    size_t nlines;
    char *seen[MAX_LINES]; /* every line received, for the summary */
    size_t nseen;
    bool quit, rekey;
    uint64_t seq, peer_seq;
    bool alice;
    bool stubborn; /* ignores quit, like a session stuck on a dead broker */
    int flood;
} demo;

static const char *PEER_ID = "q7rmzk4xw2bnhd5tc9vfypgj3sla8oeu6ix4k2m7n5b3v9c1";
static const char *OWN_ID = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop";

static void push(demo *d, ui_event *ev)
{
    node *n = calloc(1, sizeof *n);
    n->ev = ev;
    pthread_mutex_lock(&d->mu);
    if (d->tail)
        d->tail->next = n;
    else
        d->head = n;
    d->tail = n;
    pthread_mutex_unlock(&d->mu);
    (void)!write(d->wake[1], "x", 1);
}

static ui_event *ev_new(ui_event_type type)
{
    ui_event *ev = calloc(1, sizeof *ev);
    ev->type = type;
    ev->offset = -1;
    return ev;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void push_text(demo *d, ui_event_type type, const char *text)
{
    ui_event *ev = ev_new(type);
    ev->text = dup_or_null(text);
    push(d, ev);
}

static void push_state(demo *d, ui_state st, const char *text)
{
    ui_event *ev = ev_new(UI_EV_STATE);
    ev->state = st;
    ev->text = dup_or_null(text);
    push(d, ev);
}

static void push_hs(demo *d, int step, bool out, double ms, const char *peer)
{
    ui_event *ev = ev_new(UI_EV_HANDSHAKE);
    ev->step = step;
    ev->out = out;
    ev->ms = ms;
    ev->peer = dup_or_null(peer);
    push(d, ev);
}

static void push_message(demo *d, const char *text)
{
    ui_event *ev = ev_new(UI_EV_MESSAGE);
    ev->seq = ++d->peer_seq;
    ev->text = strdup(text);
    push(d, ev);
}

static void push_seq(demo *d, ui_event_type type, uint64_t seq, const char *text, double ms)
{
    ui_event *ev = ev_new(type);
    ev->seq = seq;
    ev->text = dup_or_null(text);
    ev->ms = ms;
    push(d, ev);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Sent, delivered and echo for one typed line (echo text changed when it says "tamper"). */
static void answer_line(demo *d, const char *line)
{
    uint64_t seq = ++d->seq;
    sleep_ms(40);
    push_seq(d, UI_EV_SENT, seq, line, 0);
    sleep_ms(120);
    push_seq(d, UI_EV_DELIVERED, seq, NULL, 0);
    sleep_ms(60);
    push_seq(d, UI_EV_ECHO, seq, strstr(line, "tamper") ? "something else" : line, 221.4);
    if (strchr(line, '?'))
        push_message(d, "good question — let me think about it");
}

/* Waits up to ms, answering typed lines; false once quit was requested. */
static bool pump(demo *d, int ms)
{
    for (int waited = 0; waited <= ms; waited += 20) {
        pthread_mutex_lock(&d->mu);
        char *line = d->nlines ? d->lines[0] : NULL;
        if (line)
            memmove(d->lines, d->lines + 1, --d->nlines * sizeof *d->lines);
        bool quit = d->quit, rekey = d->rekey;
        d->rekey = false;
        pthread_mutex_unlock(&d->mu);
        if (quit)
            return false;
        if (rekey) {
            ui_event *ev = ev_new(UI_EV_REKEY);
            ev->seq = 2;
            ev->out = true;
            push(d, ev);
        }
        if (line) {
            answer_line(d, line);
            free(line);
            continue;
        }
        sleep_ms(20);
    }
    return true;
}

static bool script_connect(demo *d)
{
    push_state(d, UI_STATE_CONNECTING, "localhost:9092");
    push_text(d, UI_EV_LOG, "rdkafka: [thrd:main] bootstrap broker localhost:9092 connecting");
    if (!pump(d, 400))
        return false;
    ui_event *ev = ev_new(UI_EV_INVITATION);
    ev->invitation = strdup("kchat1:kchat-a2b-7f3e91:kchat-b2a-7f3e91:"
                            "q7rmzk4xw2bnhd5tc9vfypgj3sla8oeu6ix4k2m7n5b3v9c1:"
                            "Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg:k3");
    ev->a2b = strdup("kchat-a2b-7f3e91");
    ev->b2a = strdup("kchat-b2a-7f3e91");
    ev->id = strdup(OWN_ID);
    push(d, ev);
    push_state(d, UI_STATE_WAITING, "listening on kchat-a2b-7f3e91");
    return pump(d, 1200);
}

static bool script_handshake(demo *d)
{
    push_state(d, UI_STATE_HANDSHAKING, NULL);
    push_hs(d, 1, d->alice, 0.4, NULL);
    if (!pump(d, 300))
        return false;
    push_hs(d, 2, !d->alice, 21.0, d->alice ? PEER_ID : NULL);
    if (!pump(d, 300))
        return false;
    push_hs(d, 3, d->alice, 38.2, d->alice ? NULL : PEER_ID);
    ui_event *ev = ev_new(UI_EV_ESTABLISHED);
    ev->peer = strdup(PEER_ID);
    ev->suite = strdup("Noise_XXpsk3_25519_ChaChaPoly_SHA256");
    ev->ms = 38.2;
    ev->text = strdup("proved by the invitation secret (XXpsk3)");
    push(d, ev);
    push_state(d, UI_STATE_SECURE, NULL);
    return pump(d, 400);
}

static bool script_chat(demo *d)
{
    push_message(d, "hello 👋 — ça va? 你好世界");
    for (int i = 0; i < d->flood; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "flood message number %d", i + 1);
        push_message(d, buf);
    }
    if (!pump(d, 500))
        return false;
    push_message(d, "This is a rather long message from the peer that certainly needs to be "
                    "wrapped over several lines of the conversation pane, with a "
                    "very_long_unbreakable_word_that_goes_on_and_on_and_on_and_on_and_on_forever "
                    "in the middle of it.");
    ui_event *ev = ev_new(UI_EV_REJECTED);
    ev->reason = UI_REJECT_TAMPERED;
    ev->offset = 17;
    push(d, ev);
    if (!pump(d, 300))
        return false;
    ev = ev_new(UI_EV_GAP);
    ev->from = 4;
    ev->to = 5;
    push(d, ev);
    d->peer_seq = 5;
    push_message(d, "multi\nline\n\x1b[31mno escapes\x1b[0m");
    push_text(d, UI_EV_LOG, "rdkafka: [thrd:localhost:9092/1]: 1 request(s) timed out");
    /* a library writing to stderr behind the session's back must not scribble on the screen */
    fprintf(stderr, "stray library output on stderr\n");
    return true;
}

static void *session_main(void *arg)
{
    demo *d = arg;
    bool go = script_connect(d) && script_handshake(d) && script_chat(d);
    while (go)
        go = pump(d, 1000);
    push_state(d, UI_STATE_CLOSED, "bye");
    sleep_ms(300);
    ui_event *ev = ev_new(UI_EV_DONE);
    ev->code = 0;
    push(d, ev);
    return NULL;
}

static bool next_event(void *ctx, ui_event **out)
{
    demo *d = ctx;
    pthread_mutex_lock(&d->mu);
    node *n = d->head;
    if (n) {
        d->head = n->next;
        if (!d->head)
            d->tail = NULL;
    }
    pthread_mutex_unlock(&d->mu);
    if (!n)
        return false;
    *out = n->ev;
    free(n);
    return true;
}

static void submit_line(void *ctx, const char *line)
{
    demo *d = ctx;
    pthread_mutex_lock(&d->mu);
    if (d->nlines < MAX_LINES)
        d->lines[d->nlines++] = strdup(line);
    if (d->nseen < MAX_LINES)
        d->seen[d->nseen++] = strdup(line);
    pthread_mutex_unlock(&d->mu);
}

static void request(void *ctx, ui_request req)
{
    demo *d = ctx;
    pthread_mutex_lock(&d->mu);
    if (req == UI_REQ_QUIT)
        d->quit = !d->stubborn;
    else if (req == UI_REQ_REKEY)
        d->rekey = true;
    pthread_mutex_unlock(&d->mu);
}

int main(int argc, char **argv)
{
    demo d;
    tui_locale_init(); /* before the fake session thread starts */
    memset(&d, 0, sizeof d);
    const char *log_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--alice") == 0)
            d.alice = true;
        else if (strcmp(argv[i], "--stubborn") == 0)
            d.stubborn = true;
        else if (strcmp(argv[i], "--flood") == 0 && i + 1 < argc)
            d.flood = atoi(argv[++i]);
        else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
            log_path = argv[++i];
    }
    char err[256];
    if (tui_check_terminal(err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    pthread_mutex_init(&d.mu, NULL);
    if (pipe(d.wake) < 0)
        return 1;
    fcntl(d.wake[0], F_SETFL, O_NONBLOCK);
    fcntl(d.wake[1], F_SETFL, O_NONBLOCK);
    ui_hooks hooks = {.wake_fd = d.wake[0],
                      .next_event = next_event,
                      .submit_line = submit_line,
                      .request = request,
                      .ctx = &d,
                      .role = d.alice ? UI_ROLE_ALICE : UI_ROLE_BOB,
                      .own_id = OWN_ID,
                      .log_path = log_path};
    pthread_t th;
    pthread_create(&th, NULL, session_main, &d);
    int code = tui_run(&hooks);
    if (d.stubborn) { /* the session never ends: leave it behind */
        printf("tui_demo: tui_run returned %d while the session was still running\n", code);
        return code;
    }
    pthread_join(th, NULL);
    printf("tui_demo: tui_run returned %d; %zu line(s) submitted\n", code, d.nseen);
    for (size_t i = 0; i < d.nseen; i++) {
        printf("  [%zu] ", i + 1);
        for (const char *p = d.seen[i]; *p; p++)
            fputs(*p == '\n' ? "\\n" : (char[]){*p, 0}, stdout);
        putchar('\n');
        free(d.seen[i]);
    }
    ui_event *ev;
    while (next_event(&d, &ev))
        ui_event_free(ev);
    return code;
}
