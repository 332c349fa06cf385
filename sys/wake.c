#include "sys/wake.h"

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

int sys_pipe_open(int fds[2])
{
    if (pipe(fds) != 0) {
        fds[0] = fds[1] = -1;
        return -1;
    }
    if (set_flags(fds[0]) != 0 || set_flags(fds[1]) != 0) {
        int saved = errno;
        sys_pipe_close(fds);
        errno = saved;
        return -1;
    }
    return 0;
}

void sys_pipe_close(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

void sys_fd_signal(int wfd)
{
    if (wfd < 0)
        return;
    int saved = errno;
    char b = 1;
    ssize_t r = write(wfd, &b, 1);
    (void)r; /* EAGAIN: the pipe is full, the reader wakes up anyway */
    errno = saved;
}

void sys_fd_drain(int fd)
{
    char buf[256];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0 || (r < 0 && errno == EINTR))
            continue;
        return; /* 0: closed; -1: EAGAIN or a real error, nothing more to read */
    }
}

int sys_wake_init(sys_wake *w)
{
    int fds[2];
    if (sys_pipe_open(fds) != 0) {
        w->rfd = w->wfd = -1;
        return -1;
    }
    w->rfd = fds[0];
    w->wfd = fds[1];
    return 0;
}

void sys_wake_signal(const sys_wake *w)
{
    sys_fd_signal(w->wfd);
}

void sys_wake_drain(const sys_wake *w)
{
    sys_fd_drain(w->rfd);
}

void sys_wake_close(sys_wake *w)
{
    int fds[2] = {w->rfd, w->wfd};
    sys_pipe_close(fds);
    w->rfd = w->wfd = -1;
}
