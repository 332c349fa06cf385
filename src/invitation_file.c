#include "src/invitation_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INVITATION_FILE_MAX 4096

/* Up to cap-1 bytes of fd into buf, NUL-terminated at the first newline. -1 on a read error. */
static ssize_t read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0 || memchr(buf + n, '\n', (size_t)r)) {
            n += (size_t)r;
            break;
        }
        n += (size_t)r;
    }
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    return (ssize_t)strlen(buf);
}

static int open_private(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    if (sb.st_mode & 077) {
        snprintf(err, errlen,
                 "%s holds a secret but others may read it; chmod 600 %s (and ask for a new "
                 "invitation if someone else could have read it)",
                 path, path);
        close(fd);
        return -1;
    }
    return fd;
}

invitation *invitation_read_file(const char *path, char *err, size_t errlen)
{
    int fd = open_private(path, err, errlen);
    if (fd < 0)
        return NULL;
    char *buf = sodium_malloc(INVITATION_FILE_MAX);
    invitation *inv = NULL;
    ssize_t n = buf ? read_line(fd, buf, INVITATION_FILE_MAX) : -1;
    if (!buf)
        snprintf(err, errlen, "out of memory");
    else if (n < 0)
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    else if (n == 0)
        snprintf(err, errlen, "%s holds no invitation", path);
    else
        inv = invitation_parse(buf, err, errlen);
    sodium_free(buf); /* wipes the secret */
    close(fd);
    return inv;
}
