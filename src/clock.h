/* clock: where the session reads the time. Production reads the monotonic clock
 * (clock_monotonic_ms); tests give a clock they advance by hand, so timers (retransmission,
 * handshake retries, timeouts) run in simulated milliseconds. */
#ifndef KCHAT_CLOCK_H
#define KCHAT_CLOCK_H

typedef struct kchat_clock {
    double (*now_ms)(void *ctx); /* milliseconds, never going back; never 0 */
    void *ctx;
} kchat_clock;

/* The production clock: CLOCK_MONOTONIC in milliseconds (ctx unused). */
double clock_monotonic_ms(void *ctx);

/* The clock's time now. */
double clock_now(const kchat_clock *c);

#endif
