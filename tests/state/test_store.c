/* The store key and the sealed log: derivation, sealing, framing, torn tails, damage. */
#include "crypto/identity.h"
#include "crypto/store_key.h"
#include "src/sealed_log.h"
#include "sys/safe_file.h"
#include "state_util.h"
#include "support/check.h"

#include <errno.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_derive(void)
{
    identity *a = identity_generate(), *b = identity_generate();
    uint8_t *ka = store_key_derive(identity_secret(a));
    uint8_t *ka2 = store_key_derive(identity_secret(a));
    uint8_t *kb = store_key_derive(identity_secret(b));
    CHECK(ka && ka2 && kb);
    CHECK(!memcmp(ka, ka2, STORE_KEY_LEN));                    /* deterministic */
    CHECK(memcmp(ka, kb, STORE_KEY_LEN) != 0);                 /* per identity */
    CHECK(memcmp(ka, identity_secret(a), STORE_KEY_LEN) != 0); /* not the secret itself */
    /* the documented derivation: crypto_kdf, id 1, context "kchatsto" */
    uint8_t want[32];
    crypto_kdf_derive_from_key(want, sizeof want, 1, "kchatsto", identity_secret(a));
    CHECK(!memcmp(ka, want, sizeof want));
    store_key_free(ka);
    store_key_free(ka2);
    store_key_free(kb);
    identity_free(a);
    identity_free(b);
}

static void test_seal(void)
{
    uint8_t key[STORE_KEY_LEN], other[STORE_KEY_LEN];
    randombytes_buf(key, sizeof key);
    randombytes_buf(other, sizeof other);
    const char msg[] = "meet me at the usual place";
    uint8_t sealed[sizeof msg + STORE_SEAL_OVERHEAD], sealed2[sizeof sealed], out[sizeof msg];
    store_seal(key, (const uint8_t *)"ad", 2, (const uint8_t *)msg, sizeof msg, sealed);
    store_seal(key, (const uint8_t *)"ad", 2, (const uint8_t *)msg, sizeof msg, sealed2);
    CHECK(memcmp(sealed, sealed2, sizeof sealed) != 0); /* random nonces */
    CHECK(store_open(key, (const uint8_t *)"ad", 2, sealed, sizeof sealed, out) == 0);
    CHECK(!memcmp(out, msg, sizeof msg));
    CHECK(store_open(other, (const uint8_t *)"ad", 2, sealed, sizeof sealed, out) != 0);
    CHECK(store_open(key, (const uint8_t *)"AD", 2, sealed, sizeof sealed, out) != 0);
    sealed[30] ^= 1;
    CHECK(store_open(key, (const uint8_t *)"ad", 2, sealed, sizeof sealed, out) != 0);
    CHECK(store_open(key, NULL, 0, sealed, STORE_SEAL_OVERHEAD - 1, out) != 0);
}

/* Nonces come from a pool of random bytes: every one differs (a pool refill included), and a
 * forked child does not hand out the nonces its parent will. */
static void test_nonces(void)
{
    uint8_t key[STORE_KEY_LEN];
    randombytes_buf(key, sizeof key);
    enum { N = 600 }; /* several refills of the pool */
    static uint8_t nonce[N][STORE_NONCE_LEN];
    uint8_t sealed[1 + STORE_SEAL_OVERHEAD];
    for (int i = 0; i < N; i++) {
        store_seal(key, NULL, 0, (const uint8_t *)"x", 1, sealed);
        memcpy(nonce[i], sealed, STORE_NONCE_LEN);
    }
    int same = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            same += !memcmp(nonce[i], nonce[j], STORE_NONCE_LEN);
    CHECK(same == 0);
    for (int round = 0; round < 2; round++) { /* one of two forks finds the pool not empty */
        store_seal(key, NULL, 0, (const uint8_t *)"x", 1, sealed);
        int fds[2];
        CHECK(pipe(fds) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            store_seal(key, NULL, 0, (const uint8_t *)"x", 1, sealed);
            _exit(write(fds[1], sealed, STORE_NONCE_LEN) == STORE_NONCE_LEN ? 0 : 1);
        }
        store_seal(key, NULL, 0, (const uint8_t *)"x", 1, sealed);
        uint8_t child[STORE_NONCE_LEN];
        CHECK(pid > 0 && read(fds[0], child, sizeof child) == (ssize_t)sizeof child);
        CHECK(memcmp(child, sealed, STORE_NONCE_LEN) != 0);
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(fds[0]);
        close(fds[1]);
    }
}

typedef struct seen {
    int n;
    char last[64];
} seen;

static int count_cb(void *ctx, const uint8_t *rec, size_t len)
{
    seen *s = ctx;
    s->n++;
    snprintf(s->last, sizeof s->last, "%.*s", (int)len, (const char *)rec);
    return 0;
}

