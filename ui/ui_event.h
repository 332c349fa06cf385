/* ui_event: what the session tells a front end (the TUI or batch mode), as plain data.
 * Knows nothing of Kafka or crypto: strings and numbers only. Every string is owned by the
 * event (malloc'ed, freed by ui_event_free). Batch-mode event names are a public interface
 * (see man/kchat.1, BATCH MODE); ui_event_name() gives them. */
#ifndef KCHAT_UI_EVENT_H
#define KCHAT_UI_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UI_EV_INVITATION,  /* invitation, a2b, b2a, id                        (batch: invitation) */
    UI_EV_HANDSHAKE,   /* step 1..3, out (true: we sent it), ms since start (batch: handshake) */
    UI_EV_ESTABLISHED, /* peer (identifier), suite, ms                      (batch: established) */
    UI_EV_MESSAGE,     /* seq, text: a message from the peer               (batch: message) */
    UI_EV_SENT,        /* seq, text: our message was accepted by Kafka      (batch: sent) */
    UI_EV_ECHO,        /* seq, text, ms (round trip): echo of our seq       (batch: echo) */
    UI_EV_DELIVERED,   /* seq: the peer acknowledged our seq                (batch: delivered) */
    UI_EV_REJECTED,    /* reason, offset: a record that was not accepted    (batch: rejected) */
    UI_EV_GAP,         /* from, to: peer messages missing after the grace   (batch: gap) */
    UI_EV_ERROR,       /* text: something failed                            (batch: error) */
    UI_EV_STATE,       /* state (ui_state), text: detail                    (batch: state) */
    UI_EV_PEER_LEFT,   /* peer: the peer closed the channel                 (batch: peer-left) */
    UI_EV_REKEY,       /* seq: new key epoch, out: our sending direction     (batch: rekey) */
    UI_EV_LOG,         /* text: a library or diagnostic log line            (batch: log, stderr) */
    UI_EV_STATS,       /* counters below are filled in                      (batch: stats) */
    UI_EV_HISTORY,     /* seq, text, out (ours), ms (wall clock, Unix ms): a message of the
                          conversation's history, shown at start     (batch: history) */
    UI_EV_DONE,        /* the session ended; code is the exit status        (batch: none) */
} ui_event_type;

typedef enum {
    UI_STATE_CONNECTING, /* connecting to Kafka */
    UI_STATE_WAITING,    /* waiting for the peer */
    UI_STATE_HANDSHAKING,
    UI_STATE_SECURE,
    UI_STATE_BROKEN, /* broker unreachable or channel failed; retrying */
    UI_STATE_CLOSED,
} ui_state;

/* Which side this process is: the front end says so with its name ("Bob", "Alice"). */
typedef enum {
    UI_ROLE_BOB,   /* kchat listen */
    UI_ROLE_ALICE, /* kchat connect */
} ui_role;

/* Why a record was not accepted (UI_EV_REJECTED); ui_reject_name gives batch mode's word. */
typedef enum {
    UI_REJECT_MALFORMED,       /* malformed: not a well-formed kchat record */
    UI_REJECT_TAMPERED,        /* tampered: failed authentication */
    UI_REJECT_REPLAYED,        /* replayed: already seen */
    UI_REJECT_UNTRUSTED,       /* untrusted: from a key we do not trust */
    UI_REJECT_UNKNOWN_SESSION, /* unknown-session: from another session */
    UI_REJECT_UNAUTHENTICATED, /* unauthenticated: a handshake without the invitation's proof */
    UI_REJECT_OTHER_PEER,      /* other-peer: the invitation already belongs to another peer */
    UI_REJECT_UNKNOWN_ECHO,    /* unknown-echo: an echo of a message we never sent */
} ui_reject;

typedef struct ui_stats {
    uint64_t sent, delivered, echoed, received, rejected, gaps;
    double last_rtt_ms;
} ui_stats;

typedef struct ui_event {
    ui_event_type type;
    ui_state state;
    int step;       /* handshake step 1..3 */
    bool out;       /* handshake direction or rekey direction */
    bool confirmed; /* UI_EV_STATE secure: the peer has confirmed the handshake (Alice) */
    /* A message or echo the sender records as shown once the front end has it (event queue
     * receipts): a front end shows it only after event_queue_wait_recorded. */
    bool receipt;
    int code;     /* exit status for UI_EV_DONE */
    uint64_t seq; /* message sequence number */
    uint64_t from, to;
    int64_t offset;   /* Kafka offset of a rejected record, -1 if unknown */
    double ms;        /* handshake time, round trip, ... */
    double at_ms;     /* when it was queued for the front end: CLOCK_MONOTONIC ms (0: not yet) */
    char *text;       /* message text, error text, log line, state detail */
    size_t text_len;  /* bytes of text (a message may hold NUL bytes); 0: use strlen */
    char *peer;       /* peer identifier */
    char *name;       /* the peer's display name (--name), NULL if none: UI_EV_ESTABLISHED */
    char *suite;      /* Noise protocol name */
    ui_reject reason; /* UI_EV_REJECTED: why */
    char *invitation, *a2b, *b2a, *id;
    ui_stats stats;
} ui_event;

const char *ui_event_name(ui_event_type t);
const char *ui_state_name(ui_state s);
/* "tampered", "replayed", ... (batch mode's reason=). */
const char *ui_reject_name(ui_reject r);
/* "Bob" or "Alice". */
const char *ui_role_name(ui_role r);
void ui_event_free(ui_event *ev);
/* Wipes a NUL-terminated string that may hold a secret (an invitation), then frees it. */
void ui_secret_free(char *s);

#endif
