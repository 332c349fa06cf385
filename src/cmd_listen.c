/* cmd_listen: Bob. Creates two single-partition topics with unique names (or reuses the last
 * ones with --resume), prints the invitation, then runs the responder session until SIGINT,
 * SIGTERM or /quit. */
#include "crypto/invitation.h"
#include "crypto/trust.h"
#include "net/admin.h"
#include "src/app.h"
#include "src/commands.h"
#include "src/conv_files.h"
#include "src/listen_state.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOPIC_CREATE_TIMEOUT_MS 15000

typedef struct listen_ctx {
    kchat_options o;
    net_config net;
    identity *self;
    trust_policy *trust;
    listen_state *st;
    invitation *inv;
    char state_path[4096];
    char err[1024];
} listen_ctx;

/* A plain `listen` must not silently end a conversation: once a peer used the last invitation,
 * replacing it takes --new (and --resume continues it). */
static int check_replace(listen_ctx *c)
{
    listen_state *old = listen_state_new();
    char err[512];
    if (!old)
        return -1;
    int rc = 0;
    if (!c->o.fresh && listen_state_load(c->state_path, old, err, sizeof err) == 0 &&
        old->peer[0]) {
        snprintf(c->err, sizeof c->err,
                 "the last invitation is in use by %.64s: --resume continues that "
                 "conversation, --new replaces it with a new invitation",
                 old->peer);
        rc = -1;
    }
    listen_state_free(old);
    return rc;
}

/* The brokers the invitation names: those Bob uses, when they fit its form (else none). */
static const char *invitation_brokers(const listen_ctx *c)
{
    const char *b = c->net.brokers;
    invitation probe = {0};
    return b && invitation_set_brokers(&probe, b, NULL, 0) == 0 ? b : NULL;
}

static int fresh_topics(listen_ctx *c)
{
    if (check_replace(c) != 0)
        return -1;
    uint8_t rnd[8];
    char hex[17];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    const char *prefix = c->o.topic_prefix ? c->o.topic_prefix : KCHAT_DEFAULT_TOPIC_PREFIX;
    snprintf(c->st->a2b, sizeof c->st->a2b, "%s%s-a2b", prefix, hex);
    snprintf(c->st->b2a, sizeof c->st->b2a, "%s%s-b2a", prefix, hex);
    if (net_topic_create(&c->net, c->st->a2b, TOPIC_CREATE_TIMEOUT_MS, c->err, sizeof c->err) ||
        net_topic_create(&c->net, c->st->b2a, TOPIC_CREATE_TIMEOUT_MS, c->err, sizeof c->err))
        return -1;
    if (!c->o.trust_any) {
        c->inv =
            invitation_new(c->st->a2b, c->st->b2a, identity_id(c->self), c->err, sizeof c->err);
        if (!c->inv ||
            invitation_set_brokers(c->inv, invitation_brokers(c), c->err, sizeof c->err) != 0 ||
            invitation_format(c->inv, c->st->invitation, LISTEN_STATE_INV_MAX) < 0)
            return -1;
    } else {
        snprintf(c->st->invitation, LISTEN_STATE_INV_MAX, "trust-any");
    }
    return listen_state_save(c->state_path, c->st, c->err, sizeof c->err);
}

static int resumed_topics(listen_ctx *c)
{
    if (listen_state_load(c->state_path, c->st, c->err, sizeof c->err) != 0)
        return -1;
    bool any = !strcmp(c->st->invitation, "trust-any");
    if (any != c->o.trust_any) {
        snprintf(c->err, sizeof c->err, "the last listen %s --trust-any; resume it the same way",
                 any ? "used" : "did not use");
        return -1;
    }
    if (!any) {
        c->inv = invitation_parse(c->st->invitation, c->err, sizeof c->err);
        if (!c->inv)
            return -1;
        if (strcmp(c->inv->bob_id, identity_id(c->self)) != 0) {
            snprintf(c->err, sizeof c->err,
                     "the last listen ran with another identity; use the same --identity");
            return -1;
        }
    }
    for (int i = 0; i < 2; i++) {
        const char *t = i ? c->st->b2a : c->st->a2b;
        int rc = net_topic_exists(&c->net, t, TOPIC_CREATE_TIMEOUT_MS, c->err, sizeof c->err);
        if (rc == 0)
            snprintf(c->err, sizeof c->err, "topic %s of the last listen is gone", t);
        if (rc != 1)
            return -1;
    }
    return 0;
}

