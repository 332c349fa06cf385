#include "src/sealed_log.h"
#include "crypto/store_key.h"
#include "sys/path.h"
#include "sys/safe_file.h"
#include "sys/be.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MAGIC "KCHATLG1"
#define LOG_MAGIC_LEN 8
#define LOG_ID_LEN 16
#define LOG_PURPOSE_MAX 32
#define LOG_AD_MAX (1 + LOG_PURPOSE_MAX + LOG_ID_LEN + 8)
#define LOG_SEALED_MAX (SEALED_LOG_REC_MAX + STORE_SEAL_OVERHEAD)

struct sealed_log {
    char *path;
    char purpose[LOG_PURPOSE_MAX + 1];
    const uint8_t *key;
    uint8_t id[LOG_ID_LEN];
    int fd, lock;
    uint64_t bytes, nrec;
    bool truncated;
};

/* The check of record idx's length: 4 bytes of BLAKE2b keyed with the store key over the file
 * id, the index and the length, so damage to a length is told from a record cut short. */
static void length_check(uint8_t out[4], const uint8_t *key, const uint8_t *id, uint64_t idx,
                         uint32_t len)
{
    uint8_t in[LOG_ID_LEN + 8 + 4];
    memcpy(in, id, LOG_ID_LEN);
    be64_put(in + LOG_ID_LEN, idx);
    be_put(in + LOG_ID_LEN + 8, len, 4);
    crypto_generichash(out, 4, in, sizeof in, key, STORE_KEY_LEN);
}

/* len(purpose) || purpose || file id [|| index]: the header's has no index. */
static size_t make_ad(uint8_t *ad, const char *purpose, const uint8_t *id, const uint64_t *idx)
{
    size_t n = strlen(purpose);
    if (n > LOG_PURPOSE_MAX)
        n = LOG_PURPOSE_MAX;
    ad[0] = (uint8_t)n;
    memcpy(ad + 1, purpose, n);
    memcpy(ad + 1 + n, id, LOG_ID_LEN);
    if (!idx)
        return 1 + n + LOG_ID_LEN;
    be64_put(ad + 1 + n + LOG_ID_LEN, *idx);
    return 1 + n + LOG_ID_LEN + 8;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static int check_header(const uint8_t *data, size_t len, const char *purpose, const uint8_t *key,
                        char *err, size_t errlen)
{
    if (len < SEALED_LOG_HDR_LEN || memcmp(data, LOG_MAGIC, LOG_MAGIC_LEN) != 0) {
        snprintf(err, errlen, "not a kchat sealed file");
        return -1;
    }
    uint8_t ad[LOG_AD_MAX], none[1];
    size_t adlen = make_ad(ad, purpose, data + LOG_MAGIC_LEN, NULL);
    if (store_open(key, ad, adlen, data + LOG_MAGIC_LEN + LOG_ID_LEN, STORE_SEAL_OVERHEAD, none) !=
        0) {
        snprintf(err, errlen, "sealed by another identity, or not a %s file", purpose);
        return -1;
    }
    return 0;
}

uint8_t *sealed_buf_get(sealed_buf *b, size_t n)
{
    if (n <= b->cap && b->p)
        return b->p;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < n)
        cap *= 2;
    uint8_t *p = sodium_malloc(cap);
    if (!p)
        return NULL;
    sealed_buf_free(b);
    b->p = p;
    b->cap = cap;
    return p;
}

void sealed_buf_free(sealed_buf *b)
{
    if (b->p)
        sodium_free(b->p);
    b->p = NULL;
    b->cap = 0;
}

/* Opens the record sealed at rec (sealed bytes) and hands it to fn. 0, -1 (not authentic) or
 * -2 (fn refused it). */
static int open_record(sealed_buf *b, const uint8_t *rec, size_t sealed, const uint8_t *ad,
                       size_t adlen, const uint8_t *key, sealed_log_fn fn, void *ctx)
{
    size_t plen = sealed - STORE_SEAL_OVERHEAD;
    uint8_t *plain = sealed_buf_get(b, plen ? plen : 1);
    if (!plain)
        return -2;
    int rc = store_open(key, ad, adlen, rec, sealed, plain);
    if (rc == 0 && fn && fn(ctx, plain, plen) != 0)
        rc = -2;
    sodium_memzero(plain, plen);
    return rc;
}

