/* replay: a bit-exact sliding window over the last REPLAY_WINDOW_BITS nonces (RFC 6479 style).
 * Nonce n lives in bit n mod REPLAY_WINDOW_BITS; the window holds nonces [top - W, top - 1]. */
#include "crypto/replay.h"

#include <string.h>

#define WORDS (REPLAY_WINDOW_BITS / 64u)

void replay_init(replay_window *w)
{
    memset(w, 0, sizeof(*w));
}

static bool bit_get(const replay_window *w, uint64_t n)
{
    uint64_t pos = n % REPLAY_WINDOW_BITS;
    return (w->bits[pos / 64u] >> (pos % 64u)) & 1u;
}

static void bit_set(replay_window *w, uint64_t n)
{
    uint64_t pos = n % REPLAY_WINDOW_BITS;
    w->bits[pos / 64u] |= (uint64_t)1 << (pos % 64u);
}

static void bit_clear(replay_window *w, uint64_t n)
{
    uint64_t pos = n % REPLAY_WINDOW_BITS;
    w->bits[pos / 64u] &= ~((uint64_t)1 << (pos % 64u));
}

bool replay_check(const replay_window *w, uint64_t n)
{
    if (n == UINT64_MAX) /* never a valid nonce; top would overflow */
        return false;
    if (n >= w->top)
        return true;
    if (w->top - n > REPLAY_WINDOW_BITS)
        return false;
    return !bit_get(w, n);
}

/* Slides the window so that its top becomes n + 1: the nonces entering it share their bit with
 * the ones leaving, so their bits are cleared. */
static void slide_to(replay_window *w, uint64_t n)
{
    if (n - w->top >= REPLAY_WINDOW_BITS) {
        memset(w->bits, 0, sizeof(w->bits));
    } else {
        for (uint64_t m = w->top; m <= n; m++)
            bit_clear(w, m);
    }
    w->top = n + 1;
}

void replay_commit(replay_window *w, uint64_t n)
{
    if (!replay_check(w, n))
        return;
    if (n >= w->top)
        slide_to(w, n);
    bit_set(w, n);
}
