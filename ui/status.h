/* status: the status bar's content, pure (no curses): role, channel state, identifiers, topics,
 * counters and round trip, laid out as segments that fit a width by dropping the least
 * important ones first. */
#ifndef KCHAT_UI_STATUS_H
#define KCHAT_UI_STATUS_H

#include "ui/ui_event.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct tui_status {
    ui_role role;
    bool state_known; /* false until the first state or handshake event */
    ui_state state;
    int hs_step;        /* last handshake step seen, 0..3 */
    bool unconfirmed;   /* secure on our side, the peer has not confirmed yet (Alice) */
    bool quitting;      /* the user asked to quit; waiting for the session */
    char own_short[24]; /* "abcd-efgh-ijkl" */
    char peer_short[24];
    char a2b[64], b2a[64]; /* topic names (display only, truncated) */
    ui_stats stats;
    bool have_rtt;
    unsigned unread; /* peer messages that arrived while scrolled back or unfocused */
} tui_status;

typedef enum { SEG_PLAIN, SEG_GOOD, SEG_BAD } status_tone;

typedef struct status_seg {
    char text[160];
    status_tone tone;
    int prio; /* 0 is kept longest */
} status_seg;

#define STATUS_MAX_SEGS 8
#define STATUS_SEP " │ "

/* The state as words: "connecting to Kafka", "handshaking 2/3", "secure", "closing…". */
const char *status_state_text(const tui_status *st, char *buf, size_t buflen);
/* The segments that fit width columns (joined by STATUS_SEP, plus one space each side), in
 * display order; returns their count. */
size_t status_segments(const tui_status *st, int width, status_seg *out);
/* The whole bar as plain text (for tests and logs). */
void status_text(const tui_status *st, int width, char *out, size_t outlen);

#endif
