#include "src/event_queue.h"
#include "src/wake.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct node {
    ui_event *ev;
    struct node *next;
} node;

struct event_queue {
    pthread_mutex_t lock;
    node *head, *tail;
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

/* Appends the chain first..last. */
static void append(event_queue *q, node *first, node *last)
{
    pthread_mutex_lock(&q->lock);
    bool was_empty = !q->tail;
    if (q->tail)
        q->tail->next = first;
    else
        q->head = first;
    q->tail = last;
    pthread_mutex_unlock(&q->lock);
    if (was_empty) /* readers pop until empty after draining, so one wake-up is enough */
        wake_signal(&q->w);
}

void event_queue_push(event_queue *q, ui_event *ev)
{
    event_queue_push_many(q, &ev, 1);
}

void event_queue_push_many(event_queue *q, ui_event **evs, size_t n)
{
    node *first = NULL, *last = NULL;
    for (size_t i = 0; i < n; i++) {
        node *nd = malloc(sizeof *nd);
        if (!nd) {
            ui_event_free(evs[i]);
            continue;
        }
        nd->ev = evs[i];
        nd->next = NULL;
        if (last)
            last->next = nd;
        else
            first = nd;
        last = nd;
    }
    if (first)
        append(q, first, last);
}

bool event_queue_pop(event_queue *q, ui_event **out)
{
    pthread_mutex_lock(&q->lock);
    node *n = q->head;
    if (n) {
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    if (!n)
        return false;
    *out = n->ev;
    free(n);
    return true;
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
    wake_close(&q->w);
    pthread_mutex_destroy(&q->lock);
    free(q);
}
