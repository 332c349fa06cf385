/* path: where kchat keeps its files (the XDG base directories) and making their directories.
 * Every directory kchat creates is mode 0700 (before the umask). */
#ifndef KCHAT_SYS_PATH_H
#define KCHAT_SYS_PATH_H

#include <stddef.h>

/* $ENV/leaf if ENV is set to an absolute path, else $HOME/fallback/leaf. 0, or -1 when there is
 * no usable HOME or out is too small. E.g. ("XDG_STATE_HOME", ".local/state", "kchat/x"). */
int sys_xdg_path(char *out, size_t cap, const char *env, const char *fallback, const char *leaf);
/* Creates dir and every missing directory above it (mkdir -p, mode 0700). 0 or -1 with err. */
int sys_mkdir_p(const char *dir, char *err, size_t errlen);
/* Creates the directories above path (its parent, mkdir -p, mode 0700). 0 or -1 with err. */
int sys_mkdir_parent(const char *path, char *err, size_t errlen);
/* The directory part of path: "a/b" for "a/b/c", "/" for "/c", "." for "c". 0 or -1 (too long). */
int sys_path_dir(const char *path, char *out, size_t cap);

#endif