/* data: the header, then records from index idx0 on (0: the whole file); each record is opened
 * into b. */
static int parse_records(sealed_buf *b, const uint8_t *data, size_t len, uint64_t idx0,
                         const char *purpose, const uint8_t *key, sealed_log_fn fn, void *ctx,
                         size_t *good, uint64_t *nrec, char *err, size_t errlen)
{
    if (check_header(data, len, purpose, key, err, errlen) != 0)
        return -1;
    const uint8_t *id = data + LOG_MAGIC_LEN;
    size_t off = SEALED_LOG_HDR_LEN;
    uint64_t idx = idx0;
    while (off < len) {
        size_t rem = len - off;
        if (rem < SEALED_LOG_REC_HDR)
            break; /* torn header */
        size_t sealed = be32_get(data + off);
        uint8_t check[4];
        length_check(check, key, id, idx, (uint32_t)sealed);
        if (sodium_memcmp(check, data + off + 4, 4) != 0) {
            if (all_zero(data + off, rem))
                break; /* extended by the filesystem, never written */
            snprintf(err, errlen, "record %llu at byte %zu has a damaged length",
                     (unsigned long long)idx, off);
            return -1;
        }
        if (sealed < STORE_SEAL_OVERHEAD || sealed > LOG_SEALED_MAX) {
            snprintf(err, errlen, "record %llu at byte %zu has an impossible length",
                     (unsigned long long)idx, off);
            return -1;
        }
        if (SEALED_LOG_REC_HDR + sealed > rem)
            break; /* incomplete: a crash mid-append */
        uint8_t ad[LOG_AD_MAX];
        size_t adlen = make_ad(ad, purpose, id, &idx);
        int rc = open_record(b, data + off + SEALED_LOG_REC_HDR, sealed, ad, adlen, key, fn, ctx);
        if (rc == -1 && SEALED_LOG_REC_HDR + sealed == rem)
            break; /* the last record, unauthenticated: a crash mid-append */
        if (rc != 0) {
            snprintf(err, errlen, "record %llu at byte %zu %s", (unsigned long long)idx, off,
                     rc == -1 ? "fails authentication (the file was altered)"
                              : "holds invalid content (damaged)");
            return -1;
        }
        off += SEALED_LOG_REC_HDR + sealed;
        idx++;
    }
    *good = off;
    *nrec = idx;
    return 0;
}

static int parse_file(const uint8_t *data, size_t len, uint64_t idx0, const char *purpose,
                      const uint8_t *key, sealed_log_fn fn, void *ctx, size_t *good, uint64_t *nrec,
                      char *err, size_t errlen)
{
    sealed_buf b = {0};
    int rc = parse_records(&b, data, len, idx0, purpose, key, fn, ctx, good, nrec, err, errlen);
    sealed_buf_free(&b);
    return rc;
}

int sealed_log_parse(const uint8_t *data, size_t len, const char *purpose, const uint8_t *key,
                     sealed_log_fn fn, void *ctx, size_t *good, uint64_t *nrec, char *err,
                     size_t errlen)
{
    return parse_file(data, len, 0, purpose, key, fn, ctx, good, nrec, err, errlen);
}

/* Seals record idx (plaintext p, n bytes) at out: length and sealed bytes. */
static size_t seal_record(uint8_t *out, const char *purpose, const uint8_t *key, const uint8_t *id,
                          uint64_t idx, const uint8_t *p, size_t n)
{
    uint8_t ad[LOG_AD_MAX];
    size_t adlen = make_ad(ad, purpose, id, &idx);
    size_t sealed = n + STORE_SEAL_OVERHEAD;
    be_put(out + 0, sealed, 4);
    length_check(out + 4, key, id, idx, (uint32_t)sealed);
    store_seal(key, ad, adlen, p, n, out + SEALED_LOG_REC_HDR);
    return SEALED_LOG_REC_HDR + sealed;
}

