/* test_safe_file: sys/safe_file never writes through a planted symlink or file, creates 0600
 * whatever the umask, leaves the old file when a write fails midway, syncs the directory (also
 * for a bare name in the working directory) and leaves no temp file behind.
 * getrandom and fsync are interposed (defined here, so the static library calls these): a fixed
 * "random" suffix lets the test plant a file at the temp name, and fsync calls are counted. */
#include "sys/safe_file.h"
#include "support/check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[64];
static char err[512];
static bool fixed_random; /* getrandom returns zeros: the temp name is predictable */
static int dir_syncs;     /* fsync calls on a directory */
static int file_syncs;    /* fsync calls on a regular file */

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
    if (fixed_random) {
        memset(buf, 0, len);
        return (ssize_t)len;
    }
    return syscall(SYS_getrandom, buf, len, flags);
}

int fsync(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        dir_syncs++;
    else
        file_syncs++;
    return (int)syscall(SYS_fsync, fd);
}

static const char *in_dir(const char *name)
{
    static char bufs[8][256];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, sizeof bufs[0], "%s/%s", dir, name);
    return p;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The whole content of path ("" when missing). */
static const char *content(const char *path)
{
    static char buf[4096];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Number of entries in the test directory (a leftover temp file shows up here). */
static int entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_mode : 0;
}

static void test_write_and_mode(void)
{
    const char *path = in_dir("state");
    umask(0);
    CHECK(safe_write_file(path, "first", 5, err, sizeof err) == 0);
    CHECK(strcmp(content(path), "first") == 0);
    CHECK((mode_of(path) & 07777) == 0600);
    CHECK(safe_write_file(path, "second", 6, err, sizeof err) == 0);
    CHECK(strcmp(content(path), "second") == 0);
    CHECK((mode_of(path) & 07777) == 0600);
    CHECK(entries() == 1);
    umask(022);
    unlink(path);
}

/* A symlink planted at the target is replaced, not followed. */
static void test_symlink_at_target(void)
{
    const char *path = in_dir("target"), *victim = in_dir("victim");
    put(victim, "victim");
    CHECK(symlink(victim, path) == 0);
    CHECK(safe_write_file(path, "SECRET", 6, err, sizeof err) == 0);
    CHECK(strcmp(content(victim), "victim") == 0);
    CHECK(S_ISREG(mode_of(path)) && strcmp(content(path), "SECRET") == 0);
    unlink(path);
    unlink(victim);
}

/* A symlink (or file) planted at the temp name is never opened: the write fails cleanly. */
static void test_symlink_at_temp(void)
{
    const char *path = in_dir("planted"), *victim = in_dir("victim");
    const char *tmp = in_dir("planted.tmp-0000000000000000");
    put(path, "old");
    put(victim, "victim");
    CHECK(symlink(victim, tmp) == 0);
    fixed_random = true;
    err[0] = '\0';
    CHECK(safe_write_file(path, "SECRET", 6, err, sizeof err) == -1);
    CHECK(strstr(err, "cannot create a file next to") != NULL);
    CHECK(strcmp(content(victim), "victim") == 0);
    CHECK(strcmp(content(path), "old") == 0);
    unlink(tmp);
    put(tmp, "planted");
    CHECK(safe_write_file(path, "SECRET", 6, err, sizeof err) == -1);
    CHECK(strcmp(content(tmp), "planted") == 0);
    fixed_random = false;
    CHECK(safe_write_file(path, "new", 3, err, sizeof err) == 0); /* a fresh name works */
    CHECK(strcmp(content(path), "new") == 0);
    CHECK(entries() == 3);
    unlink(tmp);
    unlink(path);
    unlink(victim);
}

/* A write that fails midway (file size limit) leaves the old file and no temp file. */
static void test_fail_midway(void)
{
    const char *path = in_dir("torn");
    char big[8192];
    memset(big, 'x', sizeof big);
    put(path, "old");
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    err[0] = '\0';
    CHECK(safe_write_file(path, big, sizeof big, err, sizeof err) == -1);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(strstr(err, "cannot write") != NULL && strstr(err, path) != NULL);
    CHECK(strcmp(content(path), "old") == 0);
    CHECK(entries() == 1);
    unlink(path);
}

/* The file is synced before the rename and the directory after it, also for a bare name. */
static void test_syncs_relative(void)
{
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(dir) == 0);
    dir_syncs = file_syncs = 0;
    CHECK(safe_write_file("file", "data", 4, err, sizeof err) == 0);
    CHECK(file_syncs == 1 && dir_syncs == 1);
    CHECK(strcmp(content("file"), "data") == 0);
    dir_syncs = 0;
    CHECK(safe_write_file("./file", "more", 4, err, sizeof err) == 0);
    CHECK(dir_syncs == 1);
    unlink("file");
    CHECK(chdir(cwd) == 0);
}

static void test_create_only(void)
{
    const char *path = in_dir("new");
    CHECK(safe_create_file(path, "one", 3, err, sizeof err) == 0);
    CHECK(safe_create_file(path, "two", 3, err, sizeof err) == 1);
    CHECK(strcmp(content(path), "one") == 0);
    CHECK((mode_of(path) & 07777) == 0600);
    CHECK(entries() == 1);
    unlink(path);
}

/* The open variant hands back the renamed file itself. */
static void test_keep_open(void)
{
    const char *path = in_dir("open");
    int fd = safe_write_file_open(path, "abcdef", 6, err, sizeof err);
    CHECK(fd >= 0);
    struct stat a, b;
    CHECK(fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino);
    CHECK(pwrite(fd, "XY", 2, 2) == 2);
    CHECK(strcmp(content(path), "abXYef") == 0);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    close(fd);
    CHECK(entries() == 1);
    unlink(path);
}

static void test_missing_dir(void)
{
    err[0] = '\0';
    CHECK(safe_write_file(in_dir("no/such/file"), "x", 1, err, sizeof err) == -1);
    CHECK(strstr(err, "cannot create a file next to") != NULL);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/kchat-safe-file-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_write_and_mode();
    test_symlink_at_target();
    test_symlink_at_temp();
    test_fail_midway();
    test_syncs_relative();
    test_create_only();
    test_keep_open();
    test_missing_dir();
    rmdir(dir);
    return check_summary();
}
