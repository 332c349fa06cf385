/* be: big-endian integers in byte buffers, the byte order of every kchat format (wire, state
 * files, journals). The one copy; header-only. */
#ifndef KCHAT_SYS_BE_H
#define KCHAT_SYS_BE_H

#include <stdint.h>

/* Writes the low n bytes of v (n <= 8) at p, most significant first. */
static inline void be_put(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Reads n bytes (n <= 8) at p, most significant first. */
static inline uint64_t be_get(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static inline void be64_put(uint8_t *p, uint64_t v)
{
    be_put(p, v, 8);
}

static inline uint64_t be64_get(const uint8_t *p)
{
    return be_get(p, 8);
}

static inline uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)be_get(p, 4);
}

#endif
