/* test_identity: key pairs, identifiers, and the identity file (create, load, seal, refuse). */
#include "crypto/identity.h"
#include "support/check.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];
static char err[512];

static const char *path_in(const char *name)
{
    static char bufs[16][512];
    static int next;
    char *p = bufs[next++ % 16];
    snprintf(p, sizeof bufs[0], "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len)
        perror(path);
    fchmod(fd, mode);
    close(fd);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f != NULL ? fread(buf, 1, cap - 1, f) : 0;
    if (f != NULL)
        fclose(f);
    buf[n] = '\0';
    return n;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static bool same_identity(const identity *a, const identity *b)
{
    return a != NULL && b != NULL && strcmp(identity_id(a), identity_id(b)) == 0 &&
           memcmp(identity_secret(a), identity_secret(b), 32) == 0 &&
           memcmp(identity_public(a), identity_public(b), 32) == 0;
}

/* Loads path expecting failure with a message containing want. */
static bool refused(const char *path, const char *pass, const char *want)
{
    err[0] = '\0';
    identity *id = identity_load(path, pass, err, sizeof err);
    bool ok = id == NULL && strstr(err, want) != NULL;
    if (!ok)
        fprintf(stderr, "  %s: got \"%s\", wanted \"%s\"\n", path, err, want);
    identity_free(id);
    return ok;
}

static void test_keys_and_ids(void)
{
    static const uint8_t sk[32] = {0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1,
                                   0x72, 0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0,
                                   0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a};
    static const uint8_t pk[32] = {0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d,
                                   0xdc, 0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38,
                                   0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a};
    identity *rfc = identity_from_secret(sk); /* RFC 7748 section 6.1, Alice */
    CHECK(rfc != NULL && memcmp(identity_public(rfc), pk, 32) == 0);
    CHECK(rfc != NULL &&
          strcmp(identity_id(rfc), "zzrmvrnobkdawxpvprmbmndb57osbelbbky57uhw7rqcrgr6") == 0);
    identity_free(rfc);

    uint8_t pub[32];
    char id[IDENTITY_ID_LEN + 1], shortid[IDENTITY_SHORT_LEN + 1];
    for (int i = 0; i < 32; i++)
        pub[i] = (uint8_t)i;
    identity_id_of(pub, id);
    CHECK(strcmp(id, "7grbhuxhps2xk2y7wam7rtgrmpu2wdng4i4e6se75cg4tzmv") == 0);
    CHECK(strlen(id) == IDENTITY_ID_LEN);
    CHECK(identity_id_valid(id) == 0);
    identity_id_short(id, shortid);
    CHECK(strcmp(shortid, "7grb-huxh-ps2x") == 0);

    identity *a = identity_generate(), *b = identity_generate();
    uint8_t derived[32];
    CHECK(a != NULL && b != NULL);
    CHECK(strcmp(identity_id(a), identity_id(b)) != 0);
    CHECK(crypto_scalarmult_base(derived, identity_secret(a)) == 0);
    CHECK(memcmp(derived, identity_public(a), 32) == 0);
    identity_id_of(identity_public(a), id);
    CHECK(strcmp(id, identity_id(a)) == 0);
    identity_free(a);
    identity_free(b);
    identity_free(NULL);
}

static void test_id_valid(void)
{
    const char *good = "7grbhuxhps2xk2y7wam7rtgrmpu2wdng4i4e6se75cg4tzmv";
    char bad[64];
    CHECK(identity_id_valid(good) == 0);
    CHECK(identity_id_valid(NULL) != 0);
    CHECK(identity_id_valid("") != 0);
    snprintf(bad, sizeof bad, "%.47s", good);
    CHECK(identity_id_valid(bad) != 0);
    snprintf(bad, sizeof bad, "%sa", good);
    CHECK(identity_id_valid(bad) != 0);
    snprintf(bad, sizeof bad, "%s", good);
    bad[5] = 'A';
    CHECK(identity_id_valid(bad) != 0);
    bad[5] = '1';
    CHECK(identity_id_valid(bad) != 0);
    bad[5] = '8';
    CHECK(identity_id_valid(bad) != 0);
    bad[5] = '-';
    CHECK(identity_id_valid(bad) != 0);
}

static void test_plain_round_trip(void)
{
    const char *dir = path_in("plain"), *path = path_in("plain/sub/identity");
    identity *a = identity_load_or_create(path, NULL, err, sizeof err);
    CHECK(a != NULL);
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(path_in("plain/sub")) == 0700);
    CHECK(identity_file_is_sealed(path) == 0);
    identity *b = identity_load(path, NULL, err, sizeof err);
    CHECK(same_identity(a, b));
    identity *c = identity_load_or_create(path, NULL, err, sizeof err);
    CHECK(same_identity(a, c));
    identity *d = identity_load(path, "ignored for plain files", err, sizeof err);
    CHECK(same_identity(a, d));

    char text[1024];
    size_t n = read_file(path, text, sizeof text);
    CHECK(strncmp(text, "kchat-identity-v1 plain\n", 24) == 0);
    identity *e = identity_parse(text, n, NULL, err, sizeof err);
    CHECK(same_identity(a, e));
    identity *f = identity_parse(text, n - 1, NULL, err, sizeof err); /* no final newline */
    CHECK(same_identity(a, f));
    identity_free(a);
    identity_free(b);
    identity_free(c);
    identity_free(d);
    identity_free(e);
    identity_free(f);
}

static void test_sealed_round_trip(void)
{
    const char *path = path_in("sealed/identity");
    identity *a = identity_load_or_create(path, "correct horse", err, sizeof err);
    CHECK(a != NULL);
    CHECK(mode_of(path) == 0600);
    CHECK(identity_file_is_sealed(path) == 1);
    char text[1024];
    read_file(path, text, sizeof text);
    const char *moderate = "kchat-identity-v1 sealed argon2id ops=3 mem=268435456\n";
    CHECK(strncmp(text, moderate, strlen(moderate)) == 0); /* libsodium's MODERATE limits */
    identity *b = identity_load(path, "correct horse", err, sizeof err);
    CHECK(same_identity(a, b));
    CHECK(refused(path, "correct horsf", "wrong passphrase or corrupted identity file"));
    CHECK(refused(path, NULL, "a passphrase is needed"));
    CHECK(refused(path, "", "a passphrase is needed"));
    err[0] = '\0';
    CHECK(identity_load_or_create(path, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "a passphrase is needed") != NULL);

    /* Re-saving without a passphrase makes it plain; same key. */
    CHECK(identity_save(a, path, NULL, err, sizeof err) == 0);
    CHECK(identity_file_is_sealed(path) == 0);
    CHECK(mode_of(path) == 0600);
    identity *c = identity_load(path, NULL, err, sizeof err);
    CHECK(same_identity(a, c));
    identity_free(a);
    identity_free(b);
    identity_free(c);
}

/* A file sealed by earlier kchat (INTERACTIVE limits: ops=2, 64 MiB; secret key bytes 1..32)
 * still loads: the limits come from the header. */
static void test_sealed_old_limits(void)
{
    const char *path = path_in("old-limits");
    const char *text =
        "kchat-identity-v1 sealed argon2id ops=2 mem=67108864\n"
        "oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr_AwcLDxMXGx43DT91XBz5VPSTJEZ1ayY0WjO"
        "B-MqtVI-w8jA1IMbzWpfTCaEB25sE3emW_3mkUZQ\n";
    uint8_t secret[32];
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)(i + 1);
    write_file(path, text, strlen(text), 0600);
    identity *want = identity_from_secret(secret);
    identity *got = identity_load(path, "old limits", err, sizeof err);
    CHECK(got != NULL && same_identity(want, got));
    identity_free(want);
    identity_free(got);
}

