/* cmd_connect: Alice. Reads the invitation (or, with --trust-any, the two topic names), then runs
 * the initiator session: the handshake through Kafka, then every typed line as a message. */
#include "crypto/invitation.h"
#include "crypto/trust.h"
#include "src/app.h"
#include "src/commands.h"
#include "src/conv_files.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define INVITATION_FILE_MAX 4096

typedef struct connect_ctx {
    kchat_options o;
    net_config net;
    identity *self;
    trust_policy *trust;
    invitation *inv;
    char err[1024];
} connect_ctx;

/* Reads the invitation from a file into wiped memory, so it never sits on the command line. */
static invitation *invitation_from_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = sodium_malloc(INVITATION_FILE_MAX);
    invitation *inv = NULL;
    if (buf && fgets(buf, INVITATION_FILE_MAX, f))
        inv = invitation_parse(buf, err, errlen);
    else if (buf)
        snprintf(err, errlen, "%s holds no invitation", path);
    if (buf)
        sodium_free(buf);
    fclose(f);
    return inv;
}

static int prepare(connect_ctx *c)
{
    if (app_check_front(&c->o, c->err, sizeof c->err) ||
        app_net_config(&c->o, &c->net, c->err, sizeof c->err))
        return KCHAT_EXIT_USAGE;
    if (c->o.invitation || c->o.invitation_file) {
        c->inv = c->o.invitation
                     ? invitation_parse(c->o.invitation, c->err, sizeof c->err)
                     : invitation_from_file(c->o.invitation_file, c->err, sizeof c->err);
        if (!c->inv)
            return KCHAT_EXIT_USAGE;
    }
    if (c->o.trust_any) {
        c->trust = trust_policy_anyone();
    } else {
        c->trust = trust_policy_list();
        if (c->trust && trust_policy_add(c->trust, c->inv->bob_id, c->err, sizeof c->err) != 0)
            return KCHAT_EXIT_USAGE;
    }
    if (!c->trust)
        return KCHAT_EXIT_ERROR;
    if (!(c->self = app_identity(&c->o, c->err, sizeof c->err)))
        return KCHAT_EXIT_ERROR;
    return 0;
}

static int run(connect_ctx *c)
{
    bool any = c->o.trust_any;
    session_config cfg = {
        .role = SESSION_ALICE,
        .net = c->net,
        .self = c->self,
        .trust = c->trust,
        .psk = any ? NULL : c->inv->secret,
        .expected_peer = c->inv ? c->inv->bob_id : NULL,
        .a2b = c->o.a2b ? c->o.a2b : c->inv->a2b,
        .b2a = c->o.b2a ? c->o.b2a : c->inv->b2a,
        .exit_when_done = c->o.batch,
        .timeout_s = c->o.timeout_s,
        .handshake_timeout_s = c->o.handshake_timeout_s,
    };
    /* with an invitation the conversation is journaled: the same invitation resumes it */
    conv_files files = {0};
    if (!any && conv_files_open(&files, c->self, c->inv, false, c->o.no_history, c->err,
                                sizeof c->err) != 0)
        return app_fail(KCHAT_EXIT_ERROR, c->err);
    cfg.journal = files.journal;
    cfg.history = files.hist;
    cfg.history_show = CONV_FILES_SHOW;
    int code = app_run(&c->o, &cfg, c->self, NULL);
    conv_files_close(&files);
    return code;
}

int cmd_connect(int argc, char **argv)
{
    connect_ctx c;
    memset(&c, 0, sizeof c);
    if (options_parse(argc, argv, &c.o, c.err, sizeof c.err) != 0)
        return app_fail(KCHAT_EXIT_USAGE, c.err);
    if (c.o.help) {
        options_usage(stdout, CMD_CONNECT);
        options_free(&c.o);
        return 0;
    }
    int code = prepare(&c);
    if (code != 0)
        app_fail(code, c.err[0] ? c.err : "cannot connect");
    else
        code = run(&c);
    invitation_free(c.inv);
    trust_policy_free(c.trust);
    identity_free(c.self);
    options_free(&c.o);
    return code;
}
