/* wake: the pipes librdkafka writes to when a queue becomes non-empty (and net_client writes to
 * when a broker comes back), so the session thread can poll() instead of spinning. */
#include "net/net_internal.h"
#include "net/producer.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int net_wake_open(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    if (set_nonblock_cloexec(fds[0]) != 0 || set_nonblock_cloexec(fds[1]) != 0) {
        net_wake_close(fds);
        return -1;
    }
    return 0;
}

void net_wake_signal(int wfd)
{
    if (wfd < 0)
        return;
    int saved = errno;
    char b = 1;
    ssize_t r = write(wfd, &b, 1);
    (void)r; /* EAGAIN: the pipe is full, the reader wakes up anyway */
    errno = saved;
}

void net_wake_close(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

void net_drain_fd(int fd)
{
    char buf[256];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0)
            continue;
        if (r < 0 && errno == EINTR)
            continue;
        return; /* 0: closed; -1: EAGAIN or a real error, nothing more to read */
    }
}
