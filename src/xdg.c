#include "src/xdg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int xdg_path(char *out, size_t cap, const char *env, const char *fallback, const char *leaf)
{
    const char *base = getenv(env);
    int n;
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

int xdg_make_parent(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return -1;
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
    return -1;
}
