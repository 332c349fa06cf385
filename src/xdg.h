/* xdg: paths under the XDG base directories, and creating their parent directories (0700). */
#ifndef KCHAT_XDG_H
#define KCHAT_XDG_H

#include <stddef.h>

/* $ENV/leaf if ENV is set to an absolute path, else $HOME/fallback/leaf. 0 or -1. */
int xdg_path(char *out, size_t cap, const char *env, const char *fallback, const char *leaf);
/* Creates the directories above path (mode 0700). 0 or -1 with err filled. */
int xdg_make_parent(const char *path, char *err, size_t errlen);

#endif
