/* clock: the production binding (CLOCK_MONOTONIC). The one place the session's time comes from;
 * point clock_monotonic_ms at another monotonic source and the session follows. */
#include "src/clock.h"

#include <time.h>

double clock_monotonic_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double clock_now(const kchat_clock *c)
{
    return c->now_ms(c->ctx);
}
