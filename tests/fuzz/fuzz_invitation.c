/* fuzz_invitation: libFuzzer target for the invitation parser (crypto/invitation).
 * The input, NUL-terminated, is parsed. Whatever is accepted must format back to exactly the
 * input without its surrounding whitespace (one text per invitation), and that text must parse
 * to the same values. A refusal must come with a message. */
#include "crypto/invitation.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const invitation *a, const invitation *b)
{
    return strcmp(a->a2b, b->a2b) == 0 && strcmp(a->b2a, b->b2a) == 0 &&
           strcmp(a->bob_id, b->bob_id) == 0 &&
           memcmp(a->secret, b->secret, INVITATION_SECRET_LEN) == 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The input without surrounding whitespace equals out. */
static bool canonical(const char *text, const char *out)
{
    size_t start = 0, end = strlen(text), n = strlen(out);
    while (start < end && is_space(text[start]))
        start++;
    while (end > start && is_space(text[end - 1]))
        end--;
    return end - start == n && memcmp(text + start, out, n) == 0;
}

static void round_trip(const char *text, const invitation *inv)
{
    char out[INVITATION_MAX_LEN + 1], err[256];
    int n = invitation_format(inv, out, sizeof out);
    if (n < 0 || (size_t)n != strlen(out) || !canonical(text, out))
        abort();
    invitation *again = invitation_parse(out, err, sizeof err);
    if (again == NULL || !same(inv, again))
        abort();
    invitation_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), err[256] = "";
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    invitation *inv = invitation_parse(text, err, sizeof err);
    if (inv != NULL)
        round_trip(text, inv);
    else if (err[0] == '\0')
        abort();
    invitation_free(inv);
    free(text);
    return 0;
}
