#include "src/listen_state.h"
#include "src/xdg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC "kchat-listen-state-v1"
#define STATE_BUF_MAX 4096

listen_state *listen_state_new(void)
{
    listen_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->invitation = sodium_malloc(LISTEN_STATE_INV_MAX);
    if (!st->invitation) {
        free(st);
        return NULL;
    }
    st->invitation[0] = '\0';
    st->send_next = 1;
    return st;
}

void listen_state_free(listen_state *st)
{
    if (!st)
        return;
    sodium_free(st->invitation);
    free(st);
}

int listen_state_default_path(char *out, size_t cap)
{
    return xdg_path(out, cap, "XDG_STATE_HOME", ".local/state", "kchat/listen.state");
}

static int copy_field(char *dst, size_t cap, const char *val)
{
    size_t n = strlen(val);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, val, n + 1);
    return 0;
}

static int parse_u64(const char *val, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(val, &end, 10);
    if (errno || *val == '\0' || *end != '\0' || *val == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_line(listen_state *st, char *line)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return -1;
    *eq = '\0';
    const char *key = line, *val = eq + 1;
    if (!strcmp(key, "a2b"))
        return copy_field(st->a2b, sizeof st->a2b, val);
    if (!strcmp(key, "b2a"))
        return copy_field(st->b2a, sizeof st->b2a, val);
    if (!strcmp(key, "invitation"))
        return copy_field(st->invitation, LISTEN_STATE_INV_MAX, val);
    if (!strcmp(key, "conv")) {
        if (*val == '\0')
            return 0;
        size_t n = 0;
        if (sodium_hex2bin(st->conv, sizeof st->conv, val, strlen(val), NULL, &n, NULL) != 0 ||
            n != sizeof st->conv)
            return -1;
        st->has_conv = true;
        return 0;
    }
    if (!strcmp(key, "shown"))
        return parse_u64(val, &st->shown);
    if (!strcmp(key, "acked"))
        return parse_u64(val, &st->acked);
    if (!strcmp(key, "send_next"))
        return parse_u64(val, &st->send_next);
    return -1;
}

static int parse_state(listen_state *st, char *buf)
{
    char *save = NULL;
    char *line = strtok_r(buf, "\n", &save);
    if (!line || strcmp(line, STATE_MAGIC) != 0)
        return -1;
    while ((line = strtok_r(NULL, "\n", &save)))
        if (parse_line(st, line) != 0)
            return -1;
    if (!st->a2b[0] || !st->b2a[0] || !st->invitation[0] || st->acked > st->shown)
        return -1;
    return 0;
}

int listen_state_load(const char *path, listen_state *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            snprintf(err, errlen, "no earlier listen to resume (%s not found)", path);
        else
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (sb.st_mode & 077)) {
        snprintf(err, errlen, "%s is readable by others; run chmod 600 %s", path, path);
        close(fd);
        return -1;
    }
    char *buf = sodium_malloc(STATE_BUF_MAX);
    ssize_t n = buf ? read(fd, buf, STATE_BUF_MAX - 1) : -1;
    close(fd);
    int rc = -1;
    if (n > 0) {
        buf[n] = '\0';
        rc = parse_state(st, buf);
    }
    if (rc != 0)
        snprintf(err, errlen, "%s is not a valid kchat listen state file", path);
    if (buf)
        sodium_free(buf);
    return rc;
}

static int format_state(const listen_state *st, char *buf, size_t cap)
{
    char hex[2 * HS_CONV_LEN + 1] = "";
    if (st->has_conv)
        sodium_bin2hex(hex, sizeof hex, st->conv, sizeof st->conv);
    return snprintf(buf, cap,
                    STATE_MAGIC "\na2b=%s\nb2a=%s\ninvitation=%s\nconv=%s\nshown=%" PRIu64
                                "\nacked=%" PRIu64 "\nsend_next=%" PRIu64 "\n",
                    st->a2b, st->b2a, st->invitation, hex, st->shown, st->acked, st->send_next);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int listen_state_save(const char *path, listen_state *st, char *err, size_t errlen)
{
    if (!st->dir_ready && xdg_make_parent(path, err, errlen) != 0)
        return -1;
    st->dir_ready = true;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    char buf[STATE_BUF_MAX]; /* holds the invitation secret: wiped below */
    int len = format_state(st, buf, sizeof buf);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd >= 0 && len > 0 && len < STATE_BUF_MAX && write_all(fd, buf, (size_t)len) == 0)
        rc = 0;
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    sodium_memzero(buf, sizeof buf);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}