/* Records first..first+n-1 sealed into one malloc'ed buffer of *outlen bytes (at out_off). */
static uint8_t *seal_records(size_t out_off, const char *purpose, const uint8_t *key,
                             const uint8_t *id, uint64_t first, const uint8_t *recs,
                             const size_t *lens, size_t n, size_t *outlen)
{
    size_t total = out_off;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] > SEALED_LOG_REC_MAX)
            return NULL;
        total += SEALED_LOG_REC_HDR + lens[i] + STORE_SEAL_OVERHEAD;
    }
    uint8_t *buf = malloc(total ? total : 1);
    if (!buf)
        return NULL;
    size_t off = out_off;
    for (size_t i = 0; i < n; i++) {
        off += seal_record(buf + off, purpose, key, id, first + i, recs, lens[i]);
        recs += lens[i];
    }
    *outlen = total;
    return buf;
}

uint8_t *sealed_log_build(const char *purpose, const uint8_t *key, const uint8_t *recs,
                          const size_t *lens, size_t n, size_t *outlen)
{
    uint8_t id[LOG_ID_LEN];
    randombytes_buf(id, sizeof id);
    uint8_t *buf = seal_records(SEALED_LOG_HDR_LEN, purpose, key, id, 0, recs, lens, n, outlen);
    if (!buf)
        return NULL;
    memcpy(buf, LOG_MAGIC, LOG_MAGIC_LEN);
    memcpy(buf + LOG_MAGIC_LEN, id, LOG_ID_LEN);
    uint8_t ad[LOG_AD_MAX];
    size_t adlen = make_ad(ad, purpose, id, NULL);
    store_seal(key, ad, adlen, NULL, 0, buf + LOG_MAGIC_LEN + LOG_ID_LEN);
    return buf;
}

static int write_all_at(int fd, const uint8_t *p, size_t n, off_t at)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        at += w;
    }
    return 0;
}

static int create_file(const char *path, const char *purpose, const uint8_t *key, char *err,
                       size_t errlen)
{
    if (sys_mkdir_parent(path, err, errlen) != 0)
        return -1;
    size_t len;
    uint8_t *buf = sealed_log_build(purpose, key, NULL, NULL, 0, &len);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = safe_write_file(path, buf, len, err, errlen);
    free(buf);
    return rc;
}

/* Opens path for reading and writing: a regular file of ours, private, not too long. */
static int open_private(const char *path, uint64_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int saved = errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        errno = saved;
        return -1;
    }
    struct stat sb;
    const char *why = NULL;
    if (fstat(fd, &sb) != 0)
        why = strerror(errno);
    else if (!S_ISREG(sb.st_mode))
        why = "not a regular file";
    else if (sb.st_mode & 077)
        why = "readable by others (chmod 600 it)";
    else if ((uint64_t)sb.st_size > SEALED_LOG_FILE_MAX)
        why = "too large";
    if (why) {
        snprintf(err, errlen, "cannot use %s: %s", path, why);
        close(fd);
        errno = EINVAL;
        return -1;
    }
    *size = (uint64_t)sb.st_size;
    return fd;
}

/* Reads n bytes at off into dst. 0 or -1 (errno set). */
static int read_range(int fd, uint64_t off, size_t n, uint8_t *dst)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, dst + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO; /* shorter than it said */
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

