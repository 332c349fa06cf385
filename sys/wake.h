/* wake: self-pipes, the one way kchat makes a pipe. Both ends are non-blocking and close-on-exec.
 * One thread (or a signal handler) signals, another poll()s the read end and drains it. Signalling
 * never blocks (a full pipe already means "wake up") and keeps errno, so it is safe from signal
 * handlers. */
#ifndef KCHAT_SYS_WAKE_H
#define KCHAT_SYS_WAKE_H

typedef struct sys_wake {
    int rfd, wfd; /* -1 when closed */
} sys_wake;

/* 0, or -1 with errno set and nothing left open. */
int sys_wake_init(sys_wake *w);
void sys_wake_signal(const sys_wake *w);
void sys_wake_drain(const sys_wake *w);
/* Closes both ends (those that are open) and marks them -1. */
void sys_wake_close(sys_wake *w);

/* The same on bare descriptors: fds[0] reads, fds[1] writes. */
int sys_pipe_open(int fds[2]);
void sys_pipe_close(int fds[2]);
/* Writes one byte to wfd (no-op if wfd < 0). */
void sys_fd_signal(int wfd);
/* Reads fd until it would block or is closed. */
void sys_fd_drain(int fd);

#endif
