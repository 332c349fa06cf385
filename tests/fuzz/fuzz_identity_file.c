/* fuzz_identity_file: libFuzzer target for the identity file parser (identity_parse).
 * Accepted plain files must be exactly the canonical text of the identity they hold (the final
 * newline optional). Sealed files are opened with a passphrase only when the header asks for a
 * cheap key derivation (ops <= 3, mem <= 64 KiB), so the fuzzer stays fast; otherwise the parser
 * must refuse them with a message. A refusal must always come with a message. */
#include "crypto/encoding.h"
#include "crypto/identity.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEALED_OPS "kchat-identity-v1 sealed argon2id ops="

/* A passphrase if the input's header is a cheap sealed one, else NULL. */
static const char *passphrase_for(const char *text)
{
    if (strncmp(text, SEALED_OPS, strlen(SEALED_OPS)) != 0)
        return NULL;
    char *end;
    unsigned long ops = strtoul(text + strlen(SEALED_OPS), &end, 10);
    if (strncmp(end, " mem=", 5) != 0)
        return NULL;
    unsigned long mem = strtoul(end + 5, NULL, 10);
    return ops <= 3 && mem <= 65536 ? "fuzz" : NULL;
}

static void check_plain(const char *text, size_t size, const identity *id)
{
    char want[200], sec[64], pub[64];
    if (base64url_encode(sec, sizeof sec, identity_secret(id), 32) != 0 ||
        base64url_encode(pub, sizeof pub, identity_public(id), 32) != 0)
        abort();
    size_t n = (size_t)snprintf(want, sizeof want, "kchat-identity-v1 plain\n%s\n%s\n", sec, pub);
    if (!((size == n || size == n - 1) && memcmp(text, want, size) == 0))
        abort();
    if (identity_id_valid(identity_id(id)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), err[512] = "";
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *pass = passphrase_for(text);
    identity *id = identity_parse(text, size, pass, err, sizeof err);
    if (id != NULL && pass == NULL)
        check_plain(text, size, id);
    if (id == NULL && err[0] == '\0')
        abort();
    identity_free(id);
    free(text);
    return 0;
}
