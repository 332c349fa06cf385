/* history: the messages a side has shown (the peer's and its own), kept sealed at rest with the
 * identity's store key (crypto/store_key.h), so a resumed conversation can show its last lines.
 * An append-only sealed log (src/sealed_log.h), one record per message; unreadable without the
 * identity. Bounded: when it holds more than HISTORY_SLACK times `keep` messages or
 * HISTORY_BYTES_MAX bytes it is rewritten with the last `keep` messages (at most
 * 1/HISTORY_SLACK of the byte bound): each message is copied a third of a time on average, not
 * once (a busy conversation paid a rewrite every `keep` messages). Texts longer than
 * HISTORY_TEXT_MAX are kept cut (the entry says so). Appends are queued and written together
 * (one write) by history_flush, which the session calls with each write of its journal, before
 * what they hold is shown (a killed process loses nothing shown), and by history_last,
 * history_sync and history_close (and once HISTORY_PEND_MAX bytes are queued); fdatasynced by
 * history_sync / history_close.
 * Path: $XDG_STATE_HOME/kchat/history/<name> (conv_state_name, conv_state_path). */
#ifndef KCHAT_HISTORY_H
#define KCHAT_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HISTORY_TEXT_MAX (64u << 10)
#define HISTORY_BYTES_MAX (8u << 20)
#define HISTORY_KEEP_DEFAULT 1000
#define HISTORY_KEEP_MAX 100000
#define HISTORY_SLACK 4
#define HISTORY_PEND_MAX (256u << 10) /* bytes of entries queued before they are written */
#define HISTORY_PEND_MAX_N 4096       /* entries queued */

enum { HISTORY_PEER = 0, HISTORY_OURS = 1 };

typedef struct history_entry {
    uint8_t dir; /* HISTORY_PEER or HISTORY_OURS */
    bool cut;    /* the text was longer than HISTORY_TEXT_MAX */
    uint64_t seq;
    int64_t time_ms; /* wall clock, Unix milliseconds */
    const uint8_t *text;
    size_t len;
} history_entry;

typedef struct history history;
/* Called oldest first; the entry and its text are valid during the call only. */
typedef void (*history_fn)(void *ctx, const history_entry *e);

/* Opens or creates the history at path (its directories 0700, the file 0600), sealed with key
 * (STORE_KEY_LEN bytes, kept by reference). keep: messages kept at rotation (1..HISTORY_KEEP_MAX,
 * 0: HISTORY_KEEP_DEFAULT). NULL with err filled: damaged, or sealed by another identity. */
history *history_open(const char *path, const uint8_t *key, size_t keep, char *err, size_t errlen);
/* Queues one message (texts longer than HISTORY_TEXT_MAX are cut). 0 or -1 with err filled. */
int history_add(history *h, uint8_t dir, uint64_t seq, int64_t time_ms, const void *text,
                size_t len, char *err, size_t errlen);
/* Writes the queued messages (one write, no sync), rotating the file when it is due. 0 or -1
 * with err filled (the queued messages are then dropped). */
int history_flush(history *h, char *err, size_t errlen);
/* Calls fn for the last n messages, oldest first. 0 or -1 with err filled. */
int history_last(history *h, size_t n, history_fn fn, void *ctx, char *err, size_t errlen);
size_t history_count(const history *h); /* messages in the file and queued */
int history_sync(history *h, char *err, size_t errlen);
void history_close(history *h); /* syncs */

/* Replays a history file's bytes (for the fuzz target and tests): 0 or -1. */
int history_parse(const uint8_t *data, size_t len, const uint8_t *key, char *err, size_t errlen);

#endif
