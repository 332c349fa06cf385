/* cmd_connect: Alice. Reads the invitation (or, with --trust-any, the two topic names), then runs
 * the initiator session: the handshake through Kafka, then every typed line as a message. */
#include "crypto/invitation.h"
#include "crypto/trust.h"
#include "src/invitation_file.h"
#include "src/app.h"
#include "src/commands.h"
#include "src/conv_files.h"
#include "src/passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INVITATION_TRIES 3

typedef struct connect_ctx {
    kchat_options o;
    net_config net;
    identity *self;
    trust_policy *trust;
    invitation *inv;
    char err[1024];
} connect_ctx;

/* The pasted line without blanks, quotes or bracketed-paste markers around it. */
static char *trim_pasted(char *s)
{
    static const char *const marks[] = {"\033[200~", "\033[201~"};
    for (size_t i = 0; i < 2; i++) {
        char *m;
        while ((m = strstr(s, marks[i])) != NULL)
            memmove(m, m + 6, strlen(m + 6) + 1);
    }
    while (*s == ' ' || *s == '\t' || *s == '\'' || *s == '"' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\'' || s[n - 1] == '"' ||
                 s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* No invitation on the command line, on a terminal: asks for it (pasted, not echoed: it holds
 * a secret), checks it, and asks again when it is not valid. */
static invitation *invitation_asked(char *err, size_t errlen)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "missing INVITATION (printed by `kchat listen`)");
        return NULL;
    }
    dprintf(fd, "Paste the invitation that Bob's `kchat listen` shows, then Enter "
                "(not echoed: it holds a secret).\n");
    invitation *inv = NULL;
    for (int i = 0; i < INVITATION_TRIES && !inv; i++) {
        char *line = passphrase_ask_fd(fd, "invitation", 0);
        if (!line) {
            snprintf(err, errlen, "no invitation given");
            break;
        }
        inv = invitation_parse(trim_pasted(line), err, errlen);
        passphrase_free(line);
        if (!inv)
            dprintf(fd, "not a valid invitation: %s\n", err);
    }
    close(fd);
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
                     : invitation_read_file(c->o.invitation_file, c->err, sizeof c->err);
        if (!c->inv)
            return KCHAT_EXIT_USAGE;
    } else if (!c->o.trust_any && !(c->inv = invitation_asked(c->err, sizeof c->err))) {
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
    if (c->inv && c->inv->brokers[0] && c->o.brokers_default)
        c->net.brokers = c->inv->brokers; /* Bob's, unless -b or KCHAT_BROKERS says otherwise */
    if (!(c->self = app_identity(&c->o, c->err, sizeof c->err)))
        return KCHAT_EXIT_ERROR;
    return 0;
}

/* The topic pair for Alice's screen (status bar, channel pane); batch mode has no such event. */
static ui_event *topics_event(const session_config *cfg, bool batch)
{
    ui_event *ev = batch ? NULL : calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->type = UI_EV_INVITATION;
    ev->offset = -1;
    ev->a2b = strdup(cfg->a2b);
    ev->b2a = strdup(cfg->b2a);
    return ev;
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
        .name = c->o.name,
    };
    /* with an invitation the conversation is journaled: the same invitation resumes it; its
     * files are opened while the session connects to Kafka */
    conv_files files = {0};
    app_later_files later = {.files = &files, .inv = c->inv, .no_history = c->o.no_history};
    cfg.state_later = !any;
    cfg.history_show = CONV_FILES_SHOW;
    int code = app_run(&c->o, &cfg, c->self, topics_event(&cfg, c->o.batch), any ? NULL : &later);
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
        options_usage(stdout, KCHAT_CMD_CONNECT);
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
