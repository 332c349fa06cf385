/* secmem: memory for secrets (handshake states, cipher keys, the mac1 key) that the channel
 * creates and frees with every handshake. Every block is sodium_malloc'ed (guard pages, locked,
 * kept out of core dumps) and is wiped when freed; a freed block is kept, wiped, for the next
 * allocation of exactly the same size (at most SECMEM_KEEP blocks in the process), so a
 * handshake costs no mmap/mprotect/mlock round of its own: each sodium_malloc/sodium_free pair
 * is about ten system calls and fresh page faults. Thread-safe; a block freed twice aborts
 * (sodium_free would have crashed too). Kept blocks stay locked in this process only: kchat does
 * not fork. */
#ifndef KCHAT_SECMEM_H
#define KCHAT_SECMEM_H

#include <stddef.h>

#define SECMEM_KEEP 16

/* size bytes (zeroed) in sodium_malloc'ed memory, or NULL when out of memory. */
void *secmem_alloc(size_t size);
/* Wipes the size bytes at p (as allocated) and frees or keeps them; NULL is ignored. */
void secmem_free(void *p, size_t size);
/* Blocks kept for reuse right now (tests). */
size_t secmem_kept(void);

#endif
