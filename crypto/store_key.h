/* store_key: sealing kchat's data at rest (conversation journals, history). The key is derived
 * from the identity's secret key with domain separation (crypto_kdf, context "kchatsto"), so the
 * files are unreadable without the identity, and it lives in sodium_malloc'ed memory, wiped on
 * free. A sealed record is a random 24-byte nonce followed by XChaCha20-Poly1305 ciphertext and
 * tag; the associated data (the file's purpose, its random file id and the record's position)
 * is the caller's, so a record cannot be moved to another file or position undetected. */
#ifndef KCHAT_STORE_KEY_H
#define KCHAT_STORE_KEY_H

#include <stddef.h>
#include <stdint.h>

#define STORE_KEY_LEN 32
#define STORE_NONCE_LEN 24
#define STORE_TAG_LEN 16
#define STORE_SEAL_OVERHEAD (STORE_NONCE_LEN + STORE_TAG_LEN)

/* The store key of the identity whose X25519 secret key is secret (identity_secret()): 32 bytes
 * in sodium_malloc'ed memory, or NULL when out of memory. Free with store_key_free. */
uint8_t *store_key_derive(const uint8_t secret[32]);
void store_key_free(uint8_t *key);

/* Seals len bytes of msg into out (len + STORE_SEAL_OVERHEAD bytes) under key, binding ad. */
void store_seal(const uint8_t key[STORE_KEY_LEN], const uint8_t *ad, size_t adlen,
                const uint8_t *msg, size_t len, uint8_t *out);
/* Opens inlen bytes of in into out (inlen - STORE_SEAL_OVERHEAD bytes). 0, or -1 when too short,
 * not sealed under key or bound to other associated data (out is then wiped). */
int store_open(const uint8_t key[STORE_KEY_LEN], const uint8_t *ad, size_t adlen, const uint8_t *in,
               size_t inlen, uint8_t *out);

#endif