static uint8_t *read_at_most(int fd, uint64_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (buf && read_range(fd, 0, size, buf) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The file's size, if it is one we agree to read. 0 or -1 with err filled. */
static int file_size(const sealed_log *lg, uint64_t *size, char *err, size_t errlen)
{
    struct stat sb;
    if (fstat(lg->fd, &sb) != 0 || (uint64_t)sb.st_size > SEALED_LOG_FILE_MAX) {
        snprintf(err, errlen, "cannot read %s: too large or unreadable", lg->path);
        return -1;
    }
    *size = (uint64_t)sb.st_size;
    return 0;
}

/* Reads the whole file and replays it; on success *good is the intact prefix. */
static int load(sealed_log *lg, sealed_log_fn fn, void *ctx, size_t *good, char *err, size_t errlen)
{
    uint64_t size;
    if (file_size(lg, &size, err, errlen) != 0)
        return -1;
    uint8_t *data = read_at_most(lg->fd, size);
    if (!data) {
        snprintf(err, errlen, "cannot read %s: %s", lg->path, strerror(errno));
        return -1;
    }
    char why[256];
    int rc =
        parse_file(data, size, 0, lg->purpose, lg->key, fn, ctx, good, &lg->nrec, why, sizeof why);
    if (rc == 0)
        memcpy(lg->id, data + LOG_MAGIC_LEN, LOG_ID_LEN);
    else
        snprintf(err, errlen, "cannot load %s: %s", lg->path, why);
    free(data);
    lg->bytes = size;
    return rc;
}

int sealed_log_lock(const char *path, char *err, size_t errlen)
{
    char lock[4200];
    if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock) {
        snprintf(err, errlen, "cannot lock %s: path too long", path);
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int saved = errno;
        snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
        errno = saved;
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        if (errno == EWOULDBLOCK)
            snprintf(err, errlen, "%s is in use by another kchat process", path);
        else
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Removes the temporary files an interrupted write_whole_file_safely left for path (under the
 * lock, nobody else is writing them). */
static void remove_stale_temps(const char *path)
{
    char dir[4096], prefix[512];
    const char *slash = strrchr(path, '/');
    if (!slash || snprintf(prefix, sizeof prefix, ".%s.tmp-", slash + 1) >= (int)sizeof prefix ||
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir)
        return;
    DIR *d = opendir(slash == path ? "/" : dir);
    if (!d)
        return;
    struct dirent *e;
    size_t n = strlen(prefix);
    while ((e = readdir(d))) {
        char victim[4600];
        if (strncmp(e->d_name, prefix, n) != 0 || strlen(e->d_name) != n + 16)
            continue;
        if (snprintf(victim, sizeof victim, "%s/%s", dir, e->d_name) < (int)sizeof victim)
            unlink(victim);
    }
    closedir(d);
}

sealed_log *sealed_log_open(const char *path, const char *purpose, const uint8_t *key, bool create,
                            sealed_log_fn fn, void *ctx, char *err, size_t errlen)
{
    sealed_log *lg = calloc(1, sizeof *lg);
    if (!lg || !(lg->path = strdup(path))) {
        free(lg);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(lg->purpose, sizeof lg->purpose, "%s", purpose);
    lg->key = key;
    lg->fd = lg->lock = -1;
    uint64_t size;
    if (access(path, F_OK) != 0 && errno == ENOENT && !create) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(ENOENT));
        goto fail; /* errno ENOENT; no lock file left behind */
    }
    if (create && sys_mkdir_parent(path, err, errlen) != 0)
        goto fail;
    lg->lock = sealed_log_lock(path, err, errlen);
    if (lg->lock < 0)
        goto fail;
    remove_stale_temps(path);
    lg->fd = open_private(path, &size, err, errlen);
    if (lg->fd < 0 && errno == ENOENT && create &&
        create_file(path, lg->purpose, key, err, errlen) == 0)
        lg->fd = open_private(path, &size, err, errlen);
    size_t good = 0;
    if (lg->fd < 0 || load(lg, fn, ctx, &good, err, errlen) != 0)
        goto fail;
    if (good < lg->bytes) { /* cut the torn tail away, durably */
        if (ftruncate(lg->fd, (off_t)good) != 0 || fsync(lg->fd) != 0) {
            snprintf(err, errlen, "cannot truncate %s: %s", path, strerror(errno));
            goto fail;
        }
        lg->bytes = good;
        lg->truncated = true;
    }
    return lg;
fail : {
    int saved = errno;
    sealed_log_close(lg);
    errno = saved;
    return NULL;
}
}

int sealed_log_replay(sealed_log *lg, sealed_log_fn fn, void *ctx, char *err, size_t errlen)
{
    size_t good;
    return load(lg, fn, ctx, &good, err, errlen);
}

uint64_t sealed_log_record_size(size_t len)
{
    return SEALED_LOG_REC_HDR + (uint64_t)len + STORE_SEAL_OVERHEAD;
}

int sealed_log_replay_tail(sealed_log *lg, uint64_t first, uint64_t offset, sealed_log_fn fn,
                           void *ctx, char *err, size_t errlen)
{
    uint64_t size;
    if (file_size(lg, &size, err, errlen) != 0)
        return -1;
    if (offset < SEALED_LOG_HDR_LEN || offset > size) {
        snprintf(err, errlen, "cannot read %s from byte %llu: outside the file", lg->path,
                 (unsigned long long)offset);
        return -1;
    }
    size_t tail = (size_t)(size - offset);
    uint8_t *data = malloc(SEALED_LOG_HDR_LEN + tail);
    if (!data || read_range(lg->fd, 0, SEALED_LOG_HDR_LEN, data) != 0 ||
        read_range(lg->fd, offset, tail, data + SEALED_LOG_HDR_LEN) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", lg->path, data ? strerror(errno) : "no memory");
        free(data);
        return -1;
    }
    size_t good;
    uint64_t nrec;
    char why[256];
    int rc = parse_file(data, SEALED_LOG_HDR_LEN + tail, first, lg->purpose, lg->key, fn, ctx,
                        &good, &nrec, why, sizeof why);
    if (rc == 0 && good != SEALED_LOG_HDR_LEN + tail) { /* torn tails were cut at open */
        snprintf(why, sizeof why, "no whole record at byte %llu", (unsigned long long)offset);
        rc = -1;
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot load %s: %s", lg->path, why);
    free(data);
    return rc;
}

int sealed_log_append(sealed_log *lg, const uint8_t *recs, const size_t *lens, size_t n, char *err,
                      size_t errlen)
{
    if (n == 0)
        return 0;
    size_t len;
    uint8_t *buf = seal_records(0, lg->purpose, lg->key, lg->id, lg->nrec, recs, lens, n, &len);
    if (!buf) {
        snprintf(err, errlen, "cannot append to %s: out of memory or record too long", lg->path);
        return -1;
    }
    int rc = write_all_at(lg->fd, buf, len, (off_t)lg->bytes);
    free(buf);
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", lg->path, strerror(errno));
        if (ftruncate(lg->fd, (off_t)lg->bytes) != 0) /* no half record before the next one */
            lg->bytes = UINT64_MAX;                   /* poisoned: later appends fail */
        return -1;
    }
    lg->bytes += len;
    lg->nrec += n;
    return 0;
}

int sealed_log_sync(sealed_log *lg, char *err, size_t errlen)
{
    if (fdatasync(lg->fd) != 0) {
        snprintf(err, errlen, "cannot sync %s: %s", lg->path, strerror(errno));
        return -1;
    }
    return 0;
}

int sealed_log_rewrite(sealed_log *lg, const uint8_t *recs, const size_t *lens, size_t n, char *err,
                       size_t errlen)
{
    size_t len;
    uint8_t *buf = sealed_log_build(lg->purpose, lg->key, recs, lens, n, &len);
    if (!buf) {
        snprintf(err, errlen, "cannot rewrite %s: out of memory or record too long", lg->path);
        return -1;
    }
    uint8_t id[LOG_ID_LEN];
    memcpy(id, buf + LOG_MAGIC_LEN, LOG_ID_LEN);
    int rc = safe_write_file(lg->path, buf, len, err, errlen);
    free(buf);
    if (rc != 0)
        return -1;
    uint64_t size;
    int fd = open_private(lg->path, &size, err, errlen);
    if (fd < 0)
        return -1;
    close(lg->fd);
    lg->fd = fd;
    memcpy(lg->id, id, LOG_ID_LEN);
    lg->bytes = size;
    lg->nrec = n;
    return 0;
}

uint64_t sealed_log_bytes(const sealed_log *lg)
{
    return lg->bytes;
}

uint64_t sealed_log_records(const sealed_log *lg)
{
    return lg->nrec;
}

bool sealed_log_truncated(const sealed_log *lg)
{
    return lg->truncated;
}

void sealed_log_close(sealed_log *lg)
{
    if (!lg)
        return;
    if (lg->fd >= 0)
        close(lg->fd);
    if (lg->lock >= 0)
        close(lg->lock); /* releases the lock */
    free(lg->path);
    free(lg);
}
