/* safe_file: the one way kchat writes a state or secret file. The data goes to a fresh temp file
 * in the target's own directory (random name, O_CREAT|O_EXCL|O_NOFOLLOW: a planted file or
 * symlink is never opened), mode 0600 whatever the umask, fsynced; then it is renamed over the
 * target (a symlink at the target is replaced, never followed) and the directory is fsynced. A
 * crash leaves the old file or the new one, never a torn one; on failure the temp file is
 * removed, the old file is untouched and err holds one line. The data is not copied, so wiping
 * it stays with the caller. The directory must exist (see sys_mkdir_parent). */
#ifndef KCHAT_SYS_SAFE_FILE_H
#define KCHAT_SYS_SAFE_FILE_H

#include <stddef.h>

/* Replaces path with data. 0, or -1 with err filled. */
int safe_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* The same, but keeps the new file open: returns its descriptor (read-write, close-on-exec) for
 * later in-place writes, or -1 with err filled. */
int safe_write_file_open(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Creates path with data only if nothing is there yet (link instead of rename). 0 when written,
 * 1 when path already existed (nothing written), -1 with err filled. */
int safe_create_file(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* fsyncs the directory that holds path ("." for a bare name). 0 or -1 with err filled. */
int safe_sync_dir(const char *path, char *err, size_t errlen);

#endif
