/* secmem: see secmem.h. */
#include "crypto/secmem.h"

#include <pthread.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    void *p;
    size_t size;
} kept_block;

/* The blocks kept for reuse: this module's own state, behind its lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kept_block kept[SECMEM_KEEP];
static size_t n_kept;

static void *take(size_t size)
{
    void *p = NULL;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_kept; i++) {
        if (kept[i].size == size) {
            p = kept[i].p;
            kept[i] = kept[--n_kept];
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return p;
}

void *secmem_alloc(size_t size)
{
    void *p = take(size);
    if (p)
        return p; /* wiped when it was freed */
    if (sodium_init() < 0 || (p = sodium_malloc(size)) == NULL)
        return NULL;
    memset(p, 0, size);
    return p;
}

void secmem_free(void *p, size_t size)
{
    if (!p)
        return;
    sodium_memzero(p, size);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_kept; i++)
        if (kept[i].p == p)
            abort(); /* freed twice: handing it out twice would share a secret */
    bool keep = n_kept < SECMEM_KEEP;
    if (keep)
        kept[n_kept++] = (kept_block){p, size};
    pthread_mutex_unlock(&lock);
    if (!keep)
        sodium_free(p);
}

size_t secmem_kept(void)
{
    pthread_mutex_lock(&lock);
    size_t n = n_kept;
    pthread_mutex_unlock(&lock);
    return n;
}
