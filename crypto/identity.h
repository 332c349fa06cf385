/* identity: a long-term X25519 key pair, the Noise static key. Its identifier is a printable
 * digest of the public key (240 bits, 48 lowercase base32 characters) used for trust; a short
 * grouped form is for display only, never for decisions.
 *
 * Identity file: 0600, refused if group/others can read it; plain or sealed with a passphrase
 * (Argon2id + XChaCha20-Poly1305). The secret key lives in sodium_malloc'ed memory, wiped on
 * free. Corrupt, truncated or foreign files give a clear error, never a crash. */
#ifndef KCHAT_IDENTITY_H
#define KCHAT_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#define IDENTITY_ID_LEN 48    /* characters of an identifier */
#define IDENTITY_SHORT_LEN 14 /* "abcd-efgh-ijkl" */

typedef struct identity identity;

/* A fresh random identity (not saved). */
identity *identity_generate(void);
/* Loads path, or creates it (and its directory, 0700) when missing. path NULL: the default
 * ($XDG_CONFIG_HOME/kchat/identity, else ~/.config/kchat/identity). passphrase NULL or "": the
 * file is plain; when the file is sealed and passphrase is NULL, fails with a message saying a
 * passphrase is needed. New files are sealed iff a non-empty passphrase is given. */
identity *identity_load_or_create(const char *path, const char *passphrase, char *err,
                                  size_t errlen);
/* Loads an existing file only. */
identity *identity_load(const char *path, const char *passphrase, char *err, size_t errlen);
/* Writes the identity to path (0600, atomically via a temp file + rename). */
int identity_save(const identity *id, const char *path, const char *passphrase, char *err,
                  size_t errlen);
/* 1 when the file at path is sealed with a passphrase, 0 when plain, -1 when unreadable. */
int identity_file_is_sealed(const char *path);
int identity_default_path(char *out, size_t cap);

const uint8_t *identity_public(const identity *id); /* 32 bytes */
const uint8_t *identity_secret(const identity *id); /* 32 bytes, sodium_malloc'ed */
const char *identity_id(const identity *id);        /* IDENTITY_ID_LEN chars, NUL-terminated */
void identity_free(identity *id);

/* Additions (backward compatible):
 * identity_from_secret: an identity holding a copy of a 32-byte X25519 secret key.
 * identity_parse: parses identity file text from memory (what identity_load does after reading
 * the file; messages call the text "<input>"). passphrase as for identity_load. */
identity *identity_from_secret(const uint8_t secret[32]);
identity *identity_parse(const char *text, size_t len, const char *passphrase, char *err,
                         size_t errlen);

/* The identifier of any public key. */
void identity_id_of(const uint8_t pub[32], char out[IDENTITY_ID_LEN + 1]);
/* 0 when s is a well-formed identifier (exact length and alphabet). */
int identity_id_valid(const char *s);
/* "abcd-efgh-ijkl" from the first 12 characters of an identifier; display only. */
void identity_id_short(const char *id, char out[IDENTITY_SHORT_LEN + 1]);

#endif
