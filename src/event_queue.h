/* event_queue: the hand-over of ui_events from the session thread to the front end (TUI or
 * batch). FIFO, unbounded (a ring that grows), never loses or reorders events (short of memory).
 * A push onto an empty queue writes one byte to a pipe so the front end can poll() wake_fd; no
 * lock is held while anyone blocks.
 *
 * Display receipts: the events are numbered 1, 2, ... in the order pushed (event_queue_push_many
 * returns the number of its last one). A front end that has put on the screen (or written out)
 * every event it popped says so with event_queue_shown; event_queue_shown_upto then gives the
 * number of the last event shown, to any thread. The session uses them to count a message as
 * shown (acknowledge, echo and record it) only once it is on the screen, so a process killed with
 * events still queued shows them after it resumes instead of losing them. */
#ifndef KCHAT_EVENT_QUEUE_H
#define KCHAT_EVENT_QUEUE_H

#include "ui/ui_event.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct event_queue event_queue;

event_queue *event_queue_new(void);
/* Takes ownership of ev. */
void event_queue_push(event_queue *q, ui_event *ev);
/* Takes ownership of evs[0..n-1] and pushes them in order under one lock and one wake-up.
 * Events without an at_ms get the time of the push (one clock read per call). Returns the number
 * of the last event pushed (of the last event pushed before, when n is 0; 0 when out of memory:
 * the events are freed). */
uint64_t event_queue_push_many(event_queue *q, ui_event **evs, size_t n);
/* Pops the oldest event; false when empty. One reader thread only (it keeps a batch of its own,
 * taken under the lock when its batch runs out). */
bool event_queue_pop(event_queue *q, ui_event **out);
/* Readable when events may be queued; drain with event_queue_drain_wake. */
int event_queue_wake_fd(const event_queue *q);
void event_queue_drain_wake(event_queue *q);
/* The front end (the reader thread): every event popped so far is on the screen, or about to be
 * (see event_queue_wait_recorded). When that
 * reaches the number given to event_queue_want_shown, the function set there is called once, on
 * this thread. */
void event_queue_shown(event_queue *q);
/* The number of the last event the front end said is shown (0: none yet). Any thread. */
uint64_t event_queue_shown_upto(const event_queue *q);
/* Who waits for receipts (the session): on_shown(ctx) is called, once, by the front end's
 * event_queue_shown when it reaches `upto` (0: nobody waits). Any thread; the caller checks
 * event_queue_shown_upto afterwards, as the receipt may have come before the wish. */
void event_queue_on_shown(event_queue *q, void (*on_shown)(void *ctx), void *ctx);
void event_queue_want_shown(event_queue *q, uint64_t upto);
/* The session has recorded as shown every receipted event numbered up to upto (it will show
 * none of them again after a crash). Any thread. */
void event_queue_recorded(event_queue *q, uint64_t upto);
/* The front end, before it makes visible what it popped: waits (at most timeout_ms) until every
 * event popped so far that asked for a receipt is recorded, so a crash can no longer show it
 * twice. Returns false on timeout. Call after event_queue_shown. */
bool event_queue_wait_recorded(event_queue *q, int timeout_ms);
/* Optional, set by the front end (its thread, before it first waits): while it waits in
 * event_queue_wait_recorded, the thread that says the events are recorded calls publish(ctx)
 * there and then (under the queue's lock), so what was waiting becomes visible without waiting
 * for the front end's thread to be scheduled. publish must only write out what the front end
 * holds (e.g. fflush of its stream). */
void event_queue_on_publish(event_queue *q, void (*publish)(void *ctx), void *ctx);
/* Frees the queue and every event still in it. */
void event_queue_free(event_queue *q);

#endif
