/* test_encoding: RFC 4648 vectors, round trips and strict rejection for crypto/encoding. */
#include "crypto/encoding.h"
#include "support/check.h"

#include <sodium.h>
#include <string.h>

typedef int (*enc_fn)(char *, size_t, const uint8_t *, size_t);
typedef int (*dec_fn)(uint8_t *, size_t, size_t *, const char *, size_t);

static bool encodes_to(enc_fn enc, const char *in, const char *want)
{
    char out[64];
    return enc(out, sizeof out, (const uint8_t *)in, strlen(in)) == 0 && strcmp(out, want) == 0;
}

static bool decodes_to(dec_fn dec, const char *in, const char *want)
{
    uint8_t out[64];
    size_t n = 99;
    return dec(out, sizeof out, &n, in, strlen(in)) == 0 && n == strlen(want) &&
           memcmp(out, want, n) == 0;
}

static bool rejects(dec_fn dec, const char *in)
{
    uint8_t out[64];
    size_t n = 99;
    memset(out, 0xAA, sizeof out);
    int rc = dec(out, sizeof out, &n, in, strlen(in));
    bool zeroed = sodium_is_zero(out, sizeof out) == 1;
    return rc == -1 && n == 0 && zeroed;
}

static void test_vectors(void)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *b32[] = {"", "my", "mzxq", "mzxw6", "mzxw6yq", "mzxw6ytb", "mzxw6ytboi"};
    static const char *b64[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    static const char *hx[] = {"",         "66",         "666f",        "666f6f",
                               "666f6f62", "666f6f6261", "666f6f626172"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        CHECK(encodes_to(base32_encode, plain[i], b32[i]));
        CHECK(decodes_to(base32_decode, b32[i], plain[i]));
        CHECK(encodes_to(base64url_encode, plain[i], b64[i]));
        CHECK(decodes_to(base64url_decode, b64[i], plain[i]));
        CHECK(encodes_to(hex_encode, plain[i], hx[i]));
        CHECK(decodes_to(hex_decode, hx[i], plain[i]));
        CHECK(strlen(b32[i]) == BASE32_LEN(strlen(plain[i])));
        CHECK(strlen(b64[i]) == BASE64URL_LEN(strlen(plain[i])));
    }
    CHECK(encodes_to(base64url_encode, "\xfb\xff", "-_8"));
    CHECK(decodes_to(base64url_decode, "-_8", "\xfb\xff"));
}

static void test_strict(void)
{
    CHECK(rejects(base64url_decode, "Zg=="));    /* padding */
    CHECK(rejects(base64url_decode, "Zh"));      /* non-zero unused bits */
    CHECK(rejects(base64url_decode, "Z"));       /* impossible length */
    CHECK(rejects(base64url_decode, "Zm9v "));   /* whitespace */
    CHECK(rejects(base64url_decode, "+/8"));     /* standard alphabet */
    CHECK(rejects(base64url_decode, "Zm\x80v")); /* high byte */
    CHECK(rejects(base32_decode, "MZXW6"));      /* uppercase */
    CHECK(rejects(base32_decode, "mzxw6ytbo"));  /* impossible length (9) */
    CHECK(rejects(base32_decode, "mz"));         /* non-zero unused bits */
    CHECK(rejects(base32_decode, "my======"));   /* padding */
    CHECK(rejects(base32_decode, "m1"));         /* '1' is not in the alphabet */
    CHECK(rejects(hex_decode, "666F"));          /* uppercase */
    CHECK(rejects(hex_decode, "666"));           /* odd length */
    CHECK(rejects(hex_decode, "6g"));
}

static void test_buffers(void)
{
    char small[4];
    uint8_t out[2];
    size_t n = 7;
    CHECK(base64url_encode(small, sizeof small, (const uint8_t *)"foo", 3) == -1); /* needs 5 */
    CHECK(base64url_encode(small, sizeof small, (const uint8_t *)"fo", 2) == 0);
    CHECK(strcmp(small, "Zm8") == 0);
    CHECK(hex_encode(small, sizeof small, (const uint8_t *)"ab", 2) == -1);
    CHECK(hex_decode(out, sizeof out, &n, "616263", 6) == -1 && n == 0);
    CHECK(hex_decode(out, sizeof out, &n, "6162", 4) == 0 && n == 2);
}

/* Every 1- and 2-byte string has one accepted text form: encode every value, then check that
 * no other text of the same length decodes. */
static void test_unique(dec_fn dec, enc_fn enc, const char *alphabet)
{
    size_t a = strlen(alphabet), accepted = 0, bad = 0;
    for (size_t i = 0; i < a; i++) {
        for (size_t j = 0; j < a; j++) {
            char text[3] = {alphabet[i], alphabet[j], '\0'};
            char back[8];
            uint8_t out[4];
            size_t n;
            if (dec(out, sizeof out, &n, text, 2) != 0)
                continue;
            accepted++;
            if (enc(back, sizeof back, out, n) != 0 || strcmp(back, text) != 0)
                bad++;
        }
    }
    CHECK(bad == 0);
    CHECK(accepted == 256); /* exactly one text per byte value */
}

static void test_round_trips(void)
{
    uint8_t in[100], out[100];
    char text[256];
    size_t bad = 0;
    for (size_t len = 0; len <= sizeof in; len++) {
        size_t n;
        randombytes_buf(in, len);
        if (base32_encode(text, sizeof text, in, len) != 0 ||
            base32_decode(out, sizeof out, &n, text, strlen(text)) != 0 || n != len ||
            memcmp(in, out, len) != 0)
            bad++;
        if (base64url_encode(text, sizeof text, in, len) != 0 ||
            base64url_decode(out, sizeof out, &n, text, strlen(text)) != 0 || n != len ||
            memcmp(in, out, len) != 0)
            bad++;
        if (hex_encode(text, sizeof text, in, len) != 0 ||
            hex_decode(out, sizeof out, &n, text, strlen(text)) != 0 || n != len ||
            memcmp(in, out, len) != 0)
            bad++;
    }
    CHECK(bad == 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_vectors();
    test_strict();
    test_buffers();
    test_unique(base32_decode, base32_encode, "abcdefghijklmnopqrstuvwxyz234567");
    test_unique(base64url_decode, base64url_encode,
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    test_unique(hex_decode, hex_encode, "0123456789abcdef");
    test_round_trips();
    return check_summary();
}
