/* replay: a sliding window over explicit nonces (RFC 6479 style). A nonce already accepted, or
 * older than the window, is refused. Checking never changes state; only commit does, and the
 * caller commits only after the frame authenticated. */
#ifndef KCHAT_REPLAY_H
#define KCHAT_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_BITS 4096u

typedef struct replay_window {
    uint64_t top; /* highest accepted nonce + 1 (0: none yet) */
    uint64_t bits[REPLAY_WINDOW_BITS / 64];
} replay_window;

void replay_init(replay_window *w);
/* True when n has not been accepted and is inside (or ahead of) the window. */
bool replay_check(const replay_window *w, uint64_t n);
void replay_commit(replay_window *w, uint64_t n);

#endif
