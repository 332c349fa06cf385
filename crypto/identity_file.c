/* identity_file: the identity file format and its file I/O.
 *
 * Plain file (three lines, the last newline optional):
 *     kchat-identity-v1 plain
 *     <secret key, base64url, 43 characters>
 *     <public key, base64url, 43 characters; checked against the secret key>
 * Sealed file (two lines):
 *     kchat-identity-v1 sealed argon2id ops=<opslimit> mem=<memlimit bytes>
 *     <base64url of salt (16) | nonce (24) | XChaCha20-Poly1305 ciphertext of the secret (48)>
 * The key is Argon2id(passphrase, salt, ops, mem); the header line (without its newline) is the
 * associated data. New files use libsodium's MODERATE limits (3 passes, 256 MiB, about a second);
 * the header records the limits, so files sealed with other limits (kchat before 2026-12 used
 * INTERACTIVE: 2 passes, 64 MiB) still load. Every buffer that holds secret bytes or their text is
 * sodium_malloc'ed. */
#include "crypto/identity.h"

#include "crypto/encoding.h"
#include "sys/errf.h"
#include "sys/path.h"
#include "sys/safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "kchat-identity-v"
#define MAGIC_V1 "kchat-identity-v1 "
#define HDR_PLAIN "kchat-identity-v1 plain"
#define HDR_SEALED "kchat-identity-v1 sealed "
#define HDR_SEALED_OPS "kchat-identity-v1 sealed argon2id ops="
#define HDR_SEALED_MEM " mem="

