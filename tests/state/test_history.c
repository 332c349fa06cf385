/* The history: round trip, last N in order, rotation, another identity's key, no text in
 * clear, long texts cut, damaged input refused. */
#include "crypto/identity.h"
#include "crypto/store_key.h"
#include "src/history.h"
#include "src/sealed_log.h"
#include "state_util.h"
#include "support/check.h"

#include <sodium.h>

#define SECRET_TEXT "the safe combination is 31-4-15"

static char dir[64];
static uint8_t *key, *other_key;

typedef struct got {
    size_t n;
    uint64_t seq[64];
    uint8_t dir[64];
    int64_t t[64];
    char text[64][64];
    bool cut[64];
    size_t len[64];
} got;

static void collect(void *ctx, const history_entry *e)
{
    got *g = ctx;
    if (g->n >= 64)
        return;
    g->seq[g->n] = e->seq;
    g->dir[g->n] = e->dir;
    g->t[g->n] = e->time_ms;
    g->cut[g->n] = e->cut;
    g->len[g->n] = e->len;
    snprintf(g->text[g->n], sizeof g->text[0], "%.*s", (int)(e->len < 63 ? e->len : 63),
             (const char *)e->text);
    g->n++;
}

static history *open_at(const char *name, const uint8_t *k, size_t keep)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    history *h = history_open(path, k, keep, err, sizeof err);
    if (!h && k == key)
        fprintf(stderr, "history_open %s: %s\n", path, err);
    return h;
}

static void test_roundtrip(void)
{
    char err[512], path[256];
    snprintf(path, sizeof path, "%s/history/rt", dir);
    history *h = open_at("history/rt", key, 0);
    CHECK(h && history_count(h) == 0);
    if (!h)
        return;
    got g = {0};
    CHECK(history_last(h, 10, collect, &g, err, sizeof err) == 0 && g.n == 0);
    CHECK(history_add(h, HISTORY_OURS, 1, 1000, "hi Bob", 6, err, sizeof err) == 0);
    CHECK(history_add(h, HISTORY_PEER, 1, 2000, SECRET_TEXT, strlen(SECRET_TEXT), err,
                      sizeof err) == 0);
    CHECK(history_add(h, HISTORY_OURS, 2, 3000, "ok", 2, err, sizeof err) == 0);
    CHECK(history_add(h, 2, 3, 4000, "bad dir", 7, err, sizeof err) != 0);
    /* queued, not yet written; one write for the three */
    long before = tu_size(path);
    CHECK(history_count(h) == 3);
    CHECK(history_flush(h, err, sizeof err) == 0);
    CHECK(tu_size(path) > before);
    history_close(h);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    /* no text in clear on disk */
    size_t n;
    unsigned char *bytes = tu_read(path, &n);
    CHECK(bytes && n > 0 && !tu_contains(bytes, n, SECRET_TEXT) &&
          !tu_contains(bytes, n, "hi Bob"));

    h = open_at("history/rt", key, 0);
    CHECK(h && history_count(h) == 3);
    if (!h) {
        free(bytes);
        return;
    }
    CHECK(history_last(h, 2, collect, &g, err, sizeof err) == 0);
    CHECK(g.n == 2 && g.dir[0] == HISTORY_PEER && g.seq[0] == 1 && g.t[0] == 2000);
    CHECK(!strcmp(g.text[0], SECRET_TEXT) && !strcmp(g.text[1], "ok") && g.seq[1] == 2);
    memset(&g, 0, sizeof g);
    CHECK(history_last(h, 100, collect, &g, err, sizeof err) == 0 && g.n == 3);
    CHECK(!strcmp(g.text[0], "hi Bob"));
    history_close(h);

    /* another identity cannot read it, and the file is left alone */
    CHECK(open_at("history/rt", other_key, 0) == NULL);
    size_t n2;
    unsigned char *again = tu_read(path, &n2);
    CHECK(again && n2 == n && !memcmp(again, bytes, n));
    free(again);
    CHECK(history_parse(bytes, n, key, err, sizeof err) == 0);
    CHECK(history_parse(bytes, n, other_key, err, sizeof err) != 0);
    free(bytes);
}

static void test_rotation(void)
{
    char err[512], text[32];
    history *h = open_at("rot", key, 10);
    if (!h)
        return;
    for (uint64_t i = 1; i <= 55; i++) {
        snprintf(text, sizeof text, "line %llu", (unsigned long long)i);
        CHECK(history_add(h, HISTORY_OURS, i, (int64_t)i, text, strlen(text), err, sizeof err) ==
              0);
        CHECK(history_flush(h, err, sizeof err) == 0); /* as the session, each step */
        CHECK(history_count(h) <= 10 * HISTORY_SLACK);
    }
    got g = {0};
    CHECK(history_last(h, 10, collect, &g, err, sizeof err) == 0 && g.n == 10);
    CHECK(!strcmp(g.text[0], "line 46") && !strcmp(g.text[9], "line 55"));
    history_close(h);
    h = open_at("rot", key, 10);
    CHECK(h && history_count(h) >= 10 && history_count(h) <= 10 * HISTORY_SLACK);
    memset(&g, 0, sizeof g);
    CHECK(h && history_last(h, 1, collect, &g, err, sizeof err) == 0 && g.n == 1);
    CHECK(!strcmp(g.text[0], "line 55"));
    history_close(h);
    /* bounded in bytes too: big messages rotate by size */
    h = open_at("big", key, 1000);
    if (!h)
        return;
    char *big = malloc(HISTORY_TEXT_MAX + 100);
    memset(big, 'b', HISTORY_TEXT_MAX + 100);
    for (int i = 0; i < 200; i++)
        CHECK(history_add(h, HISTORY_PEER, (uint64_t)i + 1, 0, big, HISTORY_TEXT_MAX + 100, err,
                          sizeof err) == 0);
    char path[256];
    snprintf(path, sizeof path, "%s/big", dir);
    CHECK(tu_size(path) <= (long)HISTORY_BYTES_MAX + HISTORY_TEXT_MAX + 200);
    memset(&g, 0, sizeof g);
    CHECK(history_last(h, 1, collect, &g, err, sizeof err) == 0 && g.n == 1);
    CHECK(g.cut[0] && g.len[0] == HISTORY_TEXT_MAX && g.seq[0] == 200);
    free(big);
    history_close(h);
}

static void test_damaged(void)
{
    char err[512];
    /* well sealed, wrong content: refused */
    uint8_t rec[64] = {0};
    size_t n = 22;
    uint8_t *file = sealed_log_build("kchat-history-v1", key, rec, &n, 1, &n);
    CHECK(history_parse(file, n, key, err, sizeof err) == 0);
    free(file);
    rec[0] = 2; /* direction */
    n = 22;
    file = sealed_log_build("kchat-history-v1", key, rec, &n, 1, &n);
    CHECK(history_parse(file, n, key, err, sizeof err) != 0);
    free(file);
    rec[0] = 0;
    rec[21] = 5; /* text length beyond the record */
    n = 22;
    file = sealed_log_build("kchat-history-v1", key, rec, &n, 1, &n);
    CHECK(history_parse(file, n, key, err, sizeof err) != 0);
    free(file);
    /* a conversation journal is not a history */
    n = 9;
    file = sealed_log_build("kchat-conv-v1", key, rec, &n, 1, &n);
    CHECK(history_parse(file, n, key, err, sizeof err) != 0);
    free(file);
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
    test_rotation();
    test_damaged();
    store_key_free(key);
    store_key_free(other_key);
    identity_free(a);
    identity_free(b);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_summary();
}
