#include "sys/safe_file.h"

#include "sys/errf.h"
#include "sys/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_TRIES 16

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A random 16-hex-digit suffix: unpredictable, so nobody can plant the temp name in advance. */
static int random_suffix(char out[17])
{
    uint8_t r[8];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return 0;
}

/* Creates "<path>.tmp-<random>" exclusively, never through a symlink. fd, or -1 with errno. */
static int create_temp(const char *path, char *tmp, size_t cap)
{
    for (int i = 0; i < TMP_TRIES; i++) {
        char suffix[17];
        if (random_suffix(suffix) != 0)
            return -1;
        if (snprintf(tmp, cap, "%s.tmp-%s", path, suffix) >= (int)cap) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int safe_sync_dir(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    if (sys_path_dir(path, dir, sizeof dir) != 0) {
        errf(err, errlen, "cannot sync the directory of %s: path too long", path);
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL)) {
        errf(err, errlen, "cannot sync directory %s: %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* Puts the temp file in place. 0, 1 (create and path exists) or -1 with errno. */
static int install(const char *tmp, const char *path, bool create)
{
    if (!create)
        return rename(tmp, path);
    int rc = link(tmp, path);
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return rc == 0 ? 0 : errno == EEXIST ? 1 : -1;
}

static int write_file(const char *path, const void *data, size_t len, bool create, int *fd_out,
                      char *err, size_t errlen)
{
    char tmp[4096];
    int fd = create_temp(path, tmp, sizeof tmp);
    if (fd < 0) {
        errf(err, errlen, "cannot create a file next to %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0)
        errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    else if ((rc = install(tmp, path, create)) < 0)
        errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    if (rc == 0 && safe_sync_dir(path, err, errlen) != 0)
        rc = -1; /* the new file is in place but may not survive a crash */
    if (rc == 0 && fd_out != NULL) {
        *fd_out = fd;
        return 0;
    }
    if (close(fd) != 0 && rc == 0) {
        errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

int safe_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    return write_file(path, data, len, false, NULL, err, errlen);
}

int safe_write_file_open(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    int fd = -1;
    return write_file(path, data, len, false, &fd, err, errlen) == 0 ? fd : -1;
}

int safe_create_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    return write_file(path, data, len, true, NULL, err, errlen);
}