#define MAX_FILE 4096
#define KEY_LEN 32
#define SALT_LEN crypto_pwhash_SALTBYTES
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define CT_LEN (KEY_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define BLOB_LEN (SALT_LEN + NONCE_LEN + CT_LEN)
#define KEY_TEXT_LEN BASE64URL_LEN(KEY_LEN)
#define BLOB_TEXT_LEN BASE64URL_LEN(BLOB_LEN)
#define OPS_MAX 16ull
#define MEM_MAX ((size_t)1 << 30)

_Static_assert(SALT_LEN == 16 && NONCE_LEN == 24 && CT_LEN == 48, "identity file layout");

typedef enum {
    HDR_IS_PLAIN,
    HDR_IS_SEALED,
    HDR_FOREIGN,
    HDR_VERSION,
    HDR_BAD,
    HDR_LIMITS
} hdr_kind;

typedef struct header {
    hdr_kind kind;
    unsigned long long ops;
    size_t mem;
} header;

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

/* libsodium must be initialised before sodium_malloc; sodium_init is idempotent. */
static bool sodium_ready(char *err, size_t errlen)
{
    if (sodium_init() >= 0)
        return true;
    errf(err, errlen, "cannot initialise libsodium");
    return false;
}

/* ---- Header line ---- */

/* Strict decimal: digits only, no leading zero, no overflow. Advances *p. */
static bool parse_decimal(const char **p, const char *end, unsigned long long *out)
{
    const char *s = *p;
    unsigned long long v = 0;
    if (s == end || *s < '0' || *s > '9' ||
        (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

static hdr_kind parse_sealed_header(const char *s, size_t len, header *h)
{
    const char *p = s + strlen(HDR_SEALED_OPS), *end = s + len;
    unsigned long long mem;
    if (!starts_with(s, len, HDR_SEALED_OPS) || !parse_decimal(&p, end, &h->ops))
        return HDR_BAD;
    if (!starts_with(p, (size_t)(end - p), HDR_SEALED_MEM))
        return HDR_BAD;
    p += strlen(HDR_SEALED_MEM);
    if (!parse_decimal(&p, end, &mem) || p != end)
        return HDR_BAD;
    if (h->ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || h->ops > OPS_MAX ||
        mem < crypto_pwhash_argon2id_MEMLIMIT_MIN || mem > MEM_MAX)
        return HDR_LIMITS;
    h->mem = (size_t)mem;
    return HDR_IS_SEALED;
}

static header classify_header(const char *s, size_t len)
{
    header h = {HDR_FOREIGN, 0, 0};
    if (!starts_with(s, len, MAGIC))
        return h;
    if (!starts_with(s, len, MAGIC_V1))
        h.kind = HDR_VERSION;
    else if (len == strlen(HDR_PLAIN) && memcmp(s, HDR_PLAIN, len) == 0)
        h.kind = HDR_IS_PLAIN;
    else if (starts_with(s, len, HDR_SEALED))
        h.kind = parse_sealed_header(s, len, &h);
    else
        h.kind = HDR_BAD;
    return h;
}

static int header_error(hdr_kind kind, const char *name, char *err, size_t errlen)
{
    switch (kind) {
    case HDR_FOREIGN:
        errf(err, errlen, "%s is not a kchat identity file", name);
        break;
    case HDR_VERSION:
        errf(err, errlen,
             "identity file %s has an unsupported format version (this kchat reads "
             "kchat-identity-v1)",
             name);
        break;
    case HDR_LIMITS:
        errf(err, errlen, "identity file %s asks for unsupported key derivation limits", name);
        break;
    default:
        errf(err, errlen, "identity file %s is corrupted (bad header line)", name);
        break;
    }
    return -1;
}

/* ---- Body lines ---- */

typedef struct cursor {
    const char *p;
    size_t left;
    const char *name;
    char *err;
    size_t errlen;
} cursor;

static int truncated(const cursor *c)
{
    errf(c->err, c->errlen, "identity file %s is truncated", c->name);
    return -1;
}

static int corrupted(const cursor *c, const char *what)
{
    errf(c->err, c->errlen, "identity file %s is corrupted (%s)", c->name, what);
    return -1;
}

/* Takes the next line, which must be exactly want characters long. */
static int take_line(cursor *c, size_t want, const char **line)
{
    if (c->left == 0)
        return truncated(c);
    const char *nl = memchr(c->p, '\n', c->left);
    size_t n = nl != NULL ? (size_t)(nl - c->p) : c->left;
    if (n != want)
        return nl == NULL && n < want ? truncated(c) : corrupted(c, "a line has the wrong length");
    *line = c->p;
    c->p += n + (nl != NULL);
    c->left -= n + (nl != NULL);
    return 0;
}

static int expect_end(const cursor *c)
{
    return c->left == 0 ? 0 : corrupted(c, "unexpected data after the key");
}

/* ---- Plain and sealed bodies ---- */

static identity *parse_plain(cursor *c)
{
    const char *sec_text, *pub_text;
    uint8_t pub[KEY_LEN];
    if (take_line(c, KEY_TEXT_LEN, &sec_text) != 0 || take_line(c, KEY_TEXT_LEN, &pub_text) != 0 ||
        expect_end(c) != 0)
        return NULL;
    uint8_t *secret = sodium_malloc(KEY_LEN);
    if (secret == NULL) {
        errf(c->err, c->errlen, "out of memory");
        return NULL;
    }
    identity *id = NULL;
    if (base64url_decode(secret, KEY_LEN, NULL, sec_text, KEY_TEXT_LEN) != 0)
        corrupted(c, "bad secret key encoding");
    else if (base64url_decode(pub, KEY_LEN, NULL, pub_text, KEY_TEXT_LEN) != 0)
        corrupted(c, "bad public key encoding");
    else if ((id = identity_from_secret(secret)) == NULL)
        errf(c->err, c->errlen, "out of memory");
    else if (memcmp(identity_public(id), pub, KEY_LEN) != 0) {
        corrupted(c, "public key does not match secret key");
        identity_free(id);
        id = NULL;
    }
    sodium_free(secret);
    return id;
}

/* Argon2id key from passphrase; NULL with a message on failure. */
static uint8_t *derive_key(const char *passphrase, const uint8_t *salt, unsigned long long ops,
                           size_t mem, char *err, size_t errlen)
{
    uint8_t *key = sodium_malloc(KEY_LEN);
    if (key != NULL && crypto_pwhash(key, KEY_LEN, passphrase, strlen(passphrase), salt, ops, mem,
                                     crypto_pwhash_ALG_ARGON2ID13) == 0)
        return key;
    sodium_free(key);
    errf(err, errlen, "out of memory deriving the identity file key");
    return NULL;
}

static identity *unseal(cursor *c, const uint8_t *blob, const char *hdr, size_t hdr_len,
                        const header *h, const char *passphrase)
{
    uint8_t *key = derive_key(passphrase, blob, h->ops, h->mem, c->err, c->errlen);
    uint8_t *secret = sodium_malloc(KEY_LEN);
    identity *id = NULL;
    if (key == NULL || secret == NULL) {
        errf(c->err, c->errlen, "out of memory");
    } else if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                   secret, NULL, NULL, blob + SALT_LEN + NONCE_LEN, CT_LEN, (const uint8_t *)hdr,
                   hdr_len, blob + SALT_LEN, key) != 0) {
        errf(c->err, c->errlen, "wrong passphrase or corrupted identity file %s", c->name);
    } else if ((id = identity_from_secret(secret)) == NULL) {
        errf(c->err, c->errlen, "out of memory");
    }
    sodium_free(key);
    sodium_free(secret);
    return id;
}

static identity *parse_sealed(cursor *c, const char *hdr, size_t hdr_len, const header *h,
                              const char *passphrase)
{
    const char *blob_text;
    uint8_t blob[BLOB_LEN];
    if (take_line(c, BLOB_TEXT_LEN, &blob_text) != 0 || expect_end(c) != 0)
        return NULL;
    if (base64url_decode(blob, sizeof blob, NULL, blob_text, BLOB_TEXT_LEN) != 0) {
        corrupted(c, "bad encoding");
        return NULL;
    }
    if (passphrase == NULL || passphrase[0] == '\0') {
        errf(c->err, c->errlen,
             "identity file %s is sealed with a passphrase; a passphrase is needed", c->name);
        return NULL;
    }
    return unseal(c, blob, hdr, hdr_len, h, passphrase);
}

static identity *parse_named(const char *name, const char *text, size_t len, const char *passphrase,
                             char *err, size_t errlen)
{
    cursor c = {text, len, name, err, errlen};
    if (!sodium_ready(err, errlen))
        return NULL;
    if (text == NULL || len == 0) {
        errf(err, errlen, "identity file %s is empty", name);
        return NULL;
    }
    const char *nl = memchr(text, '\n', len);
    if (nl == NULL) {
        bool v1_prefix = len < strlen(MAGIC_V1) && memcmp(MAGIC_V1, text, len) == 0;
        if (v1_prefix || starts_with(text, len, MAGIC_V1))
            truncated(&c);
        else
            header_error(classify_header(text, len).kind, name, err, errlen);
        return NULL;
    }
    size_t hdr_len = (size_t)(nl - text);
    header h = classify_header(text, hdr_len);
    c.p = nl + 1;
    c.left = len - hdr_len - 1;
    if (h.kind == HDR_IS_PLAIN)
        return parse_plain(&c);
    if (h.kind == HDR_IS_SEALED)
        return parse_sealed(&c, text, hdr_len, &h, passphrase);
    header_error(h.kind, name, err, errlen);
    return NULL;
}

identity *identity_parse(const char *text, size_t len, const char *passphrase, char *err,
                         size_t errlen)
{
    return parse_named("<input>", text, len, passphrase, err, errlen);
}

/* ---- Serialising ---- */

typedef struct text_buf {
    char *s; /* sodium_malloc'ed */
    size_t len;
} text_buf;

#define TEXT_CAP 512

static int format_plain(const identity *id, text_buf *t, char *err, size_t errlen)
{
    int n = snprintf(t->s, TEXT_CAP, "%s\n", HDR_PLAIN);
    size_t sec_at = (size_t)n, pub_at = sec_at + KEY_TEXT_LEN + 1;
    if (base64url_encode(t->s + sec_at, TEXT_CAP - sec_at, identity_secret(id), KEY_LEN) != 0 ||
        base64url_encode(t->s + pub_at, TEXT_CAP - pub_at, identity_public(id), KEY_LEN) != 0) {
        errf(err, errlen, "cannot format the identity file");
        return -1;
    }
    t->s[pub_at - 1] = '\n';
    t->len = pub_at + KEY_TEXT_LEN;
    t->s[t->len++] = '\n';
    return 0;
}

static int format_sealed(const identity *id, const char *passphrase, text_buf *t, char *err,
                         size_t errlen)
{
    uint8_t blob[BLOB_LEN];
    unsigned long long ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
    size_t mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
    int n = snprintf(t->s, TEXT_CAP, "%s%llu%s%zu", HDR_SEALED_OPS, ops, HDR_SEALED_MEM, mem);
    randombytes_buf(blob, SALT_LEN + NONCE_LEN);
    uint8_t *key = derive_key(passphrase, blob, ops, mem, err, errlen);
    if (key == NULL)
        return -1;
    crypto_aead_xchacha20poly1305_ietf_encrypt(blob + SALT_LEN + NONCE_LEN, NULL,
                                               identity_secret(id), KEY_LEN, (const uint8_t *)t->s,
                                               (size_t)n, NULL, blob + SALT_LEN, key);
    sodium_free(key);
    t->len = (size_t)n;
    t->s[t->len++] = '\n';
    if (base64url_encode(t->s + t->len, TEXT_CAP - t->len, blob, BLOB_LEN) != 0) {
        errf(err, errlen, "cannot format the identity file");
        return -1;
    }
    t->len += BLOB_TEXT_LEN;
    t->s[t->len++] = '\n';
    return 0;
}

/* The file text in sodium_malloc'ed memory; NULL with a message on failure. */
static char *format_identity(const identity *id, const char *passphrase, size_t *len, char *err,
                             size_t errlen)
{
    if (!sodium_ready(err, errlen))
        return NULL;
    text_buf t = {sodium_malloc(TEXT_CAP), 0};
    if (t.s == NULL) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    int rc = passphrase != NULL && passphrase[0] != '\0'
                 ? format_sealed(id, passphrase, &t, err, errlen)
                 : format_plain(id, &t, err, errlen);
    if (rc != 0) {
        sodium_free(t.s);
        return NULL;
    }
    *len = t.len;
    return t.s;
}

/* ---- Files ---- */

static int resolve_path(const char *path, char *buf, size_t cap, const char **out, char *err,
                        size_t errlen)
{
    if (path != NULL) {
        *out = path;
        return 0;
    }
    if (identity_default_path(buf, cap) != 0) {
        errf(err, errlen, "cannot find the identity file location (set XDG_CONFIG_HOME or HOME)");
        return -1;
    }
    *out = buf;
    return 0;
}

int identity_default_path(char *out, size_t cap)
{
    return sys_xdg_path(out, cap, "XDG_CONFIG_HOME", ".config", "kchat/identity");
}

static int check_mode(const char *path, mode_t mode, char *err, size_t errlen)
{
    if ((mode & 077) == 0)
        return 0;
    const char *what = (mode & 044) != 0 ? "readable" : (mode & 022) != 0 ? "writable" : "usable";
    errf(err, errlen, "identity file %s is %s by others (mode %04o); run chmod 600 %s", path, what,
         (unsigned)(mode & 07777), path);
    return -1;
}

/* Opens path for reading if it is a regular file; -1 with a message otherwise. */
static int open_regular(const char *path, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        errf(err, errlen, "cannot open identity file %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0) {
        errf(err, errlen, "cannot read identity file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        if (S_ISDIR(st->st_mode))
            errf(err, errlen, "%s is a directory, not a kchat identity file", path);
        else
            errf(err, errlen, "%s is not a regular file, not a kchat identity file", path);
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads up to cap bytes; returns the count, or -1 on a read error. */
static ssize_t read_upto(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Refuses a file others may read or write; a foreign file is called foreign instead, so that
 * nobody is told to chmod some unrelated file. */
static int check_access(const char *path, mode_t mode, const char *text, size_t len, char *err,
                        size_t errlen)
{
    if ((mode & 077) == 0)
        return 0;
    if (len > 0 && !starts_with(text, len, MAGIC) &&
        !(len < strlen(MAGIC) && memcmp(text, MAGIC, len) == 0)) {
        errf(err, errlen, "%s is not a kchat identity file", path);
        return -1;
    }
    return check_mode(path, mode, err, errlen);
}

/* The whole file in sodium_malloc'ed memory, after the type and permission checks. */
static char *read_identity_file(const char *path, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    if (!sodium_ready(err, errlen))
        return NULL;
    int fd = open_regular(path, &st, err, errlen);
    if (fd < 0)
        return NULL;
    char *buf = sodium_malloc(MAX_FILE + 1);
    ssize_t n = buf != NULL ? read_upto(fd, buf, MAX_FILE + 1) : -1;
    close(fd);
    if (buf == NULL)
        errf(err, errlen, "out of memory");
    else if (n < 0)
        errf(err, errlen, "cannot read identity file %s: %s", path, strerror(errno));
    else if (check_access(path, st.st_mode, buf, (size_t)n, err, errlen) != 0)
        n = -1;
    else if (n > MAX_FILE)
        errf(err, errlen, "%s is not a kchat identity file (too large)", path);
    if (n < 0 || n > MAX_FILE) {
        sodium_free(buf);
        return NULL;
    }
    *len = (size_t)n;
    return buf;
}

identity *identity_load(const char *path, const char *passphrase, char *err, size_t errlen)
{
    char def[PATH_MAX];
    size_t len = 0;
    if (resolve_path(path, def, sizeof def, &path, err, errlen) != 0)
        return NULL;
    char *text = read_identity_file(path, &len, err, errlen);
    if (text == NULL)
        return NULL;
    identity *id = parse_named(path, text, len, passphrase, err, errlen);
    sodium_free(text);
    return id;
}

int identity_file_is_sealed(const char *path)
{
    struct stat st;
    char buf[128];
    char def[PATH_MAX];
    if (resolve_path(path, def, sizeof def, &path, NULL, 0) != 0)
        return -1;
    int fd = open_regular(path, &st, NULL, 0);
    if (fd < 0)
        return -1;
    ssize_t n = read_upto(fd, buf, sizeof buf);
    close(fd);
    const char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
    header h = {HDR_FOREIGN, 0, 0};
    if (nl != NULL)
        h = classify_header(buf, (size_t)(nl - buf));
    sodium_memzero(buf, sizeof buf); /* may hold part of a plain file's secret line */
    if (h.kind == HDR_IS_SEALED || h.kind == HDR_LIMITS)
        return 1;
    return h.kind == HDR_IS_PLAIN ? 0 : -1;
}

/* Puts data at path through sys/safe_file. no_clobber: returns 1, writing nothing, if path
 * exists. Returns 0 when written, -1 with a message on failure. */
static int write_file_atomic(const char *path, const char *data, size_t len, bool no_clobber,
                             char *err, size_t errlen)
{
    if (sys_mkdir_parent(path, err, errlen) != 0)
        return -1;
    if (no_clobber)
        return safe_create_file(path, data, len, err, errlen);
    return safe_write_file(path, data, len, err, errlen);
}

static int save(const identity *id, const char *path, const char *passphrase, bool no_clobber,
                char *err, size_t errlen)
{
    size_t len = 0;
    char *text = format_identity(id, passphrase, &len, err, errlen);
    if (text == NULL)
        return -1;
    int rc = write_file_atomic(path, text, len, no_clobber, err, errlen);
    sodium_free(text);
    return rc;
}

int identity_save(const identity *id, const char *path, const char *passphrase, char *err,
                  size_t errlen)
{
    char def[PATH_MAX];
    if (id == NULL) {
        errf(err, errlen, "no identity to save");
        return -1;
    }
    if (resolve_path(path, def, sizeof def, &path, err, errlen) != 0)
        return -1;
    return save(id, path, passphrase, false, err, errlen) == 0 ? 0 : -1;
}

identity *identity_load_or_create(const char *path, const char *passphrase, char *err,
                                  size_t errlen)
{
    char def[PATH_MAX];
    struct stat st;
    if (resolve_path(path, def, sizeof def, &path, err, errlen) != 0)
        return NULL;
    if (stat(path, &st) == 0 || errno != ENOENT)
        return identity_load(path, passphrase, err, errlen);
    identity *id = identity_generate();
    if (id == NULL) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    int rc = save(id, path, passphrase, true, err, errlen);
    if (rc == 0)
        return id;
    identity_free(id);
    /* rc 1: another process created the file meanwhile; use theirs. */
    return rc == 1 ? identity_load(path, passphrase, err, errlen) : NULL;
}
