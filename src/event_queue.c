#include "src/event_queue.h"
#include "sys/clock.h"
#include "sys/wake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MIN_CAP 256

typedef struct ring {
    ui_event **ev;
    size_t head, n, cap;
} ring;

/* Two rings of event pointers that grow as needed (no allocation per event): writers push onto
 * `in` under the lock; the reader swaps it for its drained `out` when `out` is empty, so it takes
 * the lock once per batch, not once per event. */
struct event_queue {
    pthread_mutex_t lock;
    ring in;  /* under lock */
    ring out; /* the reader's alone */
    sys_wake w;
    uint64_t pushed;             /* under lock: events numbered so far */
    uint64_t popped;             /* the reader's alone */
    _Atomic uint64_t shown;      /* the reader's receipt: events 1..shown are on the screen */
    _Atomic uint64_t want;       /* call on_shown when shown reaches this (0: nobody waits) */
    void (*on_shown)(void *ctx); /* set before the reader starts */
    void *on_shown_ctx;
    uint64_t receipt_popped; /* the reader's: number of the last popped event asking a receipt */
    uint64_t recorded;       /* under lock: receipted events up to here are recorded */
    pthread_cond_t recorded_cond;
    uint64_t waiting_for;       /* under lock: the reader waits for this (0: it does not wait) */
    void (*publish)(void *ctx); /* the reader's: makes what it holds visible (set before start) */
    void *publish_ctx;
};

event_queue *event_queue_new(void)
{
    event_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    if (sys_wake_init(&q->w) != 0) {
        free(q);
        return NULL;
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->recorded_cond, NULL);
    return q;
}

/* Room for `more` events. */
static int reserve(ring *r, size_t more)
{
    if (r->n + more <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap : QUEUE_MIN_CAP;
    while (cap < r->n + more)
        cap *= 2;
    ui_event **ev = malloc(cap * sizeof *ev);
    if (!ev)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        ev[i] = r->ev[(r->head + i) % r->cap];
    free(r->ev);
    r->ev = ev;
    r->cap = cap;
    r->head = 0;
    return 0;
}

void event_queue_push(event_queue *q, ui_event *ev)
{
    event_queue_push_many(q, &ev, 1);
}

uint64_t event_queue_push_many(event_queue *q, ui_event **evs, size_t n)
{
    if (n == 0) {
        pthread_mutex_lock(&q->lock);
        uint64_t last = q->pushed;
        pthread_mutex_unlock(&q->lock);
        return last;
    }
    double now = sys_now_ms();
    for (size_t i = 0; i < n; i++) /* handed over now, unless the maker set its own time */
        if (evs[i]->at_ms == 0)
            evs[i]->at_ms = now;
    pthread_mutex_lock(&q->lock);
    ring *r = &q->in;
    bool was_empty = r->n == 0;
    bool ok = reserve(r, n) == 0;
    uint64_t last = 0;
    if (ok) {
        for (size_t i = 0; i < n; i++)
            r->ev[(r->head + r->n + i) % r->cap] = evs[i];
        r->n += n;
        last = q->pushed += n;
    }
    pthread_mutex_unlock(&q->lock);
    if (!ok) { /* out of memory: the events are lost, as they could not be made either */
        for (size_t i = 0; i < n; i++)
            ui_event_free(evs[i]);
        return 0;
    }
    /* the reader pops until empty after draining the wake-up, so one wake-up is enough */
    if (was_empty)
        sys_wake_signal(&q->w);
    return last;
}

bool event_queue_pop(event_queue *q, ui_event **out)
{
    ring *r = &q->out;
    if (r->n == 0) { /* take everything pushed so far, in one go */
        pthread_mutex_lock(&q->lock);
        ring taken = q->in;
        q->in = (ring){.ev = r->ev, .cap = r->cap};
        pthread_mutex_unlock(&q->lock);
        *r = taken;
    }
    if (r->n == 0)
        return false;
    *out = r->ev[r->head];
    r->head = (r->head + 1) % r->cap;
    r->n--;
    q->popped++;
    if ((*out)->receipt)
        q->receipt_popped = q->popped;
    return true;
}

void event_queue_shown(event_queue *q)
{
    if (atomic_load(&q->shown) == q->popped)
        return;
    atomic_store(&q->shown, q->popped);
    uint64_t want = atomic_load(&q->want);
    if (want && q->popped >= want && q->on_shown &&
        atomic_compare_exchange_strong(&q->want, &want, 0))
        q->on_shown(q->on_shown_ctx);
}

uint64_t event_queue_shown_upto(const event_queue *q)
{
    return atomic_load(&((event_queue *)q)->shown);
}

void event_queue_on_shown(event_queue *q, void (*on_shown)(void *ctx), void *ctx)
{
    q->on_shown = on_shown;
    q->on_shown_ctx = ctx;
}

void event_queue_want_shown(event_queue *q, uint64_t upto)
{
    atomic_store(&q->want, upto);
}

int event_queue_wake_fd(const event_queue *q)
{
    return q->w.rfd;
}

void event_queue_drain_wake(event_queue *q)
{
    sys_wake_drain(&q->w);
}

void event_queue_on_publish(event_queue *q, void (*publish)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&q->lock);
    q->publish = publish;
    q->publish_ctx = ctx;
    pthread_mutex_unlock(&q->lock);
}

void event_queue_recorded(event_queue *q, uint64_t upto)
{
    pthread_mutex_lock(&q->lock);
    if (upto > q->recorded) {
        q->recorded = upto;
        /* the reader holds what it waits to show: shown from here, at once, rather than after
         * the reader's thread wakes up (a process killed in between would lose it) */
        if (q->waiting_for && upto >= q->waiting_for && q->publish) {
            q->publish(q->publish_ctx);
            q->waiting_for = 0;
        }
        pthread_cond_broadcast(&q->recorded_cond);
    }
    pthread_mutex_unlock(&q->lock);
}

bool event_queue_wait_recorded(event_queue *q, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    bool ok = true;
    pthread_mutex_lock(&q->lock);
    q->waiting_for = q->receipt_popped;
    while (q->recorded < q->receipt_popped && ok)
        ok = pthread_cond_timedwait(&q->recorded_cond, &q->lock, &until) == 0;
    ok = q->recorded >= q->receipt_popped;
    q->waiting_for = 0;
    pthread_mutex_unlock(&q->lock);
    return ok;
}

void event_queue_free(event_queue *q)
{
    if (!q)
        return;
    ui_event *ev;
    while (event_queue_pop(q, &ev))
        ui_event_free(ev);
    free(q->in.ev);
    free(q->out.ev);
    sys_wake_close(&q->w);
    pthread_cond_destroy(&q->recorded_cond);
    pthread_mutex_destroy(&q->lock);
    free(q);
}
