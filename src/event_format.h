/* event_format: one ui_event as one line of batch-mode output, as text (`NAME key=value ...`,
 * values with spaces or special characters quoted with C escapes) or as one JSON object
 * (`{"event":"NAME",...}`). The event names and fields are a public interface (man/kchat.1,
 * BATCH MODE). Text that is not valid UTF-8 is shown with U+FFFD in JSON. */
#ifndef KCHAT_EVENT_FORMAT_H
#define KCHAT_EVENT_FORMAT_H

#include "ui/ui_event.h"

#include <stdbool.h>

/* A malloc'ed line without newline, or NULL for events batch mode does not print. */
char *event_format_line(const ui_event *ev, bool json);

#endif
