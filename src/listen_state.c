#include "src/listen_state.h"
#include "sys/path.h"
#include "sys/safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC_V1 "kchat-listen-state-v1"
#define STATE_MAGIC "kchat-listen-state-v2"
#define STATE_HDR_LEN 2048 /* magic, topics, invitation; padded with newlines */
#define STATE_SLOT_LEN 256 /* one position record, padded with spaces, ends in a newline */
#define STATE_FILE_LEN (STATE_HDR_LEN + 2 * STATE_SLOT_LEN)
#define STATE_BUF_MAX 4096
#define STATE_SUM_LEN 8

typedef struct position {
    uint64_t gen, shown, acked, send_next;
    bool has_conv, has_sid;
    uint8_t conv[HS_CONV_LEN];
    uint8_t sid[LISTEN_STATE_SID_LEN];
} position;

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
    st->fd = -1;
    return st;
}

void listen_state_free(listen_state *st)
{
    if (!st)
        return;
    if (st->fd >= 0)
        close(st->fd);
    sodium_free(st->invitation);
    free(st);
}

int listen_state_default_path(char *out, size_t cap)
{
    return sys_xdg_path(out, cap, "XDG_STATE_HOME", ".local/state", "kchat/listen.state");
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

/* Exactly len bytes in hex. */
static int parse_hex(uint8_t *out, size_t len, bool *has, const char *val)
{
    size_t n = 0;
    if (sodium_hex2bin(out, len, val, strlen(val), NULL, &n, NULL) != 0 || n != len)
        return -1;
    *has = true;
    return 0;
}

static int parse_conv(uint8_t *conv, bool *has, const char *val)
{
    return parse_hex(conv, HS_CONV_LEN, has, val);
}

static bool valid_peer(const char *val);

static int parse_line(listen_state *st, char *line, bool header_only)
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
    if (!strcmp(key, "peer"))
        return valid_peer(val) ? copy_field(st->peer, sizeof st->peer, val) : -1;
    if (header_only)
        return -1;
    if (!strcmp(key, "conv"))
        return *val ? parse_conv(st->conv, &st->has_conv, val) : 0;
    if (!strcmp(key, "shown"))
        return parse_u64(val, &st->shown);
    if (!strcmp(key, "acked"))
        return parse_u64(val, &st->acked);
    if (!strcmp(key, "send_next"))
        return parse_u64(val, &st->send_next);
    return -1;
}

/* An identifier: lower-case letters and digits (crypto/identity.h's form, checked again when
 * it is compared). */
static bool valid_peer(const char *val)
{
    size_t n = strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789");
    return n > 0 && val[n] == '\0';
}

/* The magic line, then key=value lines (v1: all fields; v2 header: topics and invitation). */
static int parse_lines(listen_state *st, char *text, const char *magic, bool header_only)
{
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, magic) != 0)
        return -1;
    while ((line = strtok_r(NULL, "\n", &save)))
        if (parse_line(st, line, header_only) != 0)
            return -1;
    return 0;
}

static void slot_sum(const char *text, size_t len, char hex[2 * STATE_SUM_LEN + 1])
{
    uint8_t sum[STATE_SUM_LEN];
    crypto_generichash(sum, sizeof sum, (const uint8_t *)text, len, NULL, 0);
    sodium_bin2hex(hex, 2 * STATE_SUM_LEN + 1, sum, sizeof sum);
}

/* The slot's keys; each at most once, all but sid (added later) required. */
static const char *const slot_keys[] = {"gen", "conv", "shown", "acked", "send_next", "sid"};
#define SLOT_REQUIRED 0x1fu

static int parse_slot_value(position *p, int key, const char *val)
{
    switch (key) {
    case 0:
        return parse_u64(val, &p->gen);
    case 1:
        return strcmp(val, "-") ? parse_conv(p->conv, &p->has_conv, val) : 0;
    case 2:
        return parse_u64(val, &p->shown);
    case 3:
        return parse_u64(val, &p->acked);
    case 4:
        return parse_u64(val, &p->send_next);
    default:
        return strcmp(val, "-") ? parse_hex(p->sid, sizeof p->sid, &p->has_sid, val) : 0;
    }
}

