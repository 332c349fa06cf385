/* session_internal: the session's state, in parts, each written by one file that runs on the
 * session thread (session.c: thread, loop and input; session_hs.c: handshakes and the channel;
 * session_rx.c: incoming records (rx); session_tx.c: outgoing messages, retransmission and
 * acknowledgements (tx); session_store.c: the listen state (store); session_emit.c: events).
 * A file reads another's part through the functions declared below, never writes it. Only the
 * input queue is touched by other threads, under in_lock. */
#ifndef KCHAT_SESSION_INTERNAL_H
#define KCHAT_SESSION_INTERNAL_H

#include "crypto/channel.h"
#include "src/hs_payload.h"
#include "src/outbox.h"
#include "src/reassembly.h"
#include "src/seqset.h"
#include "src/session.h"
#include "src/wake.h"

#include <pthread.h>

#define SESSION_OLD_IDS 16
#define SESSION_PENDING 4 /* Bob: handshakes answered at once, waiting for message 3 */
#define SESSION_RTO_MS 1000.0
#define SESSION_RTO_MAX_MS 8000.0
#define SESSION_GAP_GRACE_MS 300.0
#define SESSION_REASM_MAX_MS 30000.0 /* an incomplete message is dropped after this */
#define SESSION_HS_RETRY_MS 5000.0
#define SESSION_REHANDSHAKE_MS 5000.0
/* After a Kafka outage ends for us, how long the peer may stay silent (its own clients may still
 * be waiting out the same election) before a handshake tries again. */
#define SESSION_KAFKA_GRACE_MS 8000.0
/* Records of ours handed to Kafka and none taken for this long: Kafka is stuck for us (no leader
 * yet, not enough in-sync replicas), which is said and not counted as the peer's silence. */
#define SESSION_KAFKA_STALL_MS 2000.0
/* How long a Kafka wait that may span a leader election (end offsets) may take. */
#define SESSION_KAFKA_WAIT_MS 30000
#define SESSION_MAX_INFLIGHT 4096
#define SESSION_MAX_INFLIGHT_BYTES (4u * 1024u * 1024u)
#define SESSION_UNCONFIRMED_INFLIGHT 16
#define SESSION_UNCONFIRMED_BYTES (64u * 1024u)
#define SESSION_BATCH 512
/* Back-pressure: the outbox takes lines while it holds fewer than these; beyond them lines wait
 * in the input queue, and session_post_line() waits while that holds SESSION_INPUT_MAX_BYTES. */
#define SESSION_OUTBOX_MAX 8192
#define SESSION_OUTBOX_MAX_BYTES (4u * 1024u * 1024u) /* also held by the journal */
#define SESSION_INPUT_MAX_BYTES (2u * 1024u * 1024u)
/* Lines taken per step (beyond one line): each step's journal record, and its sealed copy, stay
 * small; the loop comes back at once for the rest. */
#define SESSION_STEP_BYTES (256u * 1024u)
/* A standalone acknowledgement waits this long for an outgoing message to ride on, unless
 * SESSION_ACK_EVERY messages are waiting for one. */
#define SESSION_ACK_DELAY_MS 20.0
#define SESSION_ACK_EVERY 32
/* With a journal, the listen state's position reaches the disk at least this often. */
#define SESSION_STATE_SYNC_MS 1000.0
/* Several unsent (or due) messages, each small enough, go out as one batch record of at most
 * this much body: as full as one record may be. Only what already waits is batched (a lone
 * message goes at once, as a message record), so a fuller record delays nothing; it takes the
 * per-record costs (Kafka record, nonce, padding, delivery report, wake-ups) once for all of
 * its messages, and lets three 64 KiB messages share one. */
#define SESSION_BATCH_BYTES CHANNEL_MAX_BODY

typedef struct sent_time {
    uint64_t seq;
    double ms;
} sent_time;

