/* The conversation journal: round trip, crashes at every byte of the last record, compaction,
 * tampering, another identity's key, no text in clear, bounds on damaged input. */
#include "crypto/identity.h"
#include "crypto/store_key.h"
#include "src/conv_state.h"
#include "src/sealed_log.h"
#include "state_util.h"
#include "support/check.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define SECRET_TEXT "attack at dawn, bring the 7 maps"

static char dir[64];
static uint8_t *key, *other_key;

/* Everything the state holds, as one string, to compare states. */
static void describe(const conv_state *st, char *out, size_t cap)
{
    char hex[2 * HS_CONV_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, conv_state_conv(st), HS_CONV_LEN);
    const seqset *s = conv_state_shown_set(st);
    int n = snprintf(out, cap, "conv=%s next=%llu acked=%llu echoed=%llu shown=%llu[", hex,
                     (unsigned long long)conv_state_next_seq(st),
                     (unsigned long long)conv_state_acked_upto(st),
                     (unsigned long long)conv_state_echoed_upto(st), (unsigned long long)s->upto);
    for (size_t i = 0; i < s->n && n > 0 && (size_t)n < cap; i++)
        n += snprintf(out + n, cap - (size_t)n, " %llu", (unsigned long long)s->above[i]);
    const outbox *o = conv_state_pending(st);
    for (size_t i = 0; i < o->n && n > 0 && (size_t)n < cap; i++) {
        const out_msg *m = outbox_at(o, i);
        n += snprintf(out + n, cap - (size_t)n, "] msg %llu/%llu/%u:%.*s",
                      (unsigned long long)m->seq, (unsigned long long)m->echo_of, m->flags,
                      (int)m->len, (const char *)m->text);
    }
}

static conv_state *open_at(const char *name, bool create)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    conv_state *st = conv_state_open(path, key, create, err, sizeof err);
    if (!st)
        fprintf(stderr, "open %s: %s\n", path, err);
    return st;
}

/* Opens, counting a failure as one. */
static conv_state *must_open(const char *name, bool create)
{
    conv_state *st = open_at(name, create);
    CHECK(st != NULL);
    return st;
}

static int sync_ok(conv_state *st)
{
    char err[512];
    return conv_state_sync(st, err, sizeof err);
}

