/* sim: a deterministic world for the session engine, without a broker or threads. Two
 * in-memory single-partition topics with offsets, a clock advanced by hand, and the two peers
 * (Alice and Bob, real identities and an invitation) driven by session_begin/step/end on the
 * test's thread. Every record sent passes a filter that can drop, duplicate, delay (and so
 * reorder) or fail it; a consumer can be rewound to redeliver. sim_run advances the clock to the
 * next thing that can happen, so minutes of protocol time take milliseconds. */
#ifndef KCHAT_TEST_SIM_H
#define KCHAT_TEST_SIM_H

#include "crypto/frame.h"
#include "crypto/invitation.h"
#include "src/session_internal.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SIM_A2B, SIM_B2A };

typedef enum {
    SIM_PASS,  /* into the topic now (or after the default latency) */
    SIM_DROP,  /* lost: never in the topic, reported delivered */
    SIM_DUP,   /* in the topic twice */
    SIM_DELAY, /* in the topic after *delay_ms (records behind it may overtake it) */
    SIM_FAIL,  /* never in the topic, reported failed (Kafka did not take it) */
} sim_action;

typedef struct sim sim;
typedef struct sim_side sim_side;

/* Sees every record a side sends (n: how many of this type that side sent before it). */
typedef sim_action (*sim_filter)(sim *m, sim_side *from, const frame *f, unsigned n,
                                 double *delay_ms);

typedef struct sim_rec {
    uint8_t *data;
    size_t len;
} sim_rec;

typedef struct sim_topic {
    sim_rec *log;
    size_t n, cap;
    int64_t committed; /* the group's position (Bob) */
} sim_topic;

typedef struct sim_report {
    uint64_t token;
    int64_t offset;
    bool failed;
} sim_report;

/* One side's transport. */
typedef struct sim_end {
    sim_side *side;
    int in, out;
    int64_t pos;    /* next offset read */
    int64_t stored; /* processed up to here (exclusive) */
    bool group, open;
    transport_delivery_fn cb;
    void *cb_ctx;
    sim_report *reports;
    size_t n_reports, cap_reports;
    wake w; /* threaded: readable when a record or a report waits */
} sim_end;

struct sim_side {
    sim *m;
    const char *name;
    session_config cfg;
    transport_factory factory;
    session *s;
    event_queue *q;
    sim_end *end;
    ui_event **evs; /* every event this side showed, in order (across restarts) */
    size_t n_evs, cap_evs;
    bool live;
    /* The side's screen lags: its events stay queued, not shown (with cfg.front_confirms, the
     * session waits for the receipt); a crash meanwhile loses them, as a killed process would. */
    bool lag;
    int code;                 /* exit status once ended */
    unsigned sent_by_type[6]; /* records sent, by frame type */
    identity *id;
    trust_policy *trust;
};

typedef struct sim_pending {
    int topic;
    sim_rec rec;
    double at;
    sim_end *from;
    uint64_t token;
    bool fail;
} sim_pending;

struct sim {
    double now;
    kchat_clock clock;
    sim_topic topics[2];
    sim_pending *pending;
    size_t n_pending, cap_pending;
    sim_filter filter;
    double latency_ms; /* every record takes this long into the topic */
    bool refuse_sends; /* send() fails: "queue full" */
    /* Threaded: the sessions run on their own threads (session_start) with the real clock, and
     * records land at once; the transport wakes them through its fd. */
    bool threaded;
    pthread_mutex_t lock;
    sim_side alice, bob;
    invitation *inv;
    char a2b[32], b2a[32];
    void *test; /* the test's own */
};

/* A fresh world: identities, invitation, topics; configs filled as cmd_connect/cmd_listen do
 * (Alice exits when done in batch mode: set cfg fields before sim_start). */
void sim_init(sim *m);
void sim_free(sim *m);
/* session_new + session_begin for one side. */
void sim_start(sim_side *side);
/* The same with cfg.state_later (set here): the journal and history, or err, attached between
 * session_new and session_begin, as a front end does while the session connects. */
void sim_start_later(sim_side *side, conv_state *journal, history *hist, const char *err);
/* Threaded: session_new + session_start (the side's cfg.clock should be NULL); sim_join posts
 * quit, waits for the thread and takes the side's events. */
void sim_start_thread(sim_side *side);
void sim_join(sim_side *side);
/* Ends a side: graceful (session_end: close record, flush, offsets committed) or a crash (the
 * process vanishes: nothing more is sent or committed). The session is freed. */
void sim_stop(sim_side *side, bool graceful);
/* Steps both sides and advances the clock until until(m) holds (true) or max_ms of simulated
 * time passed (false). until NULL: until both sides ended. */
bool sim_run(sim *m, bool (*until)(sim *m), double max_ms);
/* Runs for ms of simulated time. */
void sim_run_for(sim *m, double ms);

void sim_post(sim_side *side, const char *text);
/* Counting what a side showed. */
size_t sim_count(const sim_side *side, ui_event_type type);
size_t sim_count_text(const sim_side *side, ui_event_type type, const char *text);
const ui_event *sim_find(const sim_side *side, ui_event_type type, size_t nth);
/* Any event of type whose text contains part. */
bool sim_has_text(const sim_side *side, ui_event_type type, const char *part);
/* Writes a record straight into a topic, as any Kafka client could (a forger, a replayer). */
void sim_inject(sim *m, int topic, const uint8_t *buf, size_t len);
/* Records of a topic, and their frame types. */
int sim_frame_type(const sim *m, int topic, size_t offset);
void sim_dump(const sim_side *side); /* for debugging a failing test */

#endif
