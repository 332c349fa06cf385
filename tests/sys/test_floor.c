/* test_floor: the small parts of sys/: paths and mkdir -p, wake pipes, the clock, errf. */
#include "support/check.h"
#include "sys/clock.h"
#include "sys/errf.h"
#include "sys/path.h"
#include "sys/wake.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same_dir(const char *path, const char *want)
{
    char out[64];
    return sys_path_dir(path, out, sizeof out) == 0 && strcmp(out, want) == 0;
}

static void test_paths(void)
{
    CHECK(same_dir("a/b/c", "a/b"));
    CHECK(same_dir("/c", "/"));
    CHECK(same_dir("c", "."));
    CHECK(same_dir("./c", "."));
    char small[4];
    CHECK(sys_path_dir("abcdef/x", small, sizeof small) == -1);

    char out[256];
    setenv("XDG_STATE_HOME", "/xdg/state", 1);
    CHECK(sys_xdg_path(out, sizeof out, "XDG_STATE_HOME", ".local/state", "kchat/f") == 0);
    CHECK(strcmp(out, "/xdg/state/kchat/f") == 0);
    setenv("XDG_STATE_HOME", "relative", 1); /* not absolute: ignored */
    setenv("HOME", "/home/u", 1);
    CHECK(sys_xdg_path(out, sizeof out, "XDG_STATE_HOME", ".local/state", "kchat/f") == 0);
    CHECK(strcmp(out, "/home/u/.local/state/kchat/f") == 0);
    unsetenv("HOME");
    CHECK(sys_xdg_path(out, sizeof out, "XDG_STATE_HOME", ".local/state", "kchat/f") == -1);
    CHECK(sys_xdg_path(out, 8, "XDG_CONFIG_HOME", ".config", "kchat/f") == -1);
}

static void test_mkdir(void)
{
    char dir[64], path[256], err[256];
    snprintf(dir, sizeof dir, "/tmp/kchat-floor-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    umask(0);
    snprintf(path, sizeof path, "%s/a/b/file", dir);
    CHECK(sys_mkdir_parent(path, err, sizeof err) == 0);
    struct stat st;
    snprintf(path, sizeof path, "%s/a", dir);
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
    snprintf(path, sizeof path, "%s/a/b", dir);
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
    CHECK(sys_mkdir_p(path, err, sizeof err) == 0); /* exists: fine */
    umask(022);
    snprintf(path, sizeof path, "%s/f", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/f/g/h", dir); /* f is a file */
    CHECK(sys_mkdir_parent(path, err, sizeof err) == -1);
    CHECK(strstr(err, "cannot create directory") != NULL);
    CHECK(sys_mkdir_parent("bare-name", err, sizeof err) == 0);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    CHECK(system(path) == 0);
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

static void test_wake(void)
{
    sys_wake w;
    CHECK(sys_wake_init(&w) == 0);
    CHECK(fcntl(w.rfd, F_GETFD) & FD_CLOEXEC && fcntl(w.wfd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(w.rfd, F_GETFL) & O_NONBLOCK && fcntl(w.wfd, F_GETFL) & O_NONBLOCK);
    CHECK(!readable(w.rfd));
    for (int i = 0; i < 100000; i++) /* far more than a pipe holds: never blocks */
        sys_wake_signal(&w);
    CHECK(readable(w.rfd));
    sys_wake_drain(&w);
    CHECK(!readable(w.rfd));
    sys_wake_close(&w);
    CHECK(w.rfd == -1 && w.wfd == -1);
    sys_wake_close(&w); /* twice: harmless */
    sys_fd_signal(-1);  /* no pipe: harmless */
}

static void test_clock_and_errf(void)
{
    double a = sys_now_ms();
    usleep(20000);
    double b = sys_now_ms();
    CHECK(b - a >= 19.0 && b - a < 5000.0);
    CHECK(sys_now_ns() > 0);

    char err[8];
    errf(err, sizeof err, "%s %d", "value", 12345);
    CHECK(strcmp(err, "value 1") == 0);
    errf(NULL, 0, "ignored %d", 1);
    errf(err, 0, "ignored");
    CHECK(strcmp(err, "value 1") == 0);
}

int main(void)
{
    test_paths();
    test_mkdir();
    test_wake();
    test_clock_and_errf();
    return check_summary();
}
