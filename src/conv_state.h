/* conv_state: the journal of one side of one conversation, so a killed process resumes it: the
 * conversation id, our next sequence number and our messages not yet acknowledged (with their
 * texts), which of the peer's messages were shown, how far ours were acknowledged and echoed.
 * Alice keeps one per invitation; Bob can keep his undelivered messages in one too.
 *
 * Every change is applied in memory at once and queued; conv_state_sync writes the queue as one
 * sealed record (crypto/store_key.h; texts are never on disk in clear) with one write and one
 * fdatasync, so the engine calls it once per step, before sending anything it journaled. A crash
 * before the sync completes loses exactly that step, which was never sent. The file is compacted
 * (rewritten atomically as a snapshot) at open and when it outgrows 4 times its live data.
 * Path: $XDG_STATE_HOME/kchat/conv/<hex> (else ~/.local/state/...), 0600 in a 0700 directory.
 * Everything read from disk is bounded (CONV_STATE_*_MAX); damage is an error, never a crash.
 *
 * Wiring: open at session start (Alice: conv id, seen, outbox and echoed from the getters
 * instead of fresh ones); mirror each outbox_push, outbox_ack, shown message, echo prefix,
 * conversation change and renumbering with the call of the same name; conv_state_sync once per
 * step before sending; conv_state_close at exit. One process per file (an flock on <path>.lock). */
#ifndef KCHAT_CONV_STATE_H
#define KCHAT_CONV_STATE_H

#include "src/hs_payload.h"
#include "src/outbox.h"
#include "src/seqset.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONV_STATE_TEXT_MAX (1u << 20)         /* bytes of one message (CHANNEL: 1 MiB) */
#define CONV_STATE_MSG_MAX 65536u              /* undelivered messages */
#define CONV_STATE_BYTES_MAX (64u << 20)       /* their text bytes */
#define CONV_STATE_ABOVE_MAX 65536u            /* shown numbers kept above the shown prefix */
#define CONV_STATE_SEQ_MAX (UINT64_C(1) << 62) /* sequence numbers we accept */
#define CONV_STATE_NAME_LEN 32                 /* hex characters of a file name */
/* Journals smaller than this are never compacted (a compaction is a whole rewrite with three
 * syncs: at 256 KiB a chat of 64 KiB messages paid one every fourth message). */
#define CONV_STATE_COMPACT_MIN (16u << 20)

typedef struct conv_state conv_state;

/* The file name (CONV_STATE_NAME_LEN hex characters) of the conversation on the invitation with
 * these topics and inviter (Bob's identifier; "" without an invitation), for the side that
 * listens (Bob) or connects (Alice). The history uses the same name. */
void conv_state_name(char out[CONV_STATE_NAME_LEN + 1], bool listener, const char *a2b,
                     const char *b2a, const char *bob_id);
/* $XDG_STATE_HOME/kchat/<dir>/<name> (dir "conv" or "history"). 0 or -1. */
int conv_state_path(char *out, size_t cap, const char *dir, const char *name);

/* Opens (create: or creates, with a fresh random conversation id) the journal at path, sealed
 * with key (STORE_KEY_LEN bytes, kept by reference: it must outlive the state). Replays it,
 * drops a torn last record, and compacts the file. NULL with err filled (errno ENOENT when
 * missing and !create). */
conv_state *conv_state_open(const char *path, const uint8_t *key, bool create, char *err,
                            size_t errlen);
/* True when the file existed: a conversation resumed. */
bool conv_state_resumed(const conv_state *st);
void conv_state_close(conv_state *st);

/* Getters. */
const uint8_t *conv_state_conv(const conv_state *st);     /* HS_CONV_LEN bytes */
uint64_t conv_state_next_seq(const conv_state *st);       /* our next sequence number */
uint64_t conv_state_acked_upto(const conv_state *st);     /* ours 1..acked acknowledged */
uint64_t conv_state_echoed_upto(const conv_state *st);    /* ours 1..echoed echoed */
const seqset *conv_state_shown_set(const conv_state *st); /* the peer's messages shown */
/* Our undelivered messages, oldest first (outbox_at(conv_state_pending(st), i)); the texts are
 * the state's: copy them into the engine's outbox. */
const outbox *conv_state_pending(const conv_state *st);
/* For the engine at start: initialises out (its outbox: pending messages with their numbers,
 * next seq, acked), seen (the peer's messages shown) and echoed (ours echoed, as a prefix) from
 * the state; any may be NULL. 0, or -1 when out of memory (all three freed then). */
int conv_state_restore(const conv_state *st, outbox *out, seqset *seen, seqset *echoed);

/* Changes (journaled; durable after the next conv_state_sync). Each returns 0, or -1 when the
 * change is invalid (a seq not above the last one, a text too long, limits) or memory runs out;
 * nothing is changed then. */
/* Our message seq (>= next seq, and next seq itself while messages are pending: the pending
 * messages are consecutive, as in an outbox). */
int conv_state_msg(conv_state *st, uint64_t seq, uint64_t echo_of, uint8_t flags, const void *text,
                   size_t len);
/* The peer acknowledged ours up to upto (< next seq): they are dropped. Lower values: no-op. */
int conv_state_acked(conv_state *st, uint64_t upto);
/* The peer's message seq was shown. Already shown: no-op. */
int conv_state_shown(conv_state *st, uint64_t seq);
/* The peer's messages 1..upto count as shown (settled elsewhere, e.g. Bob's base). */
int conv_state_shown_upto(conv_state *st, uint64_t upto);
/* The peer echoed ours up to upto (< next seq). Lower values: no-op. */
int conv_state_echoed(conv_state *st, uint64_t upto);
/* The conversation id; a new id starts the peer's numbering anew (nothing of theirs shown). */
int conv_state_set_conv(conv_state *st, const uint8_t conv[HS_CONV_LEN]);
/* As outbox_renumber: echoes dropped, the rest numbered from first as never sent. */
int conv_state_renumber(conv_state *st, uint64_t first);
/* As outbox_free + outbox_init(1): every message dropped, our numbering restarts from 1. */
int conv_state_clear(conv_state *st);

/* Writes what changed since the last write as one record (or compacts the file): a killed
 * process finds it, a power loss may not until conv_state_sync. 0 or -1 with err filled; after
 * a failure the changes stay queued. */
int conv_state_write(conv_state *st, char *err, size_t errlen);
/* conv_state_write, then fdatasync. 0 or -1 with err filled; after a failure the changes stay
 * queued (or, written, are synced by the next sync). */
int conv_state_sync(conv_state *st, char *err, size_t errlen);

/* Replays a journal file's bytes (for the fuzz target): 0 or -1 with err filled. */
int conv_state_parse(const uint8_t *data, size_t len, const uint8_t *key, char *err, size_t errlen);

#endif