static void test_roundtrip(void)
{
    char path[256], a[4096], b[4096];
    snprintf(path, sizeof path, "%s/conv/rt", dir);
    conv_state *st = must_open("conv/rt", true);
    CHECK(st && !conv_state_resumed(st));
    if (!st)
        return;
    CHECK(conv_state_next_seq(st) == 1 && conv_state_acked_upto(st) == 0);
    CHECK(conv_state_msg(st, 1, 0, 0, "hello", 5) == 0);
    CHECK(conv_state_msg(st, 2, 7, 1, SECRET_TEXT, strlen(SECRET_TEXT)) == 0);
    CHECK(conv_state_msg(st, 3, 0, 0, "", 0) == 0);
    CHECK(conv_state_msg(st, 2, 0, 0, "again", 5) != 0); /* not above the last */
    CHECK(conv_state_msg(st, 5, 0, 0, "gap", 3) != 0);   /* a hole among the pending */
    CHECK(conv_state_acked(st, 1) == 0);
    CHECK(conv_state_acked(st, 9) != 0); /* never sent */
    CHECK(conv_state_echoed(st, 1) == 0);
    CHECK(conv_state_shown(st, 1) == 0 && conv_state_shown(st, 2) == 0);
    CHECK(conv_state_shown(st, 5) == 0 && conv_state_shown(st, 9) == 0);
    CHECK(conv_state_shown(st, 0) != 0);
    CHECK(sync_ok(st) == 0);
    CHECK(sync_ok(st) == 0); /* nothing queued */
    describe(st, a, sizeof a);
    CHECK(conv_state_pending(st)->n == 2 && conv_state_next_seq(st) == 4);
    conv_state_close(st);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    snprintf(b, sizeof b, "%s/conv", dir);
    CHECK(stat(b, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    /* no text in clear on disk */
    size_t n;
    unsigned char *bytes = tu_read(path, &n);
    CHECK(bytes && n > 0 && !tu_contains(bytes, n, SECRET_TEXT) && !tu_contains(bytes, n, "hello"));
    free(bytes);

    st = must_open("conv/rt", false);
    CHECK(st && conv_state_resumed(st));
    if (!st)
        return;
    describe(st, b, sizeof b);
    CHECK(!strcmp(a, b));
    CHECK(strstr(b, "shown=2[ 5 9]") != NULL);
    /* the engine's outbox and sets, restored */
    outbox out;
    seqset seen, echoed;
    CHECK(conv_state_restore(st, &out, &seen, &echoed) == 0);
    CHECK(out.n == 2 && out.next_seq == 4 && out.acked == 1 && out.bytes == strlen(SECRET_TEXT));
    CHECK(outbox_at(&out, 0)->seq == 2 && outbox_at(&out, 0)->echo_of == 7);
    CHECK(outbox_at(&out, 0)->flags == 1 && outbox_at(&out, 1)->seq == 3);
    CHECK(!memcmp(outbox_at(&out, 0)->text, SECRET_TEXT, strlen(SECRET_TEXT)));
    CHECK(outbox_find(&out, 3) == outbox_at(&out, 1));
    CHECK(seen.upto == 2 && seqset_has(&seen, 5) && seqset_has(&seen, 9) && !seqset_has(&seen, 3));
    CHECK(echoed.upto == 1 && echoed.n == 0);
    outbox_free(&out);
    seqset_free(&seen);
    seqset_free(&echoed);
    conv_state *jump = must_open("conv/jump", true); /* nothing pending: numbers may jump */
    CHECK(jump && conv_state_msg(jump, 7, 0, 0, "seven", 5) == 0);
    CHECK(jump && conv_state_restore(jump, &out, NULL, NULL) == 0);
    CHECK(jump && out.n == 1 && outbox_at(&out, 0)->seq == 7 && out.next_seq == 8);
    CHECK(jump && outbox_find(&out, 7) == outbox_at(&out, 0) && out.acked == 0);
    if (jump)
        outbox_free(&out);
    conv_state_close(jump);
    conv_state_close(st); /* the open compacted it: the snapshot alone holds it all */
    st = must_open("conv/rt", false);
    if (!st)
        return;
    describe(st, b, sizeof b);
    CHECK(!strcmp(a, b));
    CHECK(strstr(b, SECRET_TEXT) != NULL);
    /* a new conversation id: the peer's numbering starts anew; renumbering ours */
    uint8_t conv[HS_CONV_LEN];
    memset(conv, 7, sizeof conv);
    CHECK(conv_state_set_conv(st, conv) == 0);
    CHECK(conv_state_shown_set(st)->upto == 0 && conv_state_shown_set(st)->n == 0);
    CHECK(conv_state_renumber(st, 5) == 0);
    CHECK(conv_state_pending(st)->n == 1); /* the echo went */
    CHECK(outbox_at(conv_state_pending(st), 0)->seq == 5 && conv_state_next_seq(st) == 6);
    CHECK(conv_state_shown_upto(st, 4) == 0 && conv_state_shown(st, 6) == 0);
    CHECK(sync_ok(st) == 0);
    describe(st, a, sizeof a);
    conv_state_close(st);
    st = must_open("conv/rt", false);
    describe(st, b, sizeof b);
    CHECK(st && !strcmp(a, b) && !memcmp(conv_state_conv(st), conv, sizeof conv));
    if (!st)
        return;
    /* everything of ours dropped, numbering from 1 (a new peer under --trust-any) */
    CHECK(conv_state_clear(st) == 0 && sync_ok(st) == 0);
    CHECK(conv_state_pending(st)->n == 0 && conv_state_next_seq(st) == 1);
    CHECK(conv_state_acked_upto(st) == 0 && conv_state_echoed_upto(st) == 0);
    CHECK(conv_state_msg(st, 1, 0, 0, "new", 3) == 0 && sync_ok(st) == 0);
    describe(st, a, sizeof a);
    conv_state_close(st);
    st = must_open("conv/rt", false);
    describe(st, b, sizeof b);
    CHECK(st && !strcmp(a, b));
    conv_state_close(st);
    /* missing without create */
    CHECK(open_at("conv/none", false) == NULL && errno == ENOENT);
}

/* A crash mid-append: the file cut at every byte of the last record loads the state before it. */
static void test_crash(void)
{
    char path[256], cut_path[256], before[4096], after[4096], got[4096], err[512];
    snprintf(path, sizeof path, "%s/crash", dir);
    snprintf(cut_path, sizeof cut_path, "%s/crash-cut", dir);
    conv_state *st = must_open("crash", true);
    if (!st)
        return;
    CHECK(conv_state_msg(st, 1, 0, 0, "one", 3) == 0 && conv_state_shown(st, 1) == 0);
    CHECK(sync_ok(st) == 0);
    describe(st, before, sizeof before);
    long last = tu_size(path);
    CHECK(conv_state_msg(st, 2, 1, 1, "two", 3) == 0 && conv_state_acked(st, 1) == 0);
    CHECK(conv_state_shown(st, 2) == 0 && conv_state_echoed(st, 1) == 0);
    CHECK(sync_ok(st) == 0);
    describe(st, after, sizeof after);
    conv_state_close(st);
    size_t len;
    unsigned char *file = tu_read(path, &len);
    CHECK(file && (long)len > last);
    int wrong = 0, failed = 0;
    for (size_t cut = (size_t)last; file && cut < len; cut++) {
        tu_write(cut_path, file, cut);
        st = conv_state_open(cut_path, key, false, err, sizeof err);
        if (!st) {
            failed++;
            continue;
        }
        describe(st, got, sizeof got);
        wrong += strcmp(got, before) != 0;
        conv_state_close(st);
    }
    CHECK(failed == 0 && wrong == 0);
    tu_write(cut_path, file, len);
    st = conv_state_open(cut_path, key, false, err, sizeof err);
    CHECK(st != NULL);
    if (st) {
        describe(st, got, sizeof got);
        CHECK(!strcmp(got, after));
        conv_state_close(st);
    }
    free(file);
}

static void test_compaction(void)
{
    char path[256], a[4096], b[4096];
    snprintf(path, sizeof path, "%s/compact", dir);
    conv_state *st = must_open("compact", true);
    if (!st)
        return;
    static char text[64 * 1024];
    memset(text, 'x', sizeof text);
    long peak = 0;
    uint64_t n = CONV_STATE_COMPACT_MIN / sizeof text * 3 / 2; /* half as much again */
    for (uint64_t seq = 1; seq <= n; seq++) {
        CHECK(conv_state_msg(st, seq, 0, 0, text, sizeof text) == 0);
        CHECK(conv_state_shown(st, seq) == 0);
        if (seq > 1)
            CHECK(conv_state_acked(st, seq - 1) == 0);
        CHECK(sync_ok(st) == 0);
        long size = tu_size(path);
        if (size > peak)
            peak = size;
    }
    /* compacted as it went, past CONV_STATE_COMPACT_MIN at 4 times the live data */
    CHECK(peak < (long)CONV_STATE_COMPACT_MIN + 4 * (long)sizeof text);
    CHECK(peak > (long)CONV_STATE_COMPACT_MIN / 2);
    CHECK(conv_state_shown(st, n + 400) == 0 && conv_state_echoed(st, n - 2) == 0);
    CHECK(sync_ok(st) == 0);
    describe(st, a, sizeof a);
    conv_state_close(st);
    for (int i = 0; i < 2; i++) { /* replayed from the journal, then from the snapshot */
        st = must_open("compact", false);
        if (!st)
            return;
        describe(st, b, sizeof b);
        CHECK(!strcmp(a, b));
        if (i == 0)
            conv_state_close(st);
    }
    CHECK(tu_size(path) < (long)sizeof text + 4 * 1024); /* compacted at open */
    CHECK(conv_state_pending(st)->n == 1 && conv_state_next_seq(st) == n + 1);
    char want[64];
    snprintf(want, sizeof want, "shown=%llu[ %llu]", (unsigned long long)n,
             (unsigned long long)n + 400);
    CHECK(strstr(b, want) != NULL);
    conv_state_close(st);
}

/* A new journal gets its conversation id appended and synced at open (no snapshot rewrite): the
 * id goes out in message 1 before any step writes, so a process killed right after (closed
 * here without a sync) still resumes that id. */
static void test_new_file(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/fresh", dir);
    conv_state *st = must_open("fresh", true);
    if (!st)
        return;
    CHECK(tu_size(path) > 64); /* the header and the id's record */
    CHECK(!conv_state_resumed(st));
    uint8_t conv[HS_CONV_LEN];
    memcpy(conv, conv_state_conv(st), sizeof conv);
    conv_state_close(st); /* no write, no sync */
    st = must_open("fresh", false);
    if (!st)
        return;
    CHECK(conv_state_resumed(st));
    CHECK(!memcmp(conv_state_conv(st), conv, sizeof conv));
    conv_state_close(st);
}

static void test_refused(void)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/tamper", dir);
    conv_state *st = must_open("tamper", true);
    if (!st)
        return;
    for (uint64_t seq = 1; seq <= 3; seq++) {
        CHECK(conv_state_msg(st, seq, 0, 0, "abc", 3) == 0);
        CHECK(sync_ok(st) == 0);
    }
    conv_state_close(st);
    size_t len;
    unsigned char *file = tu_read(path, &len);
    /* another identity's key: refused, the file untouched */
    CHECK(conv_state_open(path, other_key, false, err, sizeof err) == NULL);
    CHECK(strstr(err, "another identity") != NULL);
    size_t len2;
    unsigned char *again = tu_read(path, &len2);
    CHECK(again && len2 == len && !memcmp(again, file, len));
    free(again);
    /* every byte before the last record altered: refused (and never accepted) */
    int accepted = 0;
    size_t last_start = len - (8 + 1 + 8 + 8 + 1 + 4 + 3 + STORE_SEAL_OVERHEAD);
    for (size_t i = 0; i < last_start; i++) {
        file[i] ^= 0x01;
        tu_write(path, file, len);
        st = conv_state_open(path, key, false, err, sizeof err);
        accepted += st != NULL;
        conv_state_close(st);
        file[i] ^= 0x01;
    }
    CHECK(accepted == 0);
    tu_write(path, file, len);
    st = conv_state_open(path, key, false, err, sizeof err);
    CHECK(st != NULL);
    conv_state_close(st);
    /* a file readable by others: refused */
    chmod(path, 0640);
    CHECK(conv_state_open(path, key, false, err, sizeof err) == NULL);
    free(file);
}

/* Well sealed but impossible content: refused, never trusted (bounds). */
static int parse_ops(const void *ops, size_t n)
{
    size_t len;
    uint8_t *file = sealed_log_build("kchat-conv-v1", key, ops, &n, 1, &len);
    char err[512];
    int rc = conv_state_parse(file, len, key, err, sizeof err);
    free(file);
    return rc;
}

static size_t op64(uint8_t *p, char op, uint64_t v)
{
    p[0] = (uint8_t)op;
    for (int i = 0; i < 8; i++)
        p[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    return 9;
}

static size_t opmsg(uint8_t *p, uint64_t seq, uint32_t len)
{
    op64(p, 'M', seq);
    memset(p + 9, 0, 9);
    p[18] = (uint8_t)(len >> 24);
    p[19] = (uint8_t)(len >> 16);
    p[20] = (uint8_t)(len >> 8);
    p[21] = (uint8_t)len;
    return 22;
}

static void test_bounds(void)
{
    uint8_t b[64];
    size_t n = opmsg(b, 1, 3);
    memcpy(b + n, "abc", 3);
    CHECK(parse_ops(b, n + 3) == 0);                    /* the valid baseline */
    CHECK(parse_ops(b, n + 2) != 0);                    /* text cut short */
    CHECK(parse_ops(b, opmsg(b, 1, 0xffffffffu)) != 0); /* length past the record */
    CHECK(parse_ops(b, opmsg(b, 1, CONV_STATE_TEXT_MAX + 1)) != 0);
    CHECK(parse_ops(b, opmsg(b, CONV_STATE_SEQ_MAX + 1, 0)) != 0);
    n = opmsg(b, 2, 0);
    n += opmsg(b + n, 2, 0); /* not increasing */
    CHECK(parse_ops(b, n) != 0);
    n = opmsg(b, 2, 0);
    n += opmsg(b + n, 4, 0); /* a hole among the pending */
    CHECK(parse_ops(b, n) != 0);
    n = opmsg(b, 2, 0);
    CHECK(parse_ops(b, n + op64(b + n, 'A', 2)) == 0);
    CHECK(parse_ops(b, n + op64(b + n, 'A', 3)) != 0); /* acknowledged beyond what was sent */
    CHECK(parse_ops(b, n + op64(b + n, 'E', 3)) != 0);
    CHECK(parse_ops(b, op64(b, 'S', 0)) != 0);
    CHECK(parse_ops(b, op64(b, 'S', UINT64_MAX)) != 0);
    CHECK(parse_ops(b, op64(b, 'U', UINT64_MAX)) != 0);
    CHECK(parse_ops(b, op64(b, 'R', 0)) != 0);
    CHECK(parse_ops(b, op64(b, 'Z', 0)) == 0);
    CHECK(parse_ops(b, op64(b, 'Z', 1)) != 0);
    CHECK(parse_ops(b, op64(b, 'X', 1)) != 0); /* unknown operation */
    CHECK(parse_ops(b, 8) != 0);               /* cut inside an operation */
    CHECK(parse_ops(b, 0) != 0);               /* an empty record */
    CHECK(parse_ops("C", 1) != 0);
    /* too many shown numbers above the prefix */
    size_t cnt = CONV_STATE_ABOVE_MAX + 1, len = 0;
    uint8_t *many = malloc(cnt * 9);
    for (size_t i = 0; i < cnt; i++)
        len += op64(many + len, 'S', 2 * i + 2);
    CHECK(parse_ops(many, len - 9) == 0);
    CHECK(parse_ops(many, len) != 0);
    free(many);
    /* too many messages */
    cnt = CONV_STATE_MSG_MAX + 1;
    many = malloc(cnt * 22);
    len = 0;
    for (size_t i = 0; i < cnt; i++)
        len += opmsg(many + len, i + 1, 0);
    CHECK(parse_ops(many, len - 22) == 0);
    CHECK(parse_ops(many, len) != 0);
    free(many);
    /* the setters keep the same bounds */
    conv_state *st = must_open("bounds", true);
    if (!st)
        return;
    char *big = calloc(1, CONV_STATE_TEXT_MAX + 1);
    CHECK(conv_state_msg(st, 1, 0, 0, big, CONV_STATE_TEXT_MAX + 1) != 0);
    CHECK(conv_state_msg(st, 1, 0, 0, big, CONV_STATE_TEXT_MAX) == 0);
    CHECK(conv_state_pending(st)->n == 1);
    /* a step past one record's bound (10 MiB) is cut into records, all written */
    for (uint64_t seq = 2; seq <= 10; seq++)
        CHECK(conv_state_msg(st, seq, 0, 0, big, CONV_STATE_TEXT_MAX) == 0);
    free(big);
    CHECK(sync_ok(st) == 0);
    conv_state_close(st);
    st = must_open("bounds", false);
    CHECK(st && conv_state_pending(st)->n == 10 && conv_state_next_seq(st) == 11);
    conv_state_close(st);
}

/* The child journals messages as an engine would (one step: a message, shown, acknowledged five
 * back; sync) and reports each step on the pipe once synced, until it is killed. */
static void journal_until_killed(int out)
{
    conv_state *st = open_at("killed", true);
    if (!st)
        _exit(1);
    char text[64];
    for (uint64_t i = 1;; i++) {
        int n = snprintf(text, sizeof text, "message %llu", (unsigned long long)i);
        if (conv_state_msg(st, i, 0, 0, text, (size_t)n) != 0 || conv_state_shown(st, i) != 0 ||
            (i > 5 && conv_state_acked(st, i - 5) != 0) || sync_ok(st) != 0)
            _exit(1);
        if (write(out, &i, sizeof i) != sizeof i)
            _exit(1);
    }
}

/* What a resumed Alice finds after SIGKILL: every synced step, texts intact. */
static int check_resumed(uint64_t last)
{
    conv_state *st = open_at("killed", false);
    if (!st)
        return -1;
    const outbox *o = conv_state_pending(st);
    uint64_t next = conv_state_next_seq(st);
    int bad = next < last + 1 || conv_state_shown_set(st)->upto != next - 1;
    bad |= conv_state_acked_upto(st) != (next - 1 > 5 ? next - 1 - 5 : 0);
    bad |= o->n != next - 1 - conv_state_acked_upto(st);
    for (size_t i = 0; i < o->n && !bad; i++) {
        const out_msg *m = outbox_at(o, i);
        char want[64];
        int n = snprintf(want, sizeof want, "message %llu", (unsigned long long)m->seq);
        bad |= m->seq != conv_state_acked_upto(st) + 1 + i || m->len != (size_t)n ||
               memcmp(m->text, want, m->len) != 0;
    }
    conv_state_close(st);
    return bad ? -1 : 0;
}

/* One process at a time: a second open is refused while the first holds the journal; the
 * temporary files of a killed rewrite are removed. */
static void test_lock(void)
{
    char err[512], path[256], temp[300];
    conv_state *st = must_open("locked", true);
    snprintf(path, sizeof path, "%s/locked", dir);
    CHECK(conv_state_open(path, key, false, err, sizeof err) == NULL);
    CHECK(strstr(err, "in use") != NULL);
    conv_state_close(st);
    snprintf(temp, sizeof temp, "%s/.locked.tmp-0123456789abcdef", dir);
    CHECK(tu_write(temp, "x", 1) == 0);
    st = must_open("locked", false);
    CHECK(access(temp, F_OK) != 0);
    conv_state_close(st);
}

/* A write that fails half way (the file size limit): the file is cut back to where it was, the
 * changes stay queued, and the next sync writes them. */
static void test_write_failure(void)
{
    char path[256], a[4096], b[4096];
    snprintf(path, sizeof path, "%s/efbig", dir);
    conv_state *st = must_open("efbig", true);
    if (!st)
        return;
    CHECK(conv_state_msg(st, 1, 0, 0, "one", 3) == 0 && sync_ok(st) == 0);
    long before = tu_size(path);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)before + 100;
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    char text[1000];
    memset(text, 't', sizeof text);
    CHECK(conv_state_msg(st, 2, 0, 0, text, sizeof text) == 0);
    CHECK(sync_ok(st) != 0);
    CHECK(tu_size(path) == before); /* no half record left */
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, SIG_DFL);
    CHECK(conv_state_msg(st, 3, 0, 0, "three", 5) == 0);
    CHECK(sync_ok(st) == 0);
    describe(st, a, sizeof a);
    conv_state_close(st);
    st = must_open("efbig", false);
    if (!st)
        return;
    describe(st, b, sizeof b);
    CHECK(!strcmp(a, b) && conv_state_pending(st)->n == 3);
    conv_state_close(st);
}

