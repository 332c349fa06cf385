/* clock: the one monotonic clock of kchat (CLOCK_MONOTONIC): for deadlines, timeouts and delays,
 * never for wall-clock time. */
#ifndef KCHAT_SYS_CLOCK_H
#define KCHAT_SYS_CLOCK_H

#include <stdint.h>

/* Nanoseconds since an arbitrary fixed point. */
uint64_t sys_now_ns(void);
/* The same in milliseconds, with a fraction. */
double sys_now_ms(void);

#endif