static int refuse_cb(void *ctx, const uint8_t *rec, size_t len)
{
    (void)ctx;
    return len == 3 && !memcmp(rec, "bad", 3) ? -1 : 0;
}

static void test_log(const char *dir)
{
    uint8_t key[STORE_KEY_LEN], other[STORE_KEY_LEN];
    randombytes_buf(key, sizeof key);
    randombytes_buf(other, sizeof other);
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/sub/dir/log", dir);
    seen s = {0};
    CHECK(!sealed_log_open(path, "test", key, false, count_cb, &s, err, sizeof err));
    CHECK(errno == ENOENT);
    sealed_log *lg = sealed_log_open(path, "test", key, true, count_cb, &s, err, sizeof err);
    CHECK(lg != NULL);
    if (!lg)
        return;
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    snprintf(err, sizeof err, "%s/sub/dir", dir);
    CHECK(stat(err, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    const uint8_t recs[] = "onetwothree";
    size_t lens[] = {3, 3, 5};
    CHECK(sealed_log_append(lg, recs, lens, 3, err, sizeof err) == 0);
    CHECK(sealed_log_sync(lg, err, sizeof err) == 0);
    long full = tu_size(path);
    CHECK(sealed_log_bytes(lg) == (uint64_t)full);
    sealed_log_close(lg);

    s.n = 0;
    lg = sealed_log_open(path, "test", key, false, count_cb, &s, err, sizeof err);
    CHECK(lg && s.n == 3 && !strcmp(s.last, "three") && !sealed_log_truncated(lg));
    /* the tail from record 2 on, read from its offset; a wrong offset reads as damage */
    s.n = 0;
    uint64_t at2 = SEALED_LOG_HDR_LEN + sealed_log_record_size(3) + sealed_log_record_size(3);
    CHECK(lg && sealed_log_replay_tail(lg, 2, at2, count_cb, &s, err, sizeof err) == 0);
    CHECK(s.n == 1 && !strcmp(s.last, "three"));
    CHECK(lg && sealed_log_replay_tail(lg, 1, at2, count_cb, &s, err, sizeof err) != 0);
    CHECK(lg && sealed_log_replay_tail(lg, 2, at2 + 1, count_cb, &s, err, sizeof err) != 0);
    CHECK(lg && sealed_log_replay_tail(lg, 2, (uint64_t)full - 3, count_cb, &s, err, sizeof err) !=
                    0); /* inside the last record's end */
    CHECK(lg &&
          sealed_log_replay_tail(lg, 0, (uint64_t)full + 1, count_cb, &s, err, sizeof err) != 0);
    sealed_log_close(lg);
    /* another key, another purpose: refused before anything is cut */
    CHECK(!sealed_log_open(path, "test", other, false, count_cb, &s, err, sizeof err));
    CHECK(strstr(err, "another identity") != NULL);
    CHECK(!sealed_log_open(path, "other", key, false, count_cb, &s, err, sizeof err));
    CHECK(tu_size(path) == full);
    /* a record's content refused by the caller is an error */
    size_t blen;
    const uint8_t bad[] = "okbadok";
    size_t blens[] = {2, 3, 2};
    uint8_t *b = sealed_log_build("test", key, bad, blens, 3, &blen);
    CHECK(sealed_log_parse(b, blen, "test", key, refuse_cb, NULL, &(size_t){0}, &(uint64_t){0}, err,
                           sizeof err) != 0);
    CHECK(strstr(err, "record 1") != NULL);
    /* records swapped: refused (each is bound to its position) */
    size_t r0 = 8 + 2 + STORE_SEAL_OVERHEAD, r1 = 8 + 3 + STORE_SEAL_OVERHEAD;
    uint8_t *sw = malloc(blen);
    memcpy(sw, b, SEALED_LOG_HDR_LEN);
    memcpy(sw + SEALED_LOG_HDR_LEN, b + SEALED_LOG_HDR_LEN + r0, r1);
    memcpy(sw + SEALED_LOG_HDR_LEN + r1, b + SEALED_LOG_HDR_LEN, r0);
    memcpy(sw + SEALED_LOG_HDR_LEN + r0 + r1, b + SEALED_LOG_HDR_LEN + r0 + r1,
           blen - SEALED_LOG_HDR_LEN - r0 - r1);
    CHECK(sealed_log_parse(sw, blen, "test", key, NULL, NULL, &(size_t){0}, &(uint64_t){0}, err,
                           sizeof err) != 0);
    free(sw);
    free(b);
    /* bodies of equal length swapped under intact length fields: refused (bound by position) */
    const uint8_t same[] = "aaabbbccc";
    size_t slens[] = {3, 3, 3}, rl = 8 + 3 + STORE_SEAL_OVERHEAD;
    b = sealed_log_build("test", key, same, slens, 3, &blen);
    uint8_t body[3 + STORE_SEAL_OVERHEAD];
    memcpy(body, b + SEALED_LOG_HDR_LEN + 8, sizeof body);
    memcpy(b + SEALED_LOG_HDR_LEN + 8, b + SEALED_LOG_HDR_LEN + rl + 8, sizeof body);
    memcpy(b + SEALED_LOG_HDR_LEN + rl + 8, body, sizeof body);
    CHECK(sealed_log_parse(b, blen, "test", key, NULL, NULL, &(size_t){0}, &(uint64_t){0}, err,
                           sizeof err) != 0);
    free(b);
    /* a private file only */
    chmod(path, 0644);
    CHECK(!sealed_log_open(path, "test", key, false, count_cb, &s, err, sizeof err));
    CHECK(strstr(err, "readable by others") != NULL);
    chmod(path, 0600);
}

/* Every cut inside the last record, and zeros where it was: the earlier records load, the file
 * is cut back; the damage one record earlier is an error. */
static void test_torn(const char *dir)
{
    uint8_t key[STORE_KEY_LEN];
    randombytes_buf(key, sizeof key);
    const uint8_t recs[] = "firstsecondthird";
    size_t lens[] = {5, 6, 5}, len;
    uint8_t *file = sealed_log_build("test", key, recs, lens, 3, &len);
    size_t last = len - (8 + 5 + STORE_SEAL_OVERHEAD);
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/torn", dir);
    int bad = 0;
    for (size_t cut = last; cut < len; cut++) {
        tu_write(path, file, cut);
        seen s = {0};
        sealed_log *lg = sealed_log_open(path, "test", key, false, count_cb, &s, err, sizeof err);
        if (!lg || s.n != 2 || strcmp(s.last, "second") != 0 ||
            (cut > last && !sealed_log_truncated(lg)) || tu_size(path) != (long)last)
            bad++;
        sealed_log_close(lg);
    }
    CHECK(bad == 0);
    /* the last record zeroed (the filesystem grew the file, the data never came) */
    uint8_t *z = malloc(len);
    memcpy(z, file, len);
    memset(z + last, 0, len - last);
    size_t good = 0;
    uint64_t nrec = 0;
    seen s = {0};
    CHECK(sealed_log_parse(z, len, "test", key, count_cb, &s, &good, &nrec, err, sizeof err) == 0);
    CHECK(good == last && nrec == 2 && s.n == 2);
    /* the last record complete but altered: cut as torn */
    memcpy(z, file, len);
    z[len - 1] ^= 0x80;
    CHECK(sealed_log_parse(z, len, "test", key, NULL, NULL, &good, &nrec, err, sizeof err) == 0);
    CHECK(good == last);
    /* the middle record altered: an error, naming it */
    memcpy(z, file, len);
    z[SEALED_LOG_HDR_LEN + 8 + 5 + STORE_SEAL_OVERHEAD + 10] ^= 1;
    CHECK(sealed_log_parse(z, len, "test", key, NULL, NULL, &good, &nrec, err, sizeof err) != 0);
    CHECK(strstr(err, "record 1") && strstr(err, "authentication"));
    /* an impossible length in the middle: an error, never a read past the end */
    memcpy(z, file, len);
    z[SEALED_LOG_HDR_LEN] = 0xff;
    CHECK(sealed_log_parse(z, len, "test", key, NULL, NULL, &good, &nrec, err, sizeof err) != 0);
    CHECK(strstr(err, "damaged length") != NULL);
    /* a header cut or altered: an error */
    CHECK(sealed_log_parse(file, SEALED_LOG_HDR_LEN - 1, "test", key, NULL, NULL, &good, &nrec, err,
                           sizeof err) != 0);
    memcpy(z, file, len);
    z[12] ^= 1; /* the file id */
    CHECK(sealed_log_parse(z, len, "test", key, NULL, NULL, &good, &nrec, err, sizeof err) != 0);
    free(z);
    free(file);
}

static void test_safe_write(const char *dir)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/whole", dir);
    CHECK(safe_write_file(path, "abc", 3, err, sizeof err) == 0);
    CHECK(safe_write_file(path, "defg", 4, err, sizeof err) == 0);
    size_t n;
    unsigned char *b = tu_read(path, &n);
    CHECK(b && n == 4 && !memcmp(b, "defg", 4));
    free(b);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    snprintf(path, sizeof path, "%s/missing-dir/x", dir);
    CHECK(safe_write_file(path, "abc", 3, err, sizeof err) != 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    char *dir = tu_tmpdir();
    CHECK(dir != NULL);
    if (!dir)
        return check_summary();
    test_derive();
    test_seal();
    test_nonces();
    test_log(dir);
    test_torn(dir);
    test_safe_write(dir);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_summary();
}