/* Every proper prefix of a valid file (except the one lacking only the final newline) is
 * refused as truncated. */
static void test_truncated(const char *valid, const char *pass)
{
    char text[1024];
    size_t n = read_file(valid, text, sizeof text), bad = 0;
    const char *path = path_in("truncated");
    for (size_t k = 1; k + 1 < n; k++) {
        write_file(path, text, k, 0600);
        if (!refused(path, pass, "is truncated"))
            bad++;
    }
    CHECK(n > 50);
    CHECK(bad == 0);
}

/* Copies src to dst with the character at `at` replaced by c (0: by another letter). */
static void replace_at(const char *src, const char *dst, size_t at, char c)
{
    char text[1024];
    size_t n = read_file(src, text, sizeof text);
    text[at] = c != 0 ? c : text[at] == 'A' ? 'B' : 'A';
    write_file(dst, text, n, 0600);
}

/* Writes header + the second line of src to dst. */
static void with_header(const char *src, const char *dst, const char *header)
{
    char text[1024], out[1200];
    read_file(src, text, sizeof text);
    int n = snprintf(out, sizeof out, "%s%s", header, strchr(text, '\n'));
    write_file(dst, out, (size_t)n, 0600);
}

static void test_corrupted(void)
{
    identity *a = identity_generate();
    const char *plain = path_in("c-plain"), *sealed = path_in("c-sealed"),
               *path = path_in("corrupt");
    CHECK(identity_save(a, plain, NULL, err, sizeof err) == 0);
    CHECK(identity_save(a, sealed, "pw", err, sizeof err) == 0);
    test_truncated(plain, NULL);
    test_truncated(sealed, "pw");

    replace_at(plain, path, 24 + 5, '!');
    CHECK(refused(path, NULL, "is corrupted"));
    replace_at(plain, path, 24 + 44 + 5, 0);
    CHECK(refused(path, NULL, "is corrupted"));
    replace_at(plain, path, 24 + 43, ' ');
    CHECK(refused(path, NULL, "is corrupted"));
    replace_at(plain, path, 0, 'K');
    CHECK(refused(path, NULL, "is not a kchat identity file"));
    replace_at(plain, path, 16, '2');
    CHECK(refused(path, NULL, "unsupported format version"));
    replace_at(plain, path, 18, 'q');
    CHECK(refused(path, NULL, "is corrupted (bad header line)"));

    char text[1024];
    size_t n = read_file(plain, text, sizeof text);
    memcpy(text + n, "extra\n", 7);
    write_file(path, text, n + 6, 0600);
    CHECK(refused(path, NULL, "is corrupted (unexpected data"));

    /* Sealed: a changed ciphertext character, or changed limits in the header. */
    n = read_file(sealed, text, sizeof text);
    char *blob = strchr(text, '\n') + 1;
    blob[60] = blob[60] == 'A' ? 'B' : 'A';
    write_file(path, text, n, 0600);
    CHECK(refused(path, "pw", "wrong passphrase or corrupted identity file"));
    with_header(sealed, path, "kchat-identity-v1 sealed argon2id ops=2 mem=268435456");
    CHECK(refused(path, "pw", "wrong passphrase or corrupted identity file"));
    with_header(sealed, path, "kchat-identity-v1 sealed argon2id ops=3 mem=268435456");
    identity *b = identity_load(path, "pw", err, sizeof err); /* with_header itself is right */
    CHECK(b != NULL && strcmp(identity_id(a), identity_id(b)) == 0);
    identity_free(b);
    with_header(sealed, path, "kchat-identity-v1 sealed argon2id ops=2 mem=9999999999");
    CHECK(refused(path, "pw", "unsupported key derivation limits"));
    CHECK(identity_file_is_sealed(path) == 1);
    with_header(sealed, path, "kchat-identity-v1 sealed argon2id ops=0 mem=67108864");
    CHECK(refused(path, "pw", "unsupported key derivation limits"));
    with_header(sealed, path, "kchat-identity-v1 sealed argon2id ops=02 mem=67108864");
    CHECK(refused(path, "pw", "is corrupted (bad header line)"));
    with_header(sealed, path, "kchat-identity-v1 sealed argon2id ops=2 mem=67108864 ");
    CHECK(refused(path, "pw", "is corrupted (bad header line)"));
    with_header(sealed, path, "kchat-identity-v1 sealed argon2id ops=2 mem=99999999999999999999");
    CHECK(refused(path, "pw", "is corrupted (bad header line)"));
    identity_free(a);
}