static void test_sigkill(void)
{
    for (int round = 0; round < 5; round++) {
        int fds[2];
        CHECK(pipe(fds) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            journal_until_killed(fds[1]);
        }
        close(fds[1]);
        uint64_t last = 0, v;
        uint64_t stop = 100 + (uint64_t)randombytes_uniform(2000);
        while (last < stop && read(fds[0], &v, sizeof v) == sizeof v)
            last = v;
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        while (read(fds[0], &v, sizeof v) == sizeof v)
            last = v; /* synced before the kill */
        close(fds[0]);
        CHECK(last >= stop);
        CHECK(check_resumed(last) == 0);
        /* and it goes on from there */
        conv_state *st = must_open("killed", false);
        if (st) {
            uint64_t next = conv_state_next_seq(st);
            CHECK(conv_state_msg(st, next, 0, 0, "after", 5) == 0 && sync_ok(st) == 0);
            conv_state_close(st);
        }
        char path[256];
        snprintf(path, sizeof path, "%s/killed", dir);
        unlink(path);
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    char *d = tu_tmpdir();
    CHECK(d != NULL);
    if (!d)
        return check_summary();
    snprintf(dir, sizeof dir, "%s", d);
    identity *a = identity_generate(), *b = identity_generate();
    key = store_key_derive(identity_secret(a));
    other_key = store_key_derive(identity_secret(b));
    test_roundtrip();
    test_crash();
    test_compaction();
    test_new_file();
    test_refused();
    test_bounds();
    test_lock();
    test_write_failure();
    test_sigkill();
    store_key_free(key);
    store_key_free(other_key);
    identity_free(a);
    identity_free(b);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_summary();
}