static int make_trust(listen_ctx *c)
{
    if (c->o.ntrust == 0) {
        c->trust = trust_policy_anyone(); /* with an invitation: anyone who holds its secret */
        return c->trust ? 0 : -1;
    }
    c->trust = trust_policy_list();
    for (size_t i = 0; c->trust && i < c->o.ntrust; i++)
        if (trust_policy_add(c->trust, c->o.trust[i], c->err, sizeof c->err) != 0)
            return -1;
    return c->trust ? 0 : -1;
}

static ui_event *invitation_event(const listen_ctx *c)
{
    ui_event *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->type = UI_EV_INVITATION;
    ev->offset = -1;
    ev->invitation = strdup(c->o.trust_any ? "" : c->st->invitation);
    ev->a2b = strdup(c->st->a2b);
    ev->b2a = strdup(c->st->b2a);
    ev->id = strdup(identity_id(c->self));
    return ev;
}

static int prepare(listen_ctx *c)
{
    if (app_check_front(&c->o, c->err, sizeof c->err) ||
        app_net_config(&c->o, &c->net, c->err, sizeof c->err))
        return KCHAT_EXIT_USAGE;
    if (make_trust(c) != 0)
        return KCHAT_EXIT_USAGE;
    if (!(c->self = app_identity(&c->o, c->err, sizeof c->err)))
        return KCHAT_EXIT_ERROR;
    if (c->o.state_path)
        snprintf(c->state_path, sizeof c->state_path, "%s", c->o.state_path);
    else if (listen_state_default_path(c->state_path, sizeof c->state_path) != 0)
        return snprintf(c->err, sizeof c->err, "cannot find a state directory; use --state"),
               KCHAT_EXIT_ERROR;
    if (!(c->st = listen_state_new()))
        return KCHAT_EXIT_ERROR;
    if (!c->o.batch) /* the screen comes after this; Kafka may take seconds to answer */
        fprintf(stderr, "kchat: %s the topics on Kafka at %s ...\n",
                c->o.resume ? "checking" : "creating", c->net.brokers ? c->net.brokers : "?");
    int rc = c->o.resume ? resumed_topics(c) : fresh_topics(c);
    return rc ? KCHAT_EXIT_ERROR : 0;
}

static int run(listen_ctx *c)
{
    session_config cfg = {
        .role = SESSION_BOB,
        .net = c->net,
        .self = c->self,
        .trust = c->trust,
        .psk = c->inv ? c->inv->secret : NULL,
        .a2b = c->st->a2b,
        .b2a = c->st->b2a,
        .echo = c->o.echo,
        .handshake_timeout_s = c->o.handshake_timeout_s,
        .name = c->o.name,
        .state = c->st,
        .state_path = c->state_path,
    };
    /* with an invitation Bob's undelivered messages are journaled (resumed by --resume) */
    conv_files files = {0};
    if (c->inv &&
        conv_files_open(&files, c->self, c->inv, true, c->o.no_history, c->err, sizeof c->err) != 0)
        return app_fail(KCHAT_EXIT_ERROR, c->err);
    cfg.journal = files.journal;
    cfg.history = files.hist;
    cfg.history_show = CONV_FILES_SHOW;
    int code = app_run(&c->o, &cfg, c->self, invitation_event(c), NULL);
    conv_files_close(&files);
    return code;
}

int cmd_listen(int argc, char **argv)
{
    listen_ctx c;
    memset(&c, 0, sizeof c);
    if (options_parse(argc, argv, &c.o, c.err, sizeof c.err) != 0)
        return app_fail(KCHAT_EXIT_USAGE, c.err);
    if (c.o.help) {
        options_usage(stdout, KCHAT_CMD_LISTEN);
        options_free(&c.o);
        return 0;
    }
    int code = prepare(&c);
    if (code != 0)
        app_fail(code, c.err[0] ? c.err : "cannot start listening");
    else
        code = run(&c);
    invitation_free(c.inv);
    listen_state_free(c.st);
    trust_policy_free(c.trust);
    identity_free(c.self);
    options_free(&c.o);
    return code;
}
