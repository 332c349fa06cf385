#include "src/memtune.h"

#include <malloc.h>

#define MEMTUNE_KEEP (64 * 1024 * 1024) /* free memory kept before trimming the heap */
#define MEMTUNE_MMAP (2 * 1024 * 1024)  /* messages (<= 1 MiB) come from the heap, not mmap */

void memtune_apply(void)
{
    mallopt(M_TRIM_THRESHOLD, MEMTUNE_KEEP);
    mallopt(M_MMAP_THRESHOLD, MEMTUNE_MMAP);
}
