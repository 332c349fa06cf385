#include "src/event_queue.h"
#include "src/wake.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MIN_CAP 256

/* A ring of event pointers that grows as needed: no allocation per event. */
struct event_queue {
    pthread_mutex_t lock;
    ui_event **ring;
    size_t head, n, cap;
    wake w;
};

event_queue *event_queue_new(void)
{
    event_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    if (wake_init(&q->w) != 0) {
        free(q);
        return NULL;
    }
    pthread_mutex_init(&q->lock, NULL);
    return q;
}

/* Under the lock: room for `more` events. */
static int reserve(event_queue *q, size_t more)
{
    if (q->n + more <= q->cap)
        return 0;
    size_t cap = q->cap ? q->cap : QUEUE_MIN_CAP;
    while (cap < q->n + more)
        cap *= 2;
    ui_event **ring = malloc(cap * sizeof *ring);
    if (!ring)
        return -1;
    for (size_t i = 0; i < q->n; i++)
        ring[i] = q->ring[(q->head + i) % q->cap];
    free(q->ring);
    q->ring = ring;
    q->cap = cap;
    q->head = 0;
    return 0;
}

void event_queue_push(event_queue *q, ui_event *ev)
{
    event_queue_push_many(q, &ev, 1);
}

void event_queue_push_many(event_queue *q, ui_event **evs, size_t n)
{
    if (n == 0)
        return;
    pthread_mutex_lock(&q->lock);
    bool was_empty = q->n == 0;
    bool ok = reserve(q, n) == 0;
    if (ok) {
        for (size_t i = 0; i < n; i++)
            q->ring[(q->head + q->n + i) % q->cap] = evs[i];
        q->n += n;
    }
    pthread_mutex_unlock(&q->lock);
    if (!ok) { /* out of memory: the events are lost, as they could not be made either */
        for (size_t i = 0; i < n; i++)
            ui_event_free(evs[i]);
        return;
    }
    if (was_empty) /* readers pop until empty after draining, so one wake-up is enough */
        wake_signal(&q->w);
}

bool event_queue_pop(event_queue *q, ui_event **out)
{
    pthread_mutex_lock(&q->lock);
    bool any = q->n > 0;
    if (any) {
        *out = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
    }
    pthread_mutex_unlock(&q->lock);
    return any;
}

int event_queue_wake_fd(const event_queue *q)
{
    return q->w.rfd;
}

void event_queue_drain_wake(event_queue *q)
{
    wake_drain(&q->w);
}

void event_queue_free(event_queue *q)
{
    if (!q)
        return;
    ui_event *ev;
    while (event_queue_pop(q, &ev))
        ui_event_free(ev);
    free(q->ring);
    wake_close(&q->w);
    pthread_mutex_destroy(&q->lock);
    free(q);
}
