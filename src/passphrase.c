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
    while (n + 1 < PASS_MAX && read(fd, &c, 1) == 1 && c != '\n')
        buf[n++] = c;
    buf[n] = '\0';
    if (have_tty)
        tcsetattr(fd, TCSAFLUSH, &old);
    dprintf(fd, "\n");
    return buf;
}

char *passphrase_get(const char *prompt, int confirm)
{
    const char *env = getenv("KCHAT_PASSPHRASE");
    if (env && *env)
        return secure_dup(env);
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *p = ask(fd, prompt);
    if (p && confirm) {
        char *again = ask(fd, "again");
        if (!again || strcmp(p, again) != 0) {
            dprintf(fd, "the two passphrases differ\n");
            passphrase_free(p);
            p = NULL;
        }
        passphrase_free(again);
    }
    close(fd);
    if (p && !*p) {
        passphrase_free(p);
        p = NULL;
    }
    return p;
}

void passphrase_free(char *p)
{
    if (p)
        sodium_free(p);
}
