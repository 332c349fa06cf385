/* cmd_id: prints this identity's identifier (creating the identity if missing); with --seal,
 * protects the identity file with a passphrase. A missing identity is then generated and sealed
 * in memory and written once: the plain key never reaches the disk. */
#include "src/app.h"
#include "src/commands.h"
#include "src/passphrase.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The identity file's path (o->identity_path or the default) in buf; NULL if there is none. */
static const char *id_path(const kchat_options *o, char *buf, size_t cap)
{
    if (o->identity_path)
        return o->identity_path;
    return identity_default_path(buf, cap) == 0 ? buf : NULL;
}

static char *new_passphrase(char *err, size_t errlen)
{
    char *pass = passphrase_get("new passphrase", 1);
    if (!pass)
        snprintf(err, errlen, "no passphrase: set KCHAT_PASSPHRASE or run on a terminal");
    return pass;
}

/* Re-saves an existing identity sealed. */
static int seal(const char *path, const identity *id, char *err, size_t errlen)
{
    char *pass = new_passphrase(err, errlen);
    if (!pass)
        return -1;
    int rc = identity_save(id, path, pass, err, errlen);
    passphrase_free(pass);
    return rc;
}

/* --seal without an identity file: created sealed, never plain. */
static identity *create_sealed(const char *path, char *err, size_t errlen)
{
    char *pass = new_passphrase(err, errlen);
    if (!pass)
        return NULL;
    identity *id = identity_load_or_create(path, pass, err, errlen);
    passphrase_free(pass);
    return id;
}

static identity *id_for(const kchat_options *o, char *err, size_t errlen)
{
    char buf[4096];
    struct stat sb;
    const char *path = id_path(o, buf, sizeof buf);
    if (!o->seal || !path)
        return app_identity(o, err, errlen);
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return create_sealed(path, err, errlen);
    identity *id = app_identity(o, err, errlen);
    if (id && seal(path, id, err, errlen) != 0) {
        identity_free(id);
        return NULL;
    }
    return id;
}

int cmd_id(int argc, char **argv)
{
    kchat_options o;
    char err[1024] = "";
    if (options_parse(argc, argv, &o, err, sizeof err) != 0)
        return app_fail(KCHAT_EXIT_USAGE, err);
    int code = 0;
    if (o.help) {
        options_usage(stdout, KCHAT_CMD_ID);
    } else {
        identity *id = id_for(&o, err, sizeof err);
        if (!id)
            code = app_fail(KCHAT_EXIT_ERROR, err);
        else
            printf("%s\n", identity_id(id));
        identity_free(id);
    }
    options_free(&o);
    return code;
}
