/* event_queue: the hand-over of ui_events from the session thread to the front end (TUI or
 * batch). FIFO, unbounded (a ring that grows), never loses or reorders events (short of memory).
 * A push onto an empty queue writes one byte to a pipe so the front end can poll() wake_fd; no
 * lock is held while anyone blocks. */
#ifndef KCHAT_EVENT_QUEUE_H
#define KCHAT_EVENT_QUEUE_H

#include "ui/ui_event.h"

#include <stdbool.h>

typedef struct event_queue event_queue;

event_queue *event_queue_new(void);
/* Takes ownership of ev. */
void event_queue_push(event_queue *q, ui_event *ev);
/* Takes ownership of evs[0..n-1] and pushes them in order under one lock and one wake-up.
 * Events without an at_ms get the time of the push (one clock read per call). */
void event_queue_push_many(event_queue *q, ui_event **evs, size_t n);
/* Pops the oldest event; false when empty. One reader thread only (it keeps a batch of its own,
 * taken under the lock when its batch runs out). */
bool event_queue_pop(event_queue *q, ui_event **out);
/* Readable when events may be queued; drain with event_queue_drain_wake. */
int event_queue_wake_fd(const event_queue *q);
void event_queue_drain_wake(event_queue *q);
/* Frees the queue and every event still in it. */
void event_queue_free(event_queue *q);

#endif
