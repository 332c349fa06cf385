#include "src/passphrase.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASS_MAX 1024

static char *secure_dup(const char *s)
{
    size_t n = strlen(s);
    if (n >= PASS_MAX)
        return NULL;
    char *p = sodium_malloc(PASS_MAX);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

/* One line from fd with echo off (when fd is a terminal). NULL at end of input. */
static char *ask(int fd, const char *prompt)
{
    char *buf = sodium_malloc(PASS_MAX);
    if (!buf)
        return NULL;
    struct termios old, quiet;
    int have_tty = tcgetattr(fd, &old) == 0;
    if (have_tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    dprintf(fd, "%s: ", prompt);
    size_t n = 0;
    char c;
    ssize_t r = 0;
    while (n + 1 < PASS_MAX && (r = read(fd, &c, 1)) == 1 && c != '\n')
        buf[n++] = c;
    buf[n] = '\0';
    if (have_tty)
        tcsetattr(fd, TCSAFLUSH, &old);
    dprintf(fd, "\n");
    if (r != 1 && n == 0) {
        passphrase_free(buf);
        return NULL;
    }
    return buf;
}

/* A new passphrase: long enough, typed the same twice. NULL (and a word why) when not. */
static char *ask_new(int fd, const char *prompt)
{
    char *p = ask(fd, prompt);
    if (!p)
        return NULL;
    if (strlen(p) < PASSPHRASE_MIN) {
        dprintf(fd, "too short: at least %d characters\n", PASSPHRASE_MIN);
        passphrase_free(p);
        return NULL;
    }
    char *again = ask(fd, "again");
    if (!again || strcmp(p, again) != 0) {
        dprintf(fd, "the two passphrases differ\n");
        passphrase_free(p);
        p = NULL;
    }
    passphrase_free(again);
    return p;
}

char *passphrase_ask_fd(int fd, const char *prompt, int confirm)
{
    char *p = NULL;
    for (int i = 0; i < PASSPHRASE_TRIES && !p; i++) {
        p = confirm ? ask_new(fd, prompt) : ask(fd, prompt);
        if (!confirm)
            break;
    }
    if (!p && confirm)
        dprintf(fd, "no passphrase after %d tries\n", PASSPHRASE_TRIES);
    if (p && !*p) {
        passphrase_free(p);
        p = NULL;
    }
    return p;
}

char *passphrase_get(const char *prompt, int confirm)
{
    const char *env = getenv("KCHAT_PASSPHRASE");
    if (env && *env) {
        if (confirm && strlen(env) < PASSPHRASE_MIN)
            fprintf(stderr, "kchat: warning: $KCHAT_PASSPHRASE is shorter than %d characters\n",
                    PASSPHRASE_MIN);
        return secure_dup(env);
    }
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *p = passphrase_ask_fd(fd, prompt, confirm);
    close(fd);
    return p;
}

void passphrase_say(const char *msg)
{
    int fd = open("/dev/tty", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    dprintf(fd, "%s; try again\n", msg);
    close(fd);
}

void passphrase_free(char *p)
{
    if (p)
        sodium_free(p);
}