static void test_refused_files(void)
{
    identity *a = identity_generate();
    const char *path = path_in("perm");
    char want[600];
    CHECK(identity_save(a, path, NULL, err, sizeof err) == 0);
    chmod(path, 0644);
    snprintf(want, sizeof want,
             "identity file %s is readable by others (mode 0644); run chmod 600 %s", path, path);
    CHECK(refused(path, NULL, want));
    err[0] = '\0';
    CHECK(identity_load_or_create(path, NULL, err, sizeof err) == NULL);
    CHECK(strcmp(err, want) == 0);
    chmod(path, 0620);
    CHECK(refused(path, NULL, "is writable by others (mode 0620)"));
    chmod(path, 0640);
    CHECK(refused(path, NULL, "is readable by others (mode 0640)"));
    chmod(path, 0400);
    identity *b = identity_load(path, NULL, err, sizeof err);
    CHECK(same_identity(a, b));
    identity_free(b);

    path = path_in("empty");
    write_file(path, "", 0, 0600);
    CHECK(refused(path, NULL, "is empty"));
    CHECK(identity_file_is_sealed(path) == -1);
    err[0] = '\0';
    CHECK(identity_load_or_create(path, NULL, err, sizeof err) == NULL); /* not overwritten */
    CHECK(strstr(err, "is empty") != NULL);

    path = path_in("garbage");
    write_file(path,
               "\x7f"
               "ELF\x02\x01\x01\0\0\0\0\n\xff\xfe",
               15, 0600);
    CHECK(refused(path, NULL, "is not a kchat identity file"));
    CHECK(identity_file_is_sealed(path) == -1);
    write_file(path, "ssh-ed25519 AAAAC3Nza user@host\n", 32, 0600);
    CHECK(refused(path, NULL, "is not a kchat identity file"));
    write_file(path, "hello", 5, 0600);
    CHECK(refused(path, NULL, "is not a kchat identity file"));
    write_file(path, "root:x:0:0:root:/root:/bin/bash\n", 32, 0644); /* not "run chmod" */
    CHECK(refused(path, NULL, "is not a kchat identity file"));
    write_file(path, "kchat-iden", 10, 0644);
    CHECK(refused(path, NULL, "is readable by others (mode 0644)"));

    char big[8192];
    memset(big, 'A', sizeof big);
    memcpy(big, "kchat-identity-v1 plain\n", 24);
    write_file(path, big, sizeof big, 0600);
    CHECK(refused(path, NULL, "too large"));

    path = path_in("adir");
    mkdir(path, 0700);
    CHECK(refused(path, NULL, "is a directory, not a kchat identity file"));
    err[0] = '\0';
    CHECK(identity_load_or_create(path, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "is a directory") != NULL);
    CHECK(identity_file_is_sealed(path) == -1);

    path = path_in("fifo");
    CHECK(mkfifo(path, 0600) == 0);
    CHECK(refused(path, NULL, "is not a regular file"));

    CHECK(refused(path_in("missing"), NULL, "cannot open identity file"));
    CHECK(identity_file_is_sealed(path_in("missing")) == -1);

    /* A regular file where the directory should be. */
    write_file(path_in("notadir"), "x", 1, 0600);
    err[0] = '\0';
    CHECK(identity_load_or_create(path_in("notadir/identity"), NULL, err, sizeof err) == NULL);
    CHECK(err[0] != '\0');
    CHECK(identity_save(a, path_in("notadir/sub/identity"), NULL, err, sizeof err) == -1);
    identity_free(a);
}

