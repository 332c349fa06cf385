#include "sys/path.h"

#include "sys/errf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int sys_xdg_path(char *out, size_t cap, const char *env, const char *fallback, const char *leaf)
{
    const char *base = getenv(env);
    int n;
    if (out == NULL || cap == 0)
        return -1;
    if (base && base[0] == '/') {
        n = snprintf(out, cap, "%s/%s", base, leaf);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return -1;
        n = snprintf(out, cap, "%s/%s/%s", home, fallback, leaf);
    }
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int make_one(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return 0;
    errf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
    return -1;
}

int sys_mkdir_p(const char *dir, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
        errf(err, errlen, "cannot create directory %s: path too long", dir);
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = make_one(buf, err, errlen);
        *p = '/';
        if (rc != 0)
            return -1;
    }
    return make_one(buf, err, errlen);
}

int sys_path_dir(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return snprintf(out, cap, ".") < (int)cap ? 0 : -1;
    size_t n = slash == path ? 1 : (size_t)(slash - path); /* "/c": the root */
    if (n >= cap)
        return -1;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

int sys_mkdir_parent(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    if (sys_path_dir(path, dir, sizeof dir) != 0) {
        errf(err, errlen, "cannot create the directory of %s: path too long", path);
        return -1;
    }
    if (!strcmp(dir, ".") || !strcmp(dir, "/"))
        return 0;
    return sys_mkdir_p(dir, err, errlen);
}
