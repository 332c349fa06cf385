/* batch: the front end without a screen. Lines on stdin become messages; events go to stdout
 * one per line (text or JSON, src/event_format.h), errors also to stderr as one line. SIGINT and
 * SIGTERM end the session cleanly (close sent, offsets committed). Returns the exit status. */
#ifndef KCHAT_BATCH_H
#define KCHAT_BATCH_H

#include "src/event_queue.h"
#include "src/options.h"
#include "src/session.h"

#include <stdbool.h>

/* Uses o->json, o->verbose (library logs to stderr) and o->log_path (logs and errors appended). */
int batch_run(session *s, event_queue *q, const kchat_options *o);

#endif