static void test_parse_memory(void)
{
    CHECK(identity_parse("", 0, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "<input> is empty") != NULL);
    CHECK(identity_parse(NULL, 0, NULL, err, sizeof err) == NULL);
    CHECK(identity_parse("kchat-identity-v1 pl", 20, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "<input> is truncated") != NULL);
    const char *rfc = "kchat-identity-v1 plain\n"
                      "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo\n"
                      "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\n";
    identity *id = identity_parse(rfc, strlen(rfc), NULL, err, sizeof err);
    CHECK(id != NULL &&
          strcmp(identity_id(id), "zzrmvrnobkdawxpvprmbmndb57osbelbbky57uhw7rqcrgr6") == 0);
    identity_free(id);
    /* The right public key line with one wrong bit in the secret: mismatch. */
    char text[200];
    snprintf(text, sizeof text, "%s", rfc);
    text[24] = 'e';
    CHECK(identity_parse(text, strlen(text), NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "public key does not match secret key") != NULL);
    /* CRLF line endings are not accepted. */
    CHECK(identity_parse("kchat-identity-v1 plain\r\n", 25, NULL, err, sizeof err) == NULL);
}

static void test_default_path(void)
{
    char path[600], want[600];
    setenv("XDG_CONFIG_HOME", path_in("xdg"), 1);
    CHECK(identity_default_path(path, sizeof path) == 0);
    snprintf(want, sizeof want, "%s/kchat/identity", path_in("xdg"));
    CHECK(strcmp(path, want) == 0);
    CHECK(identity_default_path(path, 10) == -1);
    identity *a = identity_load_or_create(NULL, NULL, err, sizeof err);
    CHECK(a != NULL);
    CHECK(mode_of(want) == 0600);
    CHECK(mode_of(path_in("xdg")) == 0700);
    CHECK(mode_of(path_in("xdg/kchat")) == 0700);
    identity *b = identity_load(want, NULL, err, sizeof err);
    CHECK(same_identity(a, b));
    identity *c = identity_load(NULL, NULL, err, sizeof err);
    CHECK(same_identity(a, c));
    CHECK(identity_file_is_sealed(NULL) == 0);

    setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
    setenv("HOME", path_in("home"), 1);
    CHECK(identity_default_path(path, sizeof path) == 0);
    snprintf(want, sizeof want, "%s/.config/kchat/identity", path_in("home"));
    CHECK(strcmp(path, want) == 0);
    unsetenv("XDG_CONFIG_HOME");
    CHECK(identity_default_path(path, sizeof path) == 0 && strcmp(path, want) == 0);
    identity *d = identity_load_or_create(NULL, NULL, err, sizeof err);
    CHECK(d != NULL && mode_of(want) == 0600);
    CHECK(!same_identity(a, d));
    identity_free(a);
    identity_free(b);
    identity_free(c);
    identity_free(d);
}

static void remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    /* No sodium_init here: the library must initialise libsodium itself. */
    test_parse_memory();
    umask(022);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kchat-identity-test-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_keys_and_ids();
    test_id_valid();
    test_plain_round_trip();
    test_sealed_round_trip();
    test_sealed_old_limits();
    test_corrupted();
    test_refused_files();
    test_default_path();
    remove_tree();
    return check_summary();
}