/* Bob: a handshake answered with message 2, waiting for message 3. */
typedef struct pending_hs {
    channel *ch; /* NULL: free slot */
    uint8_t conv[HS_CONV_LEN];
    uint64_t base;   /* our first unacknowledged seq, as told in message 2 */
    double start_ms; /* message 1 read */
    bool refused;    /* an untrusted message 3 was reported for it */
} pending_hs;

typedef struct input_item {
    enum { IN_LINE, IN_EOF, IN_COMMAND } kind;
    session_command cmd; /* IN_COMMAND */
    size_t len;
    struct input_item *next;
    char text[]; /* len bytes and a NUL */
} input_item;

/* A message or echo handed to the front end and not yet shown there (cfg.front_confirms): it
 * is acknowledged, echoed and recorded as shown once the event queue's receipt covers qno. */
typedef struct unsettled {
    uint64_t qno;     /* number of its event in the event queue (0: not pushed yet) */
    uint64_t seq;     /* the peer's message */
    bool echo;        /* the message is an echo (of echo_of, when that is new and valid) */
    uint64_t echo_of; /* the echo of our message it carries, or 0 */
    uint8_t *text;    /* Bob with --echo: the text to echo (wiped when freed), else NULL */
    size_t len;
    /* not a message: our messages up to here were acknowledged, journaled once the front end
     * has the delivered events that say so (0: a message) */
    uint64_t acked_upto;
} unsettled;

/* Receiving: written only by session_rx.c. */
typedef struct session_rx_part {
    seqset seen;          /* peer messages handed to the front end */
    seqset shown;         /* peer messages on the screen: settled (acknowledged, recorded) */
    uint64_t acked_in;    /* peer messages we acknowledge */
    reassembly reasm;     /* fragments of peer messages */
    seqset echoed;        /* Alice: our messages whose echo came back */
    seqset echo_shown;    /* Alice: those whose echo is on the screen (settled) */
    unsettled *unsettled; /* handed over, not yet shown: [unsettled_head, n_unsettled) */
    size_t unsettled_head, n_unsettled, cap_unsettled;
    uint64_t settled_qno;    /* the event number of the last one settled */
    uint64_t echo_queued;    /* Bob: highest peer seq echoed by this process */
    uint64_t echo_confirmed; /* Bob: highest peer seq whose echo Kafka has taken */
    uint64_t gap_reported;   /* peer seqs up to here have been checked for gaps */
    double gap_due_ms;       /* when to look at holes again (0: none) */
} session_rx_part;

/* Sending: written only by session_tx.c. */
typedef struct session_tx_part {
    outbox out;
    size_t first_untx;   /* outbox index of the first message not yet sent in this session */
    size_t untx_bytes;   /* text bytes of the messages from first_untx on */
    double next_retx_ms; /* earliest retransmission due */
    uint64_t ack_sent;   /* the last acknowledgement we sent */
    bool ack_due;
    double ack_due_ms; /* when a standalone acknowledgement goes out if nothing carries it */
    bool broker_down;
    size_t in_kafka;      /* records handed to Kafka without a delivery report yet */
    double kafka_wait_ms; /* since when Kafka has taken none of them (0: none waiting) */
    bool kafka_stalled;   /* SESSION_KAFKA_STALL_MS without Kafka taking one */
    bool stall_said;      /* ... and said so */
    bool delivered_now;   /* session_tx_acked: delivered events were emitted */
    channel_record batch[RECORD_BATCH_MAX]; /* the messages of the batch being sealed */
    sent_time sent_times[8192]; /* first transmission of our recent messages, for round trips */
} session_tx_part;

/* Persistence: written only by session_store.c (with cfg.state, the listen state it keeps). */
typedef struct session_store_part {
    bool dirty;       /* cfg.state changed since it was last saved */
    bool unsynced;    /* written since the last sync (with a journal: see session_store_save) */
    double synced_ms; /* the last sync */
} session_store_part;

/* The conversation journal and history (cfg.journal, cfg.history): written only by
 * session_journal.c. */
typedef struct session_journal_part {
    bool failed;      /* a journal write failed: the session ends, nothing more is sent */
    bool history_off; /* a history write failed: no more history (said once) */
} session_journal_part;

