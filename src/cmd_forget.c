/* cmd_forget: removes what kchat keeps about a conversation. For an invitation (Alice's side):
 * her conversation journal and history. With --listen (Bob's side): the conversation journal
 * and history of his listen state's invitation, then the listen state itself. The files are
 * sealed with the identity's store key, so unlinking them leaves nothing readable. Says what
 * it removed, one line each; finding nothing to remove is not an error. */
#include "crypto/invitation.h"
#include "src/invitation_file.h"
#include "src/app.h"
#include "src/commands.h"
#include "src/conv_state.h"
#include "src/listen_state.h"
#include "src/sealed_log.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Unlinks path if it exists; counts it in *removed. 0 or -1 with err filled. */
static int remove_one(const char *what, const char *path, int *removed, char *err, size_t errlen)
{
    if (unlink(path) == 0) {
        printf("removed %s %s\n", what, path);
        (*removed)++;
        return 0;
    }
    if (errno == ENOENT)
        return 0;
    snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
    return -1;
}

/* Unlinks a sealed log and its lock file, refusing while a kchat process holds the lock. */
static int remove_log(const char *what, const char *path, int *removed, char *err, size_t errlen)
{
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 0;
    int lock = sealed_log_lock(path, err, errlen);
    if (lock < 0)
        return -1; /* err says it is in use */
    int rc = remove_one(what, path, removed, err, errlen);
    char lockpath[4200];
    snprintf(lockpath, sizeof lockpath, "%s.lock", path);
    unlink(lockpath);
    close(lock);
    return rc;
}

/* The conversation journal and history of the invitation inv, for one side. */
static int remove_conversation(const invitation *inv, bool listener, int *removed, char *err,
                               size_t errlen)
{
    char name[CONV_STATE_NAME_LEN + 1], conv[4096], hist[4096];
    conv_state_name(name, listener, inv->a2b, inv->b2a, inv->bob_id);
    if (conv_state_path(conv, sizeof conv, "conv", name) != 0 ||
        conv_state_path(hist, sizeof hist, "history", name) != 0) {
        snprintf(err, errlen, "cannot find the state directory (set HOME or XDG_STATE_HOME)");
        return -1;
    }
    if (remove_log("conversation state", conv, removed, err, errlen) != 0)
        return -1;
    return remove_log("history", hist, removed, err, errlen);
}

static int forget_alice(const kchat_options *o, int *removed, char *err, size_t errlen)
{
    invitation *inv = o->invitation ? invitation_parse(o->invitation, err, errlen)
                                    : invitation_read_file(o->invitation_file, err, errlen);
    if (!inv)
        return KCHAT_EXIT_USAGE;
    int rc = remove_conversation(inv, false, removed, err, errlen);
    invitation_free(inv);
    return rc == 0 ? KCHAT_EXIT_OK : KCHAT_EXIT_ERROR;
}

static int forget_bob(const kchat_options *o, int *removed, char *err, size_t errlen)
{
    char def[4096];
    const char *path = o->state_path;
    if (!path) {
        if (listen_state_default_path(def, sizeof def) != 0) {
            snprintf(err, errlen, "cannot find the state directory (set HOME or XDG_STATE_HOME)");
            return KCHAT_EXIT_ERROR;
        }
        path = def;
    }
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return KCHAT_EXIT_OK;
    listen_state *st = listen_state_new();
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return KCHAT_EXIT_ERROR;
    }
    int code = KCHAT_EXIT_ERROR;
    char why[512];
    invitation *inv = NULL;
    if (listen_state_load(path, st, err, errlen) != 0) {
        /* err says why; nothing removed: its conversation files could not be named */
    } else if (!(inv = invitation_parse(st->invitation, why, sizeof why))) {
        snprintf(err, errlen, "%.700s holds a bad invitation (%.200s); nothing removed", path, why);
    } else if (remove_conversation(inv, true, removed, err, errlen) == 0 &&
               remove_one("listen state", path, removed, err, errlen) == 0) {
        code = KCHAT_EXIT_OK;
    }
    invitation_free(inv);
    listen_state_free(st);
    return code;
}

int cmd_forget(int argc, char **argv)
{
    kchat_options o;
    char err[1024] = "";
    if (options_parse(argc, argv, &o, err, sizeof err) != 0) {
        options_free(&o);
        return app_fail(KCHAT_EXIT_USAGE, err);
    }
    if (o.help) {
        options_usage(stdout, KCHAT_CMD_FORGET);
        options_free(&o);
        return KCHAT_EXIT_OK;
    }
    int removed = 0;
    int code = o.forget_listen ? forget_bob(&o, &removed, err, sizeof err)
                               : forget_alice(&o, &removed, err, sizeof err);
    options_free(&o);
    if (code != KCHAT_EXIT_OK)
        return app_fail(code, err);
    if (removed == 0)
        printf("nothing to forget: no %s found\n",
               o.forget_listen ? "listen state" : "conversation state or history for it");
    fflush(stdout);
    return KCHAT_EXIT_OK;
}
