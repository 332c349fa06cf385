#include "src/app.h"
#include "sys/safe_file.h"
#include "src/batch.h"
#include "src/event_queue.h"
#include "src/passphrase.h"
#include "ui/tui.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int app_fail(int code, const char *msg)
{
    if (!strncmp(msg, "kchat: ", 7))
        msg += 7;
    fprintf(stderr, "kchat: %s\n", msg);
    return code;
}

int app_net_config(const kchat_options *o, net_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->brokers = o->brokers;
    cfg->props = o->props;
    cfg->nprops = o->nprops;
    return net_config_check(cfg, err, errlen);
}

identity *app_identity(const kchat_options *o, char *err, size_t errlen)
{
    char path[4096];
    const char *p = o->identity_path;
    if (!p) {
        if (identity_default_path(path, sizeof path) != 0) {
            snprintf(err, errlen, "cannot find a home for the identity; use --identity FILE");
            return NULL;
        }
        p = path;
    }
    if (identity_file_is_sealed(p) != 1)
        return identity_load_or_create(p, NULL, err, errlen);
    /* sealed: a wrong passphrase typed on the terminal is asked for again */
    const char *env = getenv("KCHAT_PASSPHRASE");
    int tries = env && *env ? 1 : PASSPHRASE_TRIES;
    identity *id = NULL;
    for (int i = 0; i < tries && !id; i++) {
        char *pass = passphrase_get("identity passphrase", 0);
        if (!pass) {
            snprintf(err, errlen, "%s is sealed: set KCHAT_PASSPHRASE or run on a terminal", p);
            return NULL;
        }
        id = identity_load_or_create(p, pass, err, errlen);
        passphrase_free(pass);
        if (!id && i + 1 < tries)
            passphrase_say(err);
    }
    return id;
}

int app_check_front(const kchat_options *o, char *err, size_t errlen)
{
    if (options_check_paths(o, err, errlen) != 0)
        return -1;
    return o->batch ? 0 : tui_check_terminal(err, errlen);
}

/* How long the screen waits for the session to record the messages it is about to show. */
#define APP_RECORD_WAIT_MS 500

typedef struct front {
    session *s;
    event_queue *q;
} front;

static bool next_event(void *ctx, ui_event **out)
{
    front *f = ctx;
    event_queue_drain_wake(f->q);
    return event_queue_pop(f->q, out);
}

/* Before a redraw: the messages about to appear are recorded as shown first (see batch.c). */
static void shown(void *ctx)
{
    front *f = ctx;
    event_queue_shown(f->q);
    event_queue_wait_recorded(f->q, APP_RECORD_WAIT_MS);
}

static void submit_line(void *ctx, const char *line)
{
    front *f = ctx;
    if (session_try_post_line(f->s, line, strlen(line)))
        return;
    /* the screen never waits: say so instead (only megabytes of unsent lines get here) */
    ui_event *ev = calloc(1, sizeof *ev);
    if (ev) {
        ev->type = UI_EV_ERROR;
        ev->text = strdup("line not sent: too much is waiting for the peer; try again later");
        event_queue_push(f->q, ev);
    }
}

static void request(void *ctx, ui_request req)
{
    front *f = ctx;
    switch (req) {
    case UI_REQ_QUIT:
        session_post_command(f->s, SESSION_CMD_QUIT);
        break;
    case UI_REQ_REKEY:
        session_post_command(f->s, SESSION_CMD_REKEY);
        break;
    }
}

static int run_tui(const kchat_options *o, front *f, const identity *self)
{
    ui_hooks hooks = {
        .wake_fd = event_queue_wake_fd(f->q),
        .next_event = next_event,
        .submit_line = submit_line,
        .request = request,
        .shown = shown,
        .ctx = f,
        .role = o->command == KCHAT_CMD_LISTEN ? UI_ROLE_BOB : UI_ROLE_ALICE,
        .own_id = identity_id(self),
        .log_path = o->log_path,
    };
    return tui_run(&hooks);
}

int app_write_secret_file(const char *path, const char *text, char *err, size_t errlen)
{
    size_t n = strlen(text);
    char *buf = sodium_malloc(n + 1); /* the text and a newline; wiped when freed */
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(buf, text, n);
    buf[n] = '\n';
    int rc = safe_write_file(path, buf, n + 1, err, errlen);
    sodium_free(buf);
    return rc;
}

/* kchat listen --invitation-file FILE: the invitation for Alice's --invitation-file. */
static int save_invitation(const kchat_options *o, const ui_event *early, char *err, size_t errlen)
{
    if (o->command != KCHAT_CMD_LISTEN || !o->invitation_file || !early ||
        early->type != UI_EV_INVITATION || !early->invitation || !early->invitation[0])
        return 0;
    return app_write_secret_file(o->invitation_file, early->invitation, err, errlen);
}

/* Batch mode ends with lines the peer has not acknowledged: said, and exit status 3. */
static int report_undelivered(session *s)
{
    size_t n = session_undelivered(s);
    if (n == 0)
        return KCHAT_EXIT_OK;
    fprintf(stderr, "kchat: %zu message%s not delivered to the peer\n", n, n == 1 ? "" : "s");
    return KCHAT_EXIT_TIMEOUT;
}

int app_run(const kchat_options *o, const session_config *cfg, const identity *self,
            ui_event *early, const app_later_files *later)
{
    char err[512];
    if (save_invitation(o, early, err, sizeof err) != 0) {
        ui_event_free(early);
        return app_fail(KCHAT_EXIT_ERROR, err);
    }
    front f = {.q = event_queue_new()};
    if (!f.q)
        return app_fail(KCHAT_EXIT_ERROR, "out of memory");
    if (early)
        event_queue_push(f.q, early);
    session_config c = *cfg;
    c.front_confirms = true; /* both front ends give receipts (event_queue_shown) */
    f.s = session_new(&c, f.q, err, sizeof err);
    if (!f.s || session_start(f.s) != 0) {
        event_queue_free(f.q);
        session_free(f.s);
        return app_fail(KCHAT_EXIT_ERROR, f.s ? "cannot start the session thread" : err);
    }
    if (later) /* while the session thread connects to Kafka */
        conv_files_attach(later->files, f.s, self, later->inv, later->listener, later->no_history);
    int code = o->batch ? batch_run(f.s, f.q, o) : run_tui(o, &f, self);
    session_post_command(f.s, SESSION_CMD_QUIT);
    int scode = session_join(f.s);
    if (o->batch && !code && !scode)
        scode = report_undelivered(f.s);
    session_free(f.s);
    event_queue_free(f.q);
    return code ? code : scode;
}
