/* listen_state: what `kchat listen --resume` needs to come back as the same Bob: the topics, the
 * invitation (it holds the secret: the file is 0600 in a 0700 directory, and the text lives in
 * sodium_malloc'ed memory), the peer the invitation is pinned to (the first identity that
 * completed a handshake under it: nobody else is accepted), and the conversation position (which of
 * Alice's messages were shown and acknowledged, and Bob's next sequence number) so a restarted Bob
 * shows nothing twice. Default path: $XDG_STATE_HOME/kchat/listen.state, else
 * ~/.local/state/kchat/listen.state. The first save writes the whole file atomically (temp file +
 * rename) and keeps it open; later saves overwrite one of two fixed-size position slots in place
 * (generation number + checksum; the loader takes the newest intact slot), so a save is one pwrite:
 * no new inode, no rename. */
#ifndef KCHAT_LISTEN_STATE_H
#define KCHAT_LISTEN_STATE_H

#include "src/hs_payload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LISTEN_STATE_TOPIC_MAX 249
#define LISTEN_STATE_INV_MAX 1024
#define LISTEN_STATE_SID_LEN 16  /* FRAME_SESSION_LEN */
#define LISTEN_STATE_PEER_MAX 64 /* an identifier (IDENTITY_ID_LEN) */

typedef struct listen_state {
    char a2b[LISTEN_STATE_TOPIC_MAX + 1];
    char b2a[LISTEN_STATE_TOPIC_MAX + 1];
    char *invitation; /* LISTEN_STATE_INV_MAX bytes, sodium_malloc'ed, NUL-terminated */
    char peer[LISTEN_STATE_PEER_MAX + 1]; /* the pinned peer's identifier, "" before anyone */
    bool has_conv;
    uint8_t conv[HS_CONV_LEN];
    uint64_t shown;     /* Alice's messages 1..shown were shown */
    uint64_t acked;     /* and 1..acked acknowledged */
    uint64_t send_next; /* Bob's next sequence number */
    bool has_sid;
    uint8_t sid[LISTEN_STATE_SID_LEN]; /* the session (channel) Bob last established: after a
                                        * restart its frames are known to be his own, stale */
    /* not saved: */
    int fd;            /* the file, open after the first save (-1 before) */
    bool header_dirty; /* topics, invitation or peer changed: the next save writes it all */
    uint64_t gen;      /* generation of the newest position slot */
} listen_state;

listen_state *listen_state_new(void);
void listen_state_free(listen_state *st);
int listen_state_default_path(char *out, size_t cap);
/* 0 on success; -1 with err filled (missing file: "no earlier listen to resume (X not found)"). */
int listen_state_load(const char *path, listen_state *st, char *err, size_t errlen);
/* Pins the invitation to the identifier id (saved whole by the next listen_state_save). */
void listen_state_pin(listen_state *st, const char *id);
/* Writes the state (the whole file the first time or after listen_state_pin, else the position
 * slot) and waits until it is on disk. */
int listen_state_save(const char *path, listen_state *st, char *err, size_t errlen);
/* The same, but a position slot is only written (a killed process loses nothing; a power loss may
 * roll the position back to an earlier save): for a caller whose journal keeps what must not
 * roll back (the next sequence number), with listen_state_sync now and then. */
int listen_state_write(const char *path, listen_state *st, char *err, size_t errlen);
/* What listen_state_write wrote reaches the disk. */
int listen_state_sync(const char *path, listen_state *st, char *err, size_t errlen);
/* Parses a state file's bytes into st (exposed for the fuzz target). 0 or -1. */
int listen_state_parse(listen_state *st, const char *data, size_t len);

#endif
