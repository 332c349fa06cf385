/* wake: the session engine's old names for sys/wake.h (a self-pipe one thread signals and another
 * poll()s). Kept until the session engine says sys_wake itself; new code uses sys/wake.h. */
#ifndef KCHAT_WAKE_H
#define KCHAT_WAKE_H

#include "sys/wake.h"

typedef sys_wake wake;

static inline int wake_init(wake *w)
{
    return sys_wake_init(w);
}

static inline void wake_signal(const wake *w)
{
    sys_wake_signal(w);
}

static inline void wake_drain(const wake *w)
{
    sys_wake_drain(w);
}

static inline void wake_close(wake *w)
{
    sys_wake_close(w);
}

#endif
