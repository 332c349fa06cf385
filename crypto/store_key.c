#include "crypto/store_key.h"

#include <sodium.h>

#define STORE_KDF_CONTEXT "kchatsto"
#define STORE_KDF_ID 1

uint8_t *store_key_derive(const uint8_t secret[32])
{
    uint8_t *key = sodium_malloc(STORE_KEY_LEN);
    if (!key)
        return NULL;
    crypto_kdf_derive_from_key(key, STORE_KEY_LEN, STORE_KDF_ID, STORE_KDF_CONTEXT, secret);
    return key;
}

void store_key_free(uint8_t *key)
{
    if (key)
        sodium_free(key); /* wipes */
}

void store_seal(const uint8_t key[STORE_KEY_LEN], const uint8_t *ad, size_t adlen,
                const uint8_t *msg, size_t len, uint8_t *out)
{
    randombytes_buf(out, STORE_NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + STORE_NONCE_LEN, NULL, msg, len, ad, adlen,
                                               NULL, out, key);
}

int store_open(const uint8_t key[STORE_KEY_LEN], const uint8_t *ad, size_t adlen, const uint8_t *in,
               size_t inlen, uint8_t *out)
{
    if (inlen < STORE_SEAL_OVERHEAD)
        return -1;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, in + STORE_NONCE_LEN,
                                                   inlen - STORE_NONCE_LEN, ad, adlen, in,
                                                   key) != 0) {
        sodium_memzero(out, inlen - STORE_SEAL_OVERHEAD);
        return -1;
    }
    return 0;
}
