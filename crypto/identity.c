/* identity: X25519 key pairs and their identifiers. The file format and file I/O live in
 * identity_file.c. */
#include "crypto/identity.h"

#include "crypto/encoding.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define ID_DIGEST_LEN 30 /* 240 bits -> 48 base32 characters */
#define ID_CONTEXT "kchat identity v1"

struct identity {
    uint8_t *secret; /* 32 bytes, sodium_malloc'ed */
    uint8_t public_key[32];
    char id[IDENTITY_ID_LEN + 1];
};

static identity *identity_alloc(void)
{
    if (sodium_init() < 0)
        return NULL;
    identity *id = calloc(1, sizeof *id);
    if (id == NULL)
        return NULL;
    id->secret = sodium_malloc(32);
    if (id->secret == NULL) {
        free(id);
        return NULL;
    }
    return id;
}

/* Derives the public key and identifier from id->secret. */
static int identity_finish(identity *id)
{
    if (crypto_scalarmult_base(id->public_key, id->secret) != 0)
        return -1;
    identity_id_of(id->public_key, id->id);
    return 0;
}

identity *identity_from_secret(const uint8_t secret[32])
{
    if (secret == NULL)
        return NULL;
    identity *id = identity_alloc();
    if (id == NULL)
        return NULL;
    memcpy(id->secret, secret, 32);
    if (identity_finish(id) != 0) {
        identity_free(id);
        return NULL;
    }
    return id;
}

identity *identity_generate(void)
{
    identity *id = identity_alloc();
    if (id == NULL)
        return NULL;
    randombytes_buf(id->secret, 32);
    if (identity_finish(id) != 0) {
        identity_free(id);
        return NULL;
    }
    return id;
}

const uint8_t *identity_public(const identity *id)
{
    return id->public_key;
}

const uint8_t *identity_secret(const identity *id)
{
    return id->secret;
}

const char *identity_id(const identity *id)
{
    return id->id;
}

void identity_free(identity *id)
{
    if (id == NULL)
        return;
    sodium_free(id->secret);
    sodium_memzero(id, sizeof *id);
    free(id);
}

void identity_id_of(const uint8_t pub[32], char out[IDENTITY_ID_LEN + 1])
{
    crypto_hash_sha256_state st;
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)ID_CONTEXT, strlen(ID_CONTEXT));
    crypto_hash_sha256_update(&st, pub, 32);
    crypto_hash_sha256_final(&st, digest);
    base32_encode(out, IDENTITY_ID_LEN + 1, digest, ID_DIGEST_LEN);
}

int identity_id_valid(const char *s)
{
    if (s == NULL)
        return -1;
    size_t i = 0;
    for (; s[i] != '\0'; i++) {
        char c = s[i];
        if (i >= IDENTITY_ID_LEN || !((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')))
            return -1;
    }
    return i == IDENTITY_ID_LEN ? 0 : -1;
}

void identity_id_short(const char *id, char out[IDENTITY_SHORT_LEN + 1])
{
    size_t n = 0, o = 0;
    for (; n < 12 && id != NULL && id[n] != '\0'; n++) {
        if (n > 0 && n % 4 == 0)
            out[o++] = '-';
        out[o++] = id[n];
    }
    out[o] = '\0';
}