/* Parses key=val into p unless the key is unknown or already seen (bit in *seen). */
static int parse_slot_field(position *p, unsigned *seen, const char *key, const char *val)
{
    for (int k = 0; k < (int)(sizeof slot_keys / sizeof slot_keys[0]); k++) {
        if (strcmp(key, slot_keys[k]) != 0)
            continue;
        if (*seen & (1u << k))
            return -1;
        *seen |= 1u << k;
        return parse_slot_value(p, k, val);
    }
    return -1;
}

/* "pos gen=G conv=HEX|- shown=N acked=N send_next=N sid=HEX|- sum=HEX", spaces, '\n': 0 if
 * intact. */
static int parse_slot(const char *raw, position *p)
{
    char text[STATE_SLOT_LEN + 1];
    memcpy(text, raw, STATE_SLOT_LEN);
    text[STATE_SLOT_LEN] = '\0';
    char *sum = strstr(text, " sum=");
    if (text[STATE_SLOT_LEN - 1] != '\n' || !sum)
        return -1;
    char want[2 * STATE_SUM_LEN + 1];
    slot_sum(text, (size_t)(sum - text), want);
    if (strncmp(sum + 5, want, 2 * STATE_SUM_LEN) != 0)
        return -1;
    *sum = '\0';
    memset(p, 0, sizeof *p);
    char *save = NULL;
    char *tok = strtok_r(text, " ", &save);
    if (!tok || strcmp(tok, "pos") != 0)
        return -1;
    unsigned seen = 0;
    while ((tok = strtok_r(NULL, " ", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return -1;
        *eq = '\0';
        if (parse_slot_field(p, &seen, tok, eq + 1) != 0)
            return -1;
    }
    return (seen & SLOT_REQUIRED) == SLOT_REQUIRED && p->acked <= p->shown ? 0 : -1;
}

static int parse_v2(listen_state *st, char *buf, size_t len)
{
    if (len != STATE_FILE_LEN)
        return -1;
    position p[2];
    bool ok[2];
    for (int i = 0; i < 2; i++)
        ok[i] = parse_slot(buf + STATE_HDR_LEN + i * STATE_SLOT_LEN, &p[i]) == 0;
    buf[STATE_HDR_LEN] = '\0';
    if ((!ok[0] && !ok[1]) || parse_lines(st, buf, STATE_MAGIC, true) != 0)
        return -1;
    const position *best = !ok[1] || (ok[0] && p[0].gen > p[1].gen) ? &p[0] : &p[1];
    st->gen = best->gen;
    st->has_conv = best->has_conv;
    memcpy(st->conv, best->conv, HS_CONV_LEN);
    st->shown = best->shown;
    st->acked = best->acked;
    st->send_next = best->send_next;
    st->has_sid = best->has_sid;
    memcpy(st->sid, best->sid, sizeof st->sid);
    return 0;
}

int listen_state_parse(listen_state *st, const char *data, size_t len)
{
    if (len == 0 || len >= STATE_BUF_MAX)
        return -1;
    char *buf = sodium_malloc(STATE_BUF_MAX); /* holds the invitation secret */
    if (!buf)
        return -1;
    memcpy(buf, data, len);
    buf[len] = '\0';
    int rc;
    if (!strncmp(buf, STATE_MAGIC_V1 "\n", sizeof STATE_MAGIC_V1))
        rc = parse_lines(st, buf, STATE_MAGIC_V1, false);
    else
        rc = parse_v2(st, buf, len);
    sodium_free(buf);
    if (rc == 0 && (!st->a2b[0] || !st->b2a[0] || !st->invitation[0] || st->acked > st->shown))
        rc = -1;
    return rc;
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
    ssize_t n = buf ? read(fd, buf, STATE_BUF_MAX) : -1;
    close(fd);
    int rc = n > 0 ? listen_state_parse(st, buf, (size_t)n) : -1;
    if (rc != 0)
        snprintf(err, errlen, "%s is not a valid kchat listen state file", path);
    if (buf)
        sodium_free(buf);
    return rc;
}

static void format_slot(const listen_state *st, uint64_t gen, char out[STATE_SLOT_LEN])
{
    char hex[2 * HS_CONV_LEN + 1] = "-", sid[2 * LISTEN_STATE_SID_LEN + 1] = "-";
    if (st->has_conv)
        sodium_bin2hex(hex, sizeof hex, st->conv, sizeof st->conv);
    if (st->has_sid)
        sodium_bin2hex(sid, sizeof sid, st->sid, sizeof st->sid);
    char text[STATE_SLOT_LEN];
    int n = snprintf(text, sizeof text,
                     "pos gen=%" PRIu64 " conv=%s shown=%" PRIu64 " acked=%" PRIu64
                     " send_next=%" PRIu64 " sid=%s",
                     gen, hex, st->shown, st->acked, st->send_next, sid);
    char sum[2 * STATE_SUM_LEN + 1];
    slot_sum(text, (size_t)n, sum);
    memset(out, ' ', STATE_SLOT_LEN);
    memcpy(out, text, (size_t)n);
    memcpy(out + n, " sum=", 5);
    memcpy(out + n + 5, sum, 2 * STATE_SUM_LEN);
    out[STATE_SLOT_LEN - 1] = '\n';
}

/* Header (padded with newlines) and both slots; 0 or -1 if the fields do not fit. */
static int format_file(const listen_state *st, uint64_t gen, char out[STATE_FILE_LEN])
{
    int n = snprintf(out, STATE_HDR_LEN, STATE_MAGIC "\na2b=%s\nb2a=%s\ninvitation=%s\n%s%s%s",
                     st->a2b, st->b2a, st->invitation, st->peer[0] ? "peer=" : "", st->peer,
                     st->peer[0] ? "\n" : "");
    if (n < 0 || n >= STATE_HDR_LEN)
        return -1;
    memset(out + n, '\n', (size_t)(STATE_HDR_LEN - n));
    format_slot(st, gen, out + STATE_HDR_LEN + (gen & 1) * STATE_SLOT_LEN);
    format_slot(st, gen - 1, out + STATE_HDR_LEN + ((gen - 1) & 1) * STATE_SLOT_LEN);
    return 0;
}

/* The first save: the whole file through sys/safe_file (fresh 0600 temp file, fsync, rename,
 * directory fsync); the file stays open. */
static int save_whole(const char *path, listen_state *st, char *err, size_t errlen)
{
    if (sys_mkdir_parent(path, err, errlen) != 0)
        return -1;
    char buf[STATE_FILE_LEN]; /* holds the invitation secret: wiped below */
    uint64_t gen = st->gen + 1;
    if (format_file(st, gen, buf) != 0) {
        sodium_memzero(buf, sizeof buf);
        snprintf(err, errlen, "cannot write %s: topics or invitation too long", path);
        return -1;
    }
    int fd = safe_write_file_open(path, buf, sizeof buf, err, errlen);
    sodium_memzero(buf, sizeof buf);
    if (fd < 0)
        return -1;
    if (st->fd >= 0)
        close(st->fd); /* the file it named was replaced */
    st->fd = fd;
    st->gen = gen;
    st->header_dirty = false;
    return 0;
}

void listen_state_pin(listen_state *st, const char *id)
{
    snprintf(st->peer, sizeof st->peer, "%s", id);
    st->header_dirty = true;
}

static int save(const char *path, listen_state *st, bool sync, char *err, size_t errlen)
{
    if (st->fd < 0 || st->header_dirty)
        return save_whole(path, st, err, errlen);
    uint64_t gen = st->gen + 1;
    char slot[STATE_SLOT_LEN];
    format_slot(st, gen, slot);
    off_t at = STATE_HDR_LEN + (off_t)(gen & 1) * STATE_SLOT_LEN;
    ssize_t w = pwrite(st->fd, slot, sizeof slot, at);
    if (w == (ssize_t)sizeof slot && sync && fdatasync(st->fd) != 0)
        w = -1; /* the slot must be on disk before the caller acts on it */
    if (w != (ssize_t)sizeof slot) {
        snprintf(err, errlen, "cannot write %s: %s", path, w < 0 ? strerror(errno) : "short write");
        return -1;
    }
    st->gen = gen;
    return 0;
}

int listen_state_save(const char *path, listen_state *st, char *err, size_t errlen)
{
    return save(path, st, true, err, errlen);
}

int listen_state_write(const char *path, listen_state *st, char *err, size_t errlen)
{
    return save(path, st, false, err, errlen);
}

int listen_state_sync(const char *path, listen_state *st, char *err, size_t errlen)
{
    if (st->fd >= 0 && fdatasync(st->fd) != 0) {
        snprintf(err, errlen, "cannot sync %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
