/* cmd_id: prints this identity's identifier (creating the identity if missing); with --seal,
 * re-saves the identity file protected by a passphrase. */
#include "src/app.h"
#include "src/commands.h"
#include "src/passphrase.h"

#include <stdio.h>
#include <string.h>

static int seal(const kchat_options *o, const identity *id, char *err, size_t errlen)
{
    char path[4096];
    const char *p = o->identity_path;
    if (!p && identity_default_path(path, sizeof path) == 0)
        p = path;
    char *pass = passphrase_get("new passphrase", 1);
    if (!pass) {
        snprintf(err, errlen, "no passphrase: set KCHAT_PASSPHRASE or run on a terminal");
        return -1;
    }
    int rc = identity_save(id, p, pass, err, errlen);
    passphrase_free(pass);
    return rc;
}

int cmd_id(int argc, char **argv)
{
    kchat_options o;
    char err[1024] = "";
    if (options_parse(argc, argv, &o, err, sizeof err) != 0)
        return app_fail(KCHAT_EXIT_USAGE, err);
    int code = 0;
    if (o.help) {
        options_usage(stdout, CMD_ID);
    } else {
        identity *id = app_identity(&o, err, sizeof err);
        if (!id || (o.seal && seal(&o, id, err, sizeof err) != 0))
            code = app_fail(KCHAT_EXIT_ERROR, err);
        else
            printf("%s\n", identity_id(id));
        identity_free(id);
    }
    options_free(&o);
    return code;
}
