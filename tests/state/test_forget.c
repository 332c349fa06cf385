/* kchat forget: removes Alice's conversation state and history for an invitation, or Bob's
 * listen state with his; leaves the other side's files alone; exit statuses. */
#include "crypto/identity.h"
#include "crypto/invitation.h"
#include "crypto/store_key.h"
#include "src/commands.h"
#include "src/conv_state.h"
#include "src/history.h"
#include "src/listen_state.h"
#include "src/options.h"
#include "state_util.h"
#include "support/check.h"

#include <sodium.h>

static uint8_t *key;

/* Creates the journal and history of one side of inv's conversation; returns their paths. */
static void make_side(const invitation *inv, bool listener, char *conv, char *hist, size_t cap)
{
    char name[CONV_STATE_NAME_LEN + 1], err[512];
    conv_state_name(name, listener, inv->a2b, inv->b2a, inv->bob_id);
    CHECK(conv_state_path(conv, cap, "conv", name) == 0);
    CHECK(conv_state_path(hist, cap, "history", name) == 0);
    conv_state *st = conv_state_open(conv, key, true, err, sizeof err);
    CHECK(st && conv_state_msg(st, 1, 0, 0, "x", 1) == 0 && conv_state_sync(st, err, 512) == 0);
    conv_state_close(st);
    history *h = history_open(hist, key, 0, err, sizeof err);
    CHECK(h && history_add(h, HISTORY_OURS, 1, 0, "x", 1, err, sizeof err) == 0);
    history_close(h);
    CHECK(access(conv, F_OK) == 0 && access(hist, F_OK) == 0);
}

static int parse(int argc, const char **argv, kchat_options *o)
{
    char err[256];
    int rc = options_parse(argc, (char **)argv, o, err, sizeof err);
    options_free(o);
    return rc;
}

/* The command line: forget's forms, and --no-history where it applies. */
static void test_options(void)
{
    kchat_options o;
    const char *f1[] = {"forget", "kchat1:x", NULL};
    CHECK(parse(2, f1, &o) == 0 && o.command == KCHAT_CMD_FORGET &&
          !strcmp(o.invitation, "kchat1:x"));
    const char *f2[] = {"forget", "--invitation-file", "f", NULL};
    CHECK(parse(3, f2, &o) == 0 && !strcmp(o.invitation_file, "f"));
    const char *f3[] = {"forget", "--listen", "--state", "s", NULL};
    CHECK(parse(4, f3, &o) == 0 && o.forget_listen && !strcmp(o.state_path, "s"));
    const char *f4[] = {"forget", "--listen", "kchat1:x", NULL};
    CHECK(parse(3, f4, &o) != 0);
    const char *f5[] = {"forget", "--state", "s", "kchat1:x", NULL};
    CHECK(parse(4, f5, &o) != 0);
    const char *f6[] = {"forget", "-b", "h:1", "kchat1:x", NULL};
    CHECK(parse(4, f6, &o) != 0);
    const char *f7[] = {"forget", "a", "b", NULL};
    CHECK(parse(3, f7, &o) != 0);
    const char *h1[] = {"connect", "--no-history", "kchat1:x", NULL};
    CHECK(parse(3, h1, &o) == 0 && o.no_history);
    const char *h2[] = {"listen", "--no-history", NULL};
    CHECK(parse(2, h2, &o) == 0 && o.no_history);
    const char *h3[] = {"id", "--no-history", NULL};
    CHECK(parse(2, h3, &o) != 0);
    const char *h4[] = {"connect", "--listen", "kchat1:x", NULL};
    CHECK(parse(3, h4, &o) != 0);
    CHECK(options_command("forget") == KCHAT_CMD_FORGET);
}

