/* test_state_files: the files holding secrets are written safely. The listen state does not
 * follow a symlink planted where the old code put its temp file (path.tmp.PID) and syncs its
 * in-place slot writes; `kchat id --seal` never puts a plain key on disk: without a passphrase it
 * writes nothing, with one it writes the sealed file once. fdatasync is interposed (defined here,
 * so the static libraries call this one) to count the slot syncs. */
#include "crypto/identity.h"
#include "src/commands.h"
#include "src/listen_state.h"
#include "support/check.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static int datasyncs;

int fdatasync(int fd)
{
    datasyncs++;
    return (int)syscall(SYS_fdatasync, fd);
}

static const char *in_dir(const char *name)
{
    static char bufs[8][256];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, sizeof bufs[0], "%s/%s", dir, name);
    return p;
}

static bool holds(const char *path, const char *needle)
{
    char buf[8192];
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strstr(buf, needle) != NULL;
}

static int entries(const char *d)
{
    DIR *dp = opendir(d);
    int n = 0;
    for (struct dirent *e; dp && (e = readdir(dp)) != NULL;)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (dp)
        closedir(dp);
    return n;
}

static void test_listen_state_symlink(void)
{
    char err[512];
    const char *path = in_dir("listen.state"), *victim = in_dir("victim");
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(victim, "w");
    if (f)
        fclose(f);
    CHECK(symlink(victim, tmp) == 0);
    listen_state *st = listen_state_new();
    strcpy(st->a2b, "kchat-1-a2b");
    strcpy(st->b2a, "kchat-1-b2a");
    strcpy(st->invitation, "kchat1:the-invitation-secret");
    CHECK(listen_state_save(path, st, err, sizeof err) == 0);
    CHECK(!holds(victim, "the-invitation-secret"));
    struct stat sb;
    CHECK(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0777) == 0600);
    CHECK(holds(path, "the-invitation-secret"));

    /* Later saves overwrite a slot in place, and sync it. */
    datasyncs = 0;
    st->shown = 5;
    CHECK(listen_state_save(path, st, err, sizeof err) == 0);
    CHECK(datasyncs >= 1);
    listen_state_free(st);
    unlink(path);
    unlink(tmp);
    unlink(victim);
}

/* Runs `kchat id --identity file --seal` in a child without a controlling terminal; its exit
 * status. */
static int run_id(const char *file, const char *pass)
{
    pid_t pid = fork();
    if (pid == 0) {
        setsid(); /* no /dev/tty: the passphrase can only come from the environment */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        if (pass)
            setenv("KCHAT_PASSPHRASE", pass, 1);
        else
            unsetenv("KCHAT_PASSPHRASE");
        char *argv[] = {"id", "--identity", (char *)file, "--seal", NULL};
        _exit(cmd_id(4, argv));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* Files closed after writing in d while `kchat id --seal` ran. */
static int writes_during(const char *d, const char *file, const char *pass)
{
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(in >= 0 && inotify_add_watch(in, d, IN_CLOSE_WRITE) >= 0);
    CHECK(run_id(file, pass) == 0);
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int n = 0;
    ssize_t len;
    while ((len = read(in, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + len;
             p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
            n++;
    close(in);
    return n;
}

static void test_id_seal(void)
{
    char err[512];
    const char *sub = in_dir("id"), *path = in_dir("id/identity");
    CHECK(mkdir(sub, 0700) == 0);

    /* No passphrase to be had: refused, and nothing written (not even a plain identity). */
    CHECK(run_id(path, NULL) != 0);
    CHECK(access(path, F_OK) != 0);
    CHECK(entries(sub) == 0);

    /* A new identity is sealed in memory and written once. */
    unlink(path); /* a fresh directory, whatever the step above left */
    rmdir(sub);
    CHECK(mkdir(sub, 0700) == 0);
    CHECK(writes_during(sub, path, "pw") == 1);
    CHECK(identity_file_is_sealed(path) == 1);
    CHECK(!holds(path, "plain"));
    CHECK(entries(sub) == 1);
    identity *a = identity_load(path, "pw", err, sizeof err);
    CHECK(a != NULL);

    /* An existing plain identity is re-sealed (same key), also in one write. */
    CHECK(identity_save(a, path, NULL, err, sizeof err) == 0);
    CHECK(identity_file_is_sealed(path) == 0);
    CHECK(writes_during(sub, path, "pw2") == 1);
    CHECK(identity_file_is_sealed(path) == 1);
    identity *b = identity_load(path, "pw2", err, sizeof err);
    CHECK(a && b && !strcmp(identity_id(a), identity_id(b)));
    CHECK(entries(sub) == 1);
    identity_free(a);
    identity_free(b);
    unlink(path);
    rmdir(sub);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    snprintf(dir, sizeof dir, "/tmp/kchat-state-files-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_listen_state_symlink();
    test_id_seal();
    rmdir(dir);
    return check_summary();
}
