/* conv_files: see conv_files.h. */
#include "src/conv_files.h"

#include "crypto/store_key.h"

#include <stdio.h>
#include <string.h>

static int open_journal(conv_files *f, const char *name, char *err, size_t errlen)
{
    char path[4096], why[512];
    if (conv_state_path(path, sizeof path, "conv", name) != 0) {
        snprintf(err, errlen, "cannot find the state directory (set HOME or XDG_STATE_HOME)");
        return -1;
    }
    f->journal = conv_state_open(path, f->key, true, why, sizeof why);
    if (!f->journal)
        snprintf(err, errlen, "conversation state %.3000s: %.500s", path, why);
    return f->journal ? 0 : -1;
}

static int open_history(conv_files *f, const char *name, char *err, size_t errlen)
{
    char path[4096], why[512];
    if (conv_state_path(path, sizeof path, "history", name) != 0) {
        snprintf(err, errlen, "cannot find the state directory (set HOME or XDG_STATE_HOME)");
        return -1;
    }
    f->hist = history_open(path, f->key, 0, why, sizeof why);
    if (!f->hist)
        snprintf(err, errlen, "history %.3000s: %.500s", path, why);
    return f->hist ? 0 : -1;
}

int conv_files_open(conv_files *f, const identity *self, const invitation *inv, bool listener,
                    bool no_history, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    char name[CONV_STATE_NAME_LEN + 1];
    conv_state_name(name, listener, inv->a2b, inv->b2a, inv->bob_id);
    f->key = store_key_derive(identity_secret(self));
    if (!f->key) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (open_journal(f, name, err, errlen) != 0 ||
        (!no_history && open_history(f, name, err, errlen) != 0)) {
        conv_files_close(f);
        return -1;
    }
    return 0;
}

int conv_files_attach(conv_files *f, session *s, const identity *self, const invitation *inv,
                      bool listener, bool no_history)
{
    char err[4096];
    int rc = conv_files_open(f, self, inv, listener, no_history, err, sizeof err);
    session_attach_state(s, f->journal, f->hist, rc == 0 ? NULL : err);
    return rc;
}

void conv_files_close(conv_files *f)
{
    char err[256];
    if (f->journal)
        conv_state_sync(f->journal, err, sizeof err);
    conv_state_close(f->journal);
    history_close(f->hist);
    store_key_free(f->key);
    memset(f, 0, sizeof *f);
}