struct session {
    /* session.c */
    session_config cfg;
    event_queue *events;
    const char *in_topic, *out_topic;

    /* input from the front end */
    pthread_mutex_t in_lock;
    pthread_cond_t in_room; /* signalled when lines leave the input queue, or the session ends */
    input_item *in_head, *in_tail;   /* lines, then the end of input */
    input_item *cmd_head, *cmd_tail; /* commands: taken at once, never behind a backlog */
    size_t in_bytes;                 /* what the queued lines cost: text and items */
    bool in_closed;                  /* the session thread has ended: posts no longer wait */
    bool in_refused; /* a line was refused for want of room: signal room_wake when there is */
    bool in_more;    /* session thread: the last step left lines the outbox has room for */
    wake room_wake;
    wake in_wake;
    pthread_t thread;
    bool started;
    /* cfg.state_later: what session_attach_state handed over, under attach_lock */
    pthread_mutex_t attach_lock;
    pthread_cond_t attach_cond;
    bool attached;
    conv_state *attach_journal;
    history *attach_history;
    char attach_err[4096];
    bool own_thread; /* the loop runs on the session thread (not stepped by a test) */
    int exit_code;

    /* Kafka (or the tests' in-memory topics) and the time */
    transport tp;
    bool receiving; /* the transport is open and not yet closed */
    kchat_clock clock;
    int64_t startup_end;    /* records below this offset predate us */
    double kafka_out_since; /* Kafka said it is electing a leader or so (0: it flows) */

    uint64_t send_epoch, recv_epoch; /* the channel's epochs last reported */
    bool input_eof, done;
    double deadline_ms;

    /* session_hs.c: the channel and the handshake */
    channel *ch;                         /* the current channel (Alice: also while handshaking) */
    pending_hs pending[SESSION_PENDING]; /* Bob: handshakes in progress; one replaces ch */
    channel_hs1_guard hs1_guard; /* Bob: messages 1 admitted (mac1, fresh, not seen before) */
    bool skew_told;              /* Bob: a stale message 1 was explained once */
    char pinned[LISTEN_STATE_PEER_MAX + 1]; /* Bob: the only peer this invitation admits */
    bool confirmed;                         /* the peer proved it holds the keys */
    bool ever_established;
    uint8_t old_ids[SESSION_OLD_IDS][FRAME_SESSION_LEN]; /* our earlier session ids */
    size_t n_old;
    uint8_t conv[HS_CONV_LEN];
    bool has_conv;
    bool peer_echoes;
    double hs_start_ms;              /* this handshake series began */
    double hs_sent_ms;               /* last message 1 sent */
    double last_peer_ms;             /* last authenticated frame from the peer */
    double silence_excused_until;    /* after a Kafka outage: the peer is not silent before */
    char hs_fail[512];               /* why the last handshake attempt failed, if known */
    char peer_name[HS_NAME_MAX + 1]; /* the peer's display name, from its handshake message */

    session_rx_part rx;
    session_tx_part tx;
    session_store_part store;
    session_journal_part journal;

    /* session_emit.c: events are held during a batch so state can be saved before anything is
     * shown; the counters of the stats event */
    ui_event **held;
    size_t n_held, cap_held;
    ui_stats stats;
    bool stats_dirty;
    double stats_ms; /* last stats event */

    /* scratch space of the session thread */
    uint8_t frame_buf[CHANNEL_MAX_FRAME];
    uint8_t open_buf[CHANNEL_MAX_FRAME];
};

/* session.c */
/* The transport of sessions whose config names none; NULL: Kafka. Set only by tests that run a
 * front end (app_run, cmd_connect) on the in-memory transport. */
extern const transport_factory *session_default_transport;
double session_now_ms(const session *s);
/* The session thread's life, in parts a test can drive on its own thread with a clock and a
 * transport of its own: begin (connect, Alice's first handshake message), then step (one turn of
 * the loop, without waiting) until done, then end (close record, flush, the DONE event).
 * session_wait_ms says how long the loop may sleep before its next timer. */
