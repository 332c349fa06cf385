/* memtune: process-wide allocator settings for kchat's traffic pattern. Messages (up to 1 MiB)
 * are allocated and freed at high rates by two threads; with glibc's defaults every burst gives
 * memory back to the kernel and takes it again, and the kernel zeroes every new page (10% of
 * the session thread's time at 1 KiB messages). Memory stays bounded by the session's
 * back-pressure (about 8 MiB of messages), so it is kept instead. Call once, first thing. */
#ifndef KCHAT_MEMTUNE_H
#define KCHAT_MEMTUNE_H

void memtune_apply(void);

#endif
