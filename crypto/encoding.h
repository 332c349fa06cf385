/* encoding: text forms of binary data for identifiers, invitations and identity files.
 *
 * base32: RFC 4648 alphabet in lowercase ("a-z2-7"), no padding. base64url: RFC 4648 section 5
 * alphabet ("A-Za-z0-9-_"), no padding. hex: lowercase. Encoders write a NUL-terminated string.
 * Decoders are strict: they accept exactly the canonical encoding (no padding, no whitespace, no
 * other case, no impossible length, unused trailing bits must be zero), so every byte string has
 * exactly one accepted text form. Character mapping avoids table lookups and data-dependent
 * branches, so secrets can be encoded and decoded. On failure a decoder zeroes its whole output
 * buffer. All functions return 0 on success, -1 on failure (bad input or buffer too small). */
#ifndef KCHAT_ENCODING_H
#define KCHAT_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* Characters (without the NUL) that encode n bytes. */
#define BASE32_LEN(n) (((n)*8u + 4u) / 5u)
#define BASE64URL_LEN(n) (((n)*4u + 2u) / 3u)
#define HEX_LEN(n) ((n)*2u)

int base32_encode(char *out, size_t cap, const uint8_t *in, size_t n);
int base32_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len);

int base64url_encode(char *out, size_t cap, const uint8_t *in, size_t n);
int base64url_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len);

int hex_encode(char *out, size_t cap, const uint8_t *in, size_t n);
int hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len);

#endif
