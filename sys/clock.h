/* clock: the clocks of kchat, read nowhere else. The monotonic one (CLOCK_MONOTONIC) is for
 * deadlines, timeouts and delays; the wall clock (CLOCK_REALTIME) only where two machines must
 * agree on the time (the send time in handshake message 1). */
#ifndef KCHAT_SYS_CLOCK_H
#define KCHAT_SYS_CLOCK_H

#include <stdint.h>

/* Nanoseconds since an arbitrary fixed point. */
uint64_t sys_now_ns(void);
/* The same in milliseconds, with a fraction. */
double sys_now_ms(void);
/* Wall-clock milliseconds since the Unix epoch (0 if the clock cannot be read). */
uint64_t sys_wall_ms(void);

#endif
