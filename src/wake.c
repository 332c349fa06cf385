#include "src/wake.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int wake_init(wake *w)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    if (set_flags(fds[0]) != 0 || set_flags(fds[1]) != 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    w->rfd = fds[0];
    w->wfd = fds[1];
    return 0;
}

void wake_signal(const wake *w)
{
    int saved = errno;
    char b = 1;
    ssize_t r = write(w->wfd, &b, 1);
    (void)r; /* EAGAIN: the pipe is full, so the reader wakes anyway */
    errno = saved;
}

void wake_drain(const wake *w)
{
    char buf[256];
    while (read(w->rfd, buf, sizeof buf) > 0) {
    }
}

void wake_close(wake *w)
{
    if (w->rfd >= 0)
        close(w->rfd);
    if (w->wfd >= 0)
        close(w->wfd);
    w->rfd = w->wfd = -1;
}
