/* noise: the Noise Protocol Framework (revision 34) for Noise_XX_25519_ChaChaPoly_SHA256 and
 * Noise_XXpsk3_25519_ChaChaPoly_SHA256, on libsodium.
 *
 * Promises: every secret (keys, chaining key, DH outputs) lives in sodium_malloc'ed memory and is
 * wiped when freed; a failed read leaves the handshake or cipher state unchanged; X25519 results
 * that are all zero (low-order points) are rejected; nonce 2^64-1 is never used; messages are at
 * most NOISE_MAX_MSG bytes. Knows nothing of Kafka or screens. */
#ifndef KCHAT_NOISE_H
#define KCHAT_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOISE_MAX_MSG 65535u
#define NOISE_KEY_LEN 32u
#define NOISE_HASH_LEN 32u
#define NOISE_TAG_LEN 16u
#define NOISE_DH_LEN 32u

typedef enum { NOISE_XX = 0, NOISE_XXPSK3 = 1 } noise_pattern;

typedef enum {
    NOISE_OK = 0,
    NOISE_ERR_ARG = -1,     /* bad argument, wrong role/turn, buffer too small */
    NOISE_ERR_DECRYPT = -2, /* authentication failed */
    NOISE_ERR_DH = -3,      /* low-order or invalid public key */
    NOISE_ERR_SIZE = -4,    /* message too long or too short */
    NOISE_ERR_NONCE = -5,   /* nonce exhausted (2^64-1 reached) */
    NOISE_ERR_STATE = -6,   /* handshake not finished / already finished */
    NOISE_ERR_NOMEM = -7,
    NOISE_ERR_REFUSED = -8, /* the caller's check refused the peer's static key */
} noise_result;

/* The protocol name of a pattern, e.g. "Noise_XXpsk3_25519_ChaChaPoly_SHA256". */
const char *noise_protocol_name(noise_pattern p);
const char *noise_strerror(int err);

/* ---- CipherState: a key and a nonce counter. ---- */
typedef struct noise_cipher noise_cipher;

/* Encrypts with the internal counter n, then n++. out needs ptlen + 16 bytes. */
int noise_cipher_encrypt(noise_cipher *c, const uint8_t *ad, size_t adlen, const uint8_t *pt,
                         size_t ptlen, uint8_t *out);
/* Decrypts with the internal counter n; n++ only on success. out needs ctlen - 16 bytes. */
int noise_cipher_decrypt(noise_cipher *c, const uint8_t *ad, size_t adlen, const uint8_t *ct,
                         size_t ctlen, uint8_t *out);
/* Explicit-nonce variants for transports that reorder (Noise spec 5.1 / 11.4): the counter is
 * neither read nor changed. n == UINT64_MAX is refused with NOISE_ERR_NONCE. */
int noise_cipher_encrypt_n(const noise_cipher *c, uint64_t n, const uint8_t *ad, size_t adlen,
                           const uint8_t *pt, size_t ptlen, uint8_t *out);
int noise_cipher_decrypt_n(const noise_cipher *c, uint64_t n, const uint8_t *ad, size_t adlen,
                           const uint8_t *ct, size_t ctlen, uint8_t *out);
/* As the explicit-nonce variants, for a record layer of its own (kchat's data records) whose
 * ciphertexts may exceed Noise's 65535-byte message limit, up to NOISE_MAX_LONG_MSG bytes:
 * ChaCha20-Poly1305 itself is defined for far longer messages. */
#define NOISE_MAX_LONG_MSG (1024u * 1024u)
int noise_cipher_encrypt_long_n(const noise_cipher *c, uint64_t n, const uint8_t *ad, size_t adlen,
                                const uint8_t *pt, size_t ptlen, uint8_t *out);
int noise_cipher_decrypt_long_n(const noise_cipher *c, uint64_t n, const uint8_t *ad, size_t adlen,
                                const uint8_t *ct, size_t ctlen, uint8_t *out);
/* Rekey(): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", zeros[32]). */
void noise_cipher_rekey(noise_cipher *c);
/* A new cipher holding a copy of c's key (counter 0); NULL on allocation failure. */
noise_cipher *noise_cipher_clone(const noise_cipher *c);
uint64_t noise_cipher_nonce(const noise_cipher *c);
void noise_cipher_set_nonce(noise_cipher *c, uint64_t n);
void noise_cipher_free(noise_cipher *c);

/* ---- HandshakeState ---- */
typedef struct noise_handshake noise_handshake;

/* s_priv: our static X25519 private key (32 bytes; copied). psk: 32 bytes for XXpsk3, NULL for
 * XX. prologue may be empty. Returns NOISE_OK and sets *out. */
int noise_handshake_new(noise_handshake **out, noise_pattern p, bool initiator,
                        const uint8_t *prologue, size_t prologue_len, const uint8_t s_priv[32],
                        const uint8_t *psk);
/* For test vectors only: use this ephemeral private key instead of a random one. */
int noise_handshake_set_ephemeral(noise_handshake *hs, const uint8_t e_priv[32]);
/* Writes the next handshake message (payload may be empty). *outlen gets its length. */
int noise_handshake_write(noise_handshake *hs, const uint8_t *payload, size_t payload_len,
                          uint8_t *out, size_t out_cap, size_t *outlen);
/* Reads the next handshake message; on any error the state is unchanged. */
int noise_handshake_read(noise_handshake *hs, const uint8_t *msg, size_t msg_len, uint8_t *payload,
                         size_t payload_cap, size_t *payload_len);
/* As noise_handshake_read; when the message reveals the peer's static key, accept(rs, ctx) is
 * asked before anything is committed: false fails with NOISE_ERR_REFUSED and leaves the state
 * unchanged (the payload buffer is wiped). accept may be NULL. */
typedef bool (*noise_accept_fn)(const uint8_t rs[32], void *ctx);
int noise_handshake_read_checked(noise_handshake *hs, const uint8_t *msg, size_t msg_len,
                                 uint8_t *payload, size_t payload_cap, size_t *payload_len,
                                 noise_accept_fn accept, void *ctx);
/* True when it is our turn to write. */
bool noise_handshake_my_turn(const noise_handshake *hs);
/* Number of handshake messages processed so far (0..3). */
int noise_handshake_step(const noise_handshake *hs);
bool noise_handshake_done(const noise_handshake *hs);
/* The peer's static public key once received (after message 2 for the initiator, 3 for the
 * responder); NULL before. */
const uint8_t *noise_handshake_remote_static(const noise_handshake *hs);
/* The handshake hash h (valid any time; final once done). */
void noise_handshake_hash(const noise_handshake *hs, uint8_t out[NOISE_HASH_LEN]);
/* Split(): once done, the two transport ciphers; send/recv already oriented for our role
 * (initiator sends with c1). Caller frees them. */
int noise_handshake_split(noise_handshake *hs, noise_cipher **send, noise_cipher **recv);
void noise_handshake_free(noise_handshake *hs);

/* ---- Primitives, exposed for tests and the identity module ---- */
/* X25519 public key of a private key. Returns 0 on success. */
int noise_dh_public(uint8_t pub[32], const uint8_t priv[32]);
void noise_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *data,
                       size_t datalen);
/* HKDF(ck, ikm) with 2 or 3 outputs of 32 bytes (out3 may be NULL). */
void noise_hkdf(const uint8_t ck[32], const uint8_t *ikm, size_t ikm_len, uint8_t out1[32],
                uint8_t out2[32], uint8_t *out3);

#endif
