/* kchat_bench_proc: the parent's side of the worker protocol (kchat_bench_worker.c): starting a
 * worker (this program again, from /proc/self/exe, so each end is a process of its own with its
 * own CPU time and resident set), sending command lines, reading replies with a timeout, and
 * collecting the process's rusage from wait4 when it ends. */
#include "bench/kchat_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 32

static void child(int cmd_r, int rep_w, const char *const *args)
{
    char *argv[MAX_ARGS + 3];
    int n = 0;
    argv[n++] = "kchat-bench";
    argv[n++] = "--worker";
    for (int i = 0; args[i] && n < MAX_ARGS + 2; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    if (dup2(cmd_r, STDIN_FILENO) < 0 || dup2(rep_w, STDOUT_FILENO) < 0)
        _exit(127);
    execv("/proc/self/exe", argv);
    _exit(127);
}

int bench_proc_start(bench_proc *p, const char *name, const char *const *args, char *err,
                     size_t errlen)
{
    int cmd[2], rep[2];
    memset(p, 0, sizeof *p);
    p->pid = -1;
    p->wfd = p->rfd = -1;
    p->maxrss_kb = -1;
    snprintf(p->name, sizeof p->name, "%s", name);
    if (pipe(cmd) != 0 || pipe(rep) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    /* later workers must not inherit this one's pipes (dup2 clears the flag for the child) */
    for (int i = 0; i < 2; i++) {
        fcntl(cmd[i], F_SETFD, FD_CLOEXEC);
        fcntl(rep[i], F_SETFD, FD_CLOEXEC);
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        child(cmd[0], rep[1], args);
    close(cmd[0]);
    close(rep[1]);
    p->pid = pid;
    p->wfd = cmd[1];
    p->rfd = rep[0];
    return 0;
}

/* One line out of the buffer into reply, if there is one. */
static bool take_line(bench_proc *p, char *reply, size_t cap)
{
    char *nl = memchr(p->buf, '\n', p->len);
    if (!nl)
        return false;
    size_t n = (size_t)(nl - p->buf);
    snprintf(reply, cap, "%.*s", (int)n, p->buf);
    memmove(p->buf, nl + 1, p->len - n - 1);
    p->len -= n + 1;
    return true;
}

int bench_proc_reply(bench_proc *p, int timeout_ms, char *reply, size_t cap, char *err,
                     size_t errlen)
{
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while (!take_line(p, reply, cap)) {
        int64_t left = (deadline - bench_now_ns()) / 1000000;
        struct pollfd pf = {.fd = p->rfd, .events = POLLIN};
        if (left <= 0 || poll(&pf, 1, (int)left) == 0) {
            snprintf(err, errlen, "%s: no answer within %d s", p->name, timeout_ms / 1000);
            return -1;
        }
        ssize_t r = read(p->rfd, p->buf + p->len, sizeof p->buf - 1 - p->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || p->len + (size_t)r >= sizeof p->buf - 1) {
            snprintf(err, errlen, "%s: worker exited (see its messages above)", p->name);
            return -1;
        }
        p->len += (size_t)r;
    }
    if (!strncmp(reply, "err", 3)) {
        snprintf(err, errlen, "%s: %s", p->name, reply[3] ? reply + 4 : "failed");
        return -1;
    }
    return 0;
}

int bench_proc_cmd(bench_proc *p, const char *cmd, int timeout_ms, char *reply, size_t cap,
                   char *err, size_t errlen)
{
    if (bench_write_all(p->wfd, cmd, strlen(cmd)) != 0 || bench_write_all(p->wfd, "\n", 1)) {
        snprintf(err, errlen, "%s: cannot send '%s'", p->name, cmd);
        return -1;
    }
    return bench_proc_reply(p, timeout_ms, reply, cap, err, errlen);
}

int bench_proc_usage(bench_proc *p, bench_usage *u, char *err, size_t errlen)
{
    char line[256];
    if (bench_proc_cmd(p, "usage", 10000, line, sizeof line, err, errlen) != 0)
        return -1;
    if (sscanf(line, "ok %lf %ld %ld", &u->cpu_us, &u->hwm_kb, &u->rss_kb) != 3) {
        snprintf(err, errlen, "%s: bad usage answer '%s'", p->name, line);
        return -1;
    }
    return 0;
}

static void reap(bench_proc *p, int timeout_ms)
{
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int status;
        struct rusage ru;
        pid_t r = wait4(p->pid, &status, WNOHANG, &ru);
        if (r == p->pid) {
            p->maxrss_kb = ru.ru_maxrss;
            p->cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
                        (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
            p->pid = -1;
            return;
        }
        if (r < 0 && errno != EINTR) {
            p->pid = -1;
            return;
        }
        if (bench_now_ns() > deadline) {
            kill(p->pid, SIGKILL);
            deadline = bench_now_ns() + 5 * (int64_t)1000000000;
        }
        usleep(10000);
    }
}

void bench_proc_stop(bench_proc *p)
{
    if (p->pid <= 0)
        return;
    char line[64], err[256];
    bench_proc_cmd(p, "quit", 15000, line, sizeof line, err, sizeof err);
    close(p->wfd);
    p->wfd = -1;
    reap(p, 15000);
    close(p->rfd);
    p->rfd = -1;
}

void bench_proc_kill(bench_proc *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGTERM);
    close(p->wfd);
    close(p->rfd);
    p->wfd = p->rfd = -1;
    reap(p, 3000);
}
