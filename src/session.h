/* session: the engine behind `kchat listen` (Bob) and `kchat connect` (Alice). It runs on a
 * thread of its own that alone owns Kafka (net/) and the secure channel (crypto/): it creates the
 * producer and consumer, runs the Noise handshake through the two topics, seals and opens
 * frames, retransmits what the peer has not acknowledged (at-least-once end to end), shows each
 * message once, echoes (Bob with --echo), and reports everything as ui_events on an event_queue.
 * The front end (TUI or batch) posts typed lines and commands; nothing blocks while a lock is held.
 */
#ifndef KCHAT_SESSION_H
#define KCHAT_SESSION_H

#include "crypto/identity.h"
#include "crypto/invitation.h"
#include "crypto/trust.h"
#include "net/net_config.h"
#include "src/clock.h"
#include "src/conv_state.h"
#include "src/event_queue.h"
#include "src/history.h"
#include "src/listen_state.h"
#include "src/transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses (documented in man/kchat.1, EXIT STATUS). */
enum {
    KCHAT_EXIT_OK = 0,
    KCHAT_EXIT_ERROR = 1,     /* Kafka, files, internal errors */
    KCHAT_EXIT_USAGE = 2,     /* bad command line or invitation */
    KCHAT_EXIT_TIMEOUT = 3,   /* messages not delivered/echoed within --timeout */
    KCHAT_EXIT_HANDSHAKE = 4, /* peer not authenticated: untrusted, wrong invitation, no answer */
};

typedef enum { SESSION_BOB, SESSION_ALICE } session_role;

/* What a front end may ask of the session (session_post_command). */
typedef enum {
    SESSION_CMD_QUIT,  /* close the channel and end: the session reports UI_EV_DONE */
    SESSION_CMD_REKEY, /* switch to fresh keys now (an error event when not secure yet) */
    SESSION_CMD_STATS, /* report the counters (UI_EV_STATS) */
} session_command;

typedef struct session_config {
    session_role role;
    net_config net;
    const identity *self;
    const trust_policy *trust;
    const uint8_t *psk;        /* 32 bytes (XXpsk3) or NULL (XX, --trust-any) */
    const char *expected_peer; /* Alice: the identifier the invitation names (for messages) */
    const char *a2b, *b2a;
    bool echo;           /* Bob: echo every message back */
    bool exit_when_done; /* Alice: end once input ended and all is delivered (and echoed) */
    double timeout_s;    /* Alice: give up after this long (0: never) */
    double handshake_timeout_s;
    listen_state *state;     /* Bob: kept up to date and saved to state_path; may be NULL */
    const char *state_path;  /* NULL: not saved */
    uint64_t rekey_interval; /* 0: default */
    /* The conversation journal (src/conv_state.h): Alice's conversation id, outbox, shown and
     * echoed sets; Bob's outbox. Restored at start, journaled each step; NULL: memory only. */
    conv_state *journal;
    history *history;    /* the messages shown, sealed at rest; NULL: none kept */
    size_t history_show; /* at start, the last this many history messages are shown */
    /* The journal and history come later (journal and history NULL here): the front end opens
     * them while the session thread connects to Kafka, and hands them over with
     * session_attach_state, which the session waits for before its handshake. */
    bool state_later;
    const char *name; /* our display name (--name) for the peer's screen, or NULL */
    /* The front end calls event_queue_shown once what it popped is on the screen: a message is
     * then acknowledged, echoed and recorded as shown only after that receipt (a process killed
     * with messages still queued for the screen shows them when it resumes). false: at once,
     * when handed over (tests that drive the session without a front end). */
    bool front_confirms;
    /* NULL for both in production: Kafka (transport_kafka_open) and the monotonic clock. */
    const transport_factory *transport;
    const kchat_clock *clock;
} session_config;

typedef struct session session;

/* Borrows everything in cfg (it must outlive the session). */
session *session_new(const session_config *cfg, event_queue *events, char *err, size_t errlen);
int session_start(session *s);
/* With cfg.state_later: the journal and history (hist may be NULL), or why they could not be
 * opened (err not NULL: the session says it and ends with KCHAT_EXIT_ERROR). Once, from any
 * thread, after session_new. */
void session_attach_state(session *s, conv_state *journal, history *hist, const char *err);
/* Thread-safe posts from the front end. The session takes lines while its outbox has room;
 * beyond that, about 2 MiB of lines wait in its input queue (back-pressure).
 * session_try_post_line refuses a line when that queue is full (false: not posted), and
 * session_room_fd() becomes readable once there is room again (drain it with
 * session_room_drain); session_post_line waits for room instead, for front ends with nothing
 * else to do. Commands and the end of input are never refused and never wait. */
bool session_try_post_line(session *s, const char *text, size_t len);
void session_post_line(session *s, const char *text, size_t len);
int session_room_fd(const session *s);
void session_room_drain(session *s);
void session_post_eof(session *s);
void session_post_command(session *s, session_command cmd);
/* After session_join: the lines posted that the peer has not acknowledged (echoes not
 * counted), including those still waiting in the input queue. */
size_t session_undelivered(session *s);
/* Waits for the session thread; returns its exit status. */
int session_join(session *s);
void session_free(session *s);

#endif
