/* signals: SIGINT and SIGTERM become a readable fd (a self-pipe) so front ends can poll() for
 * them; SIGPIPE is ignored. signals_take() reports (and clears) whether one arrived. */
#ifndef KCHAT_SIGNALS_H
#define KCHAT_SIGNALS_H

#include <stdbool.h>

/* Returns the fd to poll, or -1. Idempotent. */
int signals_install(void);
bool signals_take(void);

#endif
