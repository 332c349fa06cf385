/* clock: the production binding, the floor's monotonic clock (sys/clock.h). The one place the
 * session's time comes from. */
#include "src/clock.h"
#include "sys/clock.h"

double clock_monotonic_ms(void *ctx)
{
    (void)ctx;
    return sys_now_ms();
}

double clock_now(const kchat_clock *c)
{
    return c->now_ms(c->ctx);
}