void session_begin(session *s);
void session_step(session *s);
int session_wait_ms(const session *s);
void session_end(session *s);
void session_finish(session *s, int code);
ui_state session_current_state(const session *s);

/* session_emit.c */
ui_event *session_event(ui_event_type type);
void session_emit(session *s, ui_event *ev);
void session_emit_text(session *s, ui_event_type type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void session_emit_state(session *s, ui_state st, const char *detail);
/* Alice: Bob confirmed the handshake (state secure, detail "confirmed by the peer"). */
void session_emit_confirmed(session *s);
void session_emit_rejected(session *s, ui_reject reason, int64_t offset);
/* The same, naming the identity that was refused (peer may be NULL). */
void session_emit_rejected_peer(session *s, ui_reject reason, const char *peer, int64_t offset);
/* Why a record with this channel_result was rejected. */
ui_reject session_reject_reason(int rc);
void session_emit_stats(session *s);
void session_flush_events(session *s);
typedef enum { STAT_SENT, STAT_DELIVERED, STAT_ECHOED, STAT_RECEIVED, STAT_GAPS } session_stat;
void session_count(session *s, session_stat which);
void session_note_rtt(session *s, double ms);
/* A stats event when the counters changed and the last one is old enough. */
void session_stats_tick(session *s, double now);

/* session_hs.c */
void session_hs_init(session *s, const listen_state *st);
/* The conversation id: Bob's from his listen state, Alice's from her journal (else a new one). */
void session_hs_init_conv(session *s, const listen_state *st);
void session_hs_free(session *s);
int session_hs_begin(session *s);
void session_hs_frame(session *s, const frame *f, const uint8_t *buf, size_t len, int64_t offset);
void session_hs_timers(session *s, double now);
bool session_is_old_id(const session *s, const uint8_t *id);
/* A handshake is under way (Alice: not yet secure; Bob: a message 3 is awaited). */
bool session_hs_pending(const session *s);
void session_hs_free(session *s);
void session_hs_confirmed(session *s);
/* An authenticated frame from the peer arrived (it confirms the channel). */
void session_hs_heard(session *s);
/* Kafka was out and flows again: the peer's silence meanwhile does not count. */
void session_hs_excuse_silence(session *s);
/* The peer closed the channel. */
void session_peer_left(session *s);

/* session_rx.c */
void session_rx_init(session *s, const listen_state *st);
void session_rx_free(session *s);
/* A new conversation: nothing of the peer's seen yet. */
void session_rx_reset(session *s);
/* Alice: the peer's messages below base were settled earlier (message 2). */
void session_rx_take_base(session *s, uint64_t base);
void session_rx_data(session *s, const frame *f, const uint8_t *buf, size_t len, int64_t offset);
void session_rx_timers(session *s, double now);
int64_t session_rx_done_offset(session *s, int64_t offset);
/* The peer messages we acknowledge (1..this). */
uint64_t session_rx_acked(const session *s);
/* Alice: our messages whose echo came back and is on the screen. */
const seqset *session_rx_echoed(const session *s);
/* Bob: the echo of the peer's message echo_of is in Kafka, so that message may be acknowledged. */
void session_rx_echo_taken(session *s, uint64_t echo_of);
/* Our messages up to upto were acknowledged (delivered: with delivered events, which ask for a
 * receipt): journaled now, or once the front end has those events (and before a new
 * conversation renumbers anything). */
void session_rx_defer_acked(session *s, uint64_t upto, bool delivered);
/* The events held so far were pushed; the last has number qno in the event queue. */
void session_rx_pushed(session *s, uint64_t qno);
/* Settles what the front end has shown (cfg.front_confirms): acknowledges, echoes and records
 * it. Returns the number of the event a receipt is still awaited for (0: none). */
uint64_t session_rx_settle(session *s);
/* The event number of the oldest message waiting for the front end's receipt (0: none). */
uint64_t session_rx_unsettled_qno(const session *s);
/* The event number of the last message settled (what the journal records once synced). */
uint64_t session_rx_settled_qno(const session *s);
/* The front end showed something not yet settled: the loop must not sleep. */
bool session_rx_settle_ready(const session *s);

/* session_tx.c */
void session_tx_init(session *s, const listen_state *st);
void session_tx_free(session *s);
/* A new conversation: the outbox starts over at 1. */
void session_tx_reset(session *s);
/* The pinned peer starts a new conversation: echoes dropped, the rest numbered from base. */
void session_tx_renumber(session *s, uint64_t base);
const outbox *session_tx_outbox(const session *s);
/* When our message seq was first sent, if still known. */
const double *session_tx_sent_time(const session *s, uint64_t seq);
int session_tx_frame(session *s, const uint8_t *buf, size_t len, uint64_t token);
int session_tx_record(session *s, const channel_record *r, uint64_t token);
void session_tx_queue(session *s, const uint8_t *text, size_t len, uint64_t echo_of);
void session_tx_pump(session *s, double now);
void session_tx_ack(session *s, double now);
/* An acknowledgement is owed: it rides on the next message, or goes alone when due. */
void session_ack_soon(session *s, bool now);
/* The acknowledgement goes out again even if unchanged (it was lost, or confirms the keys). */
void session_tx_ack_again(session *s);
/* Handshake message 3 carried our acknowledgement. */
void session_tx_ack_carried(session *s);
/* Milliseconds until the next timer of the transmit side (the poll timeout), at most cap. */
int session_tx_wait_ms(const session *s, double now, int cap);
void session_tx_close(session *s);
void session_tx_acked(session *s, uint64_t upto);
void session_tx_delivery(void *ctx, uint64_t token, int64_t offset, const char *err);
/* Notes (tx.kafka_stalled) that Kafka has taken none of our records for SESSION_KAFKA_STALL_MS,
 * said once, as soon as no outage is being said; when Kafka takes one again the peer's silence
 * is excused as after an outage. Called by each step's timers, before the handshake's. */
void session_tx_watch_kafka(session *s, double now);
void session_tx_restart(session *s, uint64_t peer_acked);

/* session_store.c: the listen state (cfg.state), saved to cfg.state_path by session_store_save
 * when something changed. Without a state nothing is kept. */
void session_store_shown(session *s, uint64_t upto);
void session_store_acked(session *s, uint64_t upto);
void session_store_send_next(session *s, uint64_t next);
void session_store_sid(session *s, const uint8_t *sid);
/* A new conversation: nothing of the peer's shown; our next seq as the outbox has it. */
void session_store_new_conv(session *s, const uint8_t *conv);
/* The invitation is pinned to the identifier id (rewrites the whole state at the next save). */
void session_store_pin(session *s, const char *id);
void session_store_save(session *s);
/* Saved and on disk (at the end). */
void session_store_sync(session *s);

/* session_journal.c: mirrors the other parts' changes into cfg.journal (and the history), each
 * with the conv_state call of the same name; nothing happens without a journal. A journal that
 * cannot take a change or be synced ends the session (exit 1): nothing unjournaled is sent. */
void session_journal_msg(session *s, const out_msg *m);
void session_journal_acked(session *s, uint64_t upto);
/* The peer's message seq, for the history. */
void session_journal_history(session *s, uint64_t seq, const uint8_t *text, size_t len);
/* Alice: the peer's message seq is on the screen. */
void session_journal_shown(session *s, uint64_t seq);
void session_journal_shown_upto(session *s, uint64_t upto);
void session_journal_echoed(session *s, uint64_t upto);
void session_journal_new_conv(session *s, const uint8_t *conv);
void session_journal_renumber(session *s, uint64_t first);
void session_journal_clear(session *s);
/* Once per step, before anything journaled in it is sent (see session_step). */
void session_journal_sync(session *s);
/* The journal's changes written, not yet synced: what a killed process finds (session_step
 * shows messages after this, sends after session_journal_sync). */
void session_journal_write(session *s);
bool session_journal_failed(const session *s);
/* The last cfg.history_show messages of the history, as UI_EV_HISTORY events. */
void session_journal_show_history(session *s);

#endif