static int run(int argc, const char **argv)
{
    return cmd_forget(argc, (char **)argv);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    char *dir = tu_tmpdir();
    CHECK(dir != NULL);
    if (!dir)
        return check_summary();
    setenv("XDG_STATE_HOME", dir, 1);
    test_options();
    identity *bob = identity_generate();
    key = store_key_derive(identity_secret(bob));
    char err[512], text[INVITATION_MAX_LEN + 1];
    invitation *inv =
        invitation_new("kchat-0123-a2b", "kchat-0123-b2a", identity_id(bob), err, sizeof err);
    invitation *other =
        invitation_new("kchat-4567-a2b", "kchat-4567-b2a", identity_id(bob), err, sizeof err);
    CHECK(inv && other && invitation_format(inv, text, sizeof text) > 0);
    char aconv[4096], ahist[4096], bconv[4096], bhist[4096], oconv[4096], ohist[4096];
    make_side(inv, false, aconv, ahist, sizeof aconv);
    make_side(inv, true, bconv, bhist, sizeof bconv);
    make_side(other, false, oconv, ohist, sizeof oconv);
    CHECK(strcmp(aconv, bconv) != 0); /* each side its own files */

    /* Alice's side, by invitation: refused while a kchat holds it */
    const char *a1[] = {"forget", text, NULL};
    conv_state *busy = conv_state_open(aconv, key, false, err, sizeof err);
    CHECK(busy != NULL);
    CHECK(run(2, a1) == 1);
    CHECK(access(aconv, F_OK) == 0);
    conv_state_close(busy);
    /* then hers go, Bob's and another conversation's stay */
    CHECK(run(2, a1) == 0);
    CHECK(access(aconv, F_OK) != 0 && access(ahist, F_OK) != 0);
    char lockpath[4200];
    snprintf(lockpath, sizeof lockpath, "%s.lock", aconv);
    CHECK(access(lockpath, F_OK) != 0);
    CHECK(access(bconv, F_OK) == 0 && access(bhist, F_OK) == 0);
    CHECK(access(oconv, F_OK) == 0 && access(ohist, F_OK) == 0);
    CHECK(run(2, a1) == 0); /* nothing left: still fine */
    /* by --invitation-file */
    char invfile[256];
    invitation_format(other, text, sizeof text);
    snprintf(invfile, sizeof invfile, "%s/inv", dir);
    tu_write(invfile, text, strlen(text));
    const char *a2[] = {"forget", "--invitation-file", invfile, NULL};
    CHECK(run(3, a2) == 0);
    CHECK(access(oconv, F_OK) != 0 && access(ohist, F_OK) != 0);
    const char *bad[] = {"forget", "kchat1:nonsense", NULL};
    CHECK(run(2, bad) == 2);
    const char *none[] = {"forget", NULL};
    CHECK(run(1, none) == 2);

    /* Bob's side: the listen state names the invitation */
    char lpath[256];
    snprintf(lpath, sizeof lpath, "%s/kchat/listen.state", dir);
    listen_state *ls = listen_state_new();
    snprintf(ls->a2b, sizeof ls->a2b, "%s", inv->a2b);
    snprintf(ls->b2a, sizeof ls->b2a, "%s", inv->b2a);
    invitation_format(inv, ls->invitation, LISTEN_STATE_INV_MAX);
    CHECK(listen_state_save(lpath, ls, err, sizeof err) == 0);
    listen_state_free(ls);
    /* a damaged listen state: an error, nothing removed */
    char saved[8192];
    size_t n = 0;
    unsigned char *orig = tu_read(lpath, &n);
    CHECK(orig && n < sizeof saved);
    tu_write(lpath, "garbage", 7);
    const char *b1[] = {"forget", "--listen", NULL};
    CHECK(run(2, b1) == 1);
    CHECK(access(lpath, F_OK) == 0 && access(bconv, F_OK) == 0);
    tu_write(lpath, orig, n);
    free(orig);
    CHECK(run(2, b1) == 0);
    CHECK(access(lpath, F_OK) != 0 && access(bconv, F_OK) != 0 && access(bhist, F_OK) != 0);
    CHECK(run(2, b1) == 0); /* nothing to forget */
    const char *b2[] = {"forget", "--listen", "--state", "/nonexistent/x", NULL};
    CHECK(run(4, b2) == 0);

    invitation_free(inv);
    invitation_free(other);
    store_key_free(key);
    identity_free(bob);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_summary();
}
