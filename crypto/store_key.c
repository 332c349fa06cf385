#include "crypto/store_key.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

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

/* Nonces are public and need only be unique, but sealing one record per message (history) made
 * a getrandom system call per message. They come from a pool of the system generator's bytes
 * instead, refilled once per 170 nonces: each nonce is still 24 fresh random bytes, used once.
 * A forked child empties its copy of the pool, so parent and child never hand out the same; if
 * the fork handlers cannot be registered, every nonce is drawn on its own as before. */
#define STORE_NONCE_POOL (170 * STORE_NONCE_LEN)

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static bool pool_usable; /* the fork handlers are registered */
static uint8_t pool[STORE_NONCE_POOL];
static size_t pool_left;

static void pool_forget(void)
{
    pool_left = 0; /* in the child of fork: one thread, the lock released by the handlers */
}

static void pool_lock_take(void)
{
    pthread_mutex_lock(&pool_lock);
}

static void pool_lock_give(void)
{
    pthread_mutex_unlock(&pool_lock);
}

static void pool_child(void)
{
    pool_forget();
    pool_lock_give();
}

static void pool_init(void)
{
    pool_usable = pthread_atfork(pool_lock_take, pool_lock_give, pool_child) == 0;
}

static void next_nonce(uint8_t out[STORE_NONCE_LEN])
{
    pthread_once(&pool_once, pool_init);
    if (!pool_usable) {
        randombytes_buf(out, STORE_NONCE_LEN);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    if (pool_left < STORE_NONCE_LEN) {
        randombytes_buf(pool, sizeof pool);
        pool_left = sizeof pool;
    }
    uint8_t *p = pool + sizeof pool - pool_left;
    memcpy(out, p, STORE_NONCE_LEN);
    memset(p, 0, STORE_NONCE_LEN); /* handed out once */
    pool_left -= STORE_NONCE_LEN;
    pthread_mutex_unlock(&pool_lock);
}

void store_seal(const uint8_t key[STORE_KEY_LEN], const uint8_t *ad, size_t adlen,
                const uint8_t *msg, size_t len, uint8_t *out)
{
    next_nonce(out);
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
