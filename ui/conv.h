/* conv: the conversation pane's model, pure (no curses): a bounded list of entries (my messages
 * with their delivery mark and echo, the peer's messages, info and warning lines), the matching
 * of the session's sent/delivered/echo reports to what I typed, the layout of each entry into
 * screen rows for a given width, and the scroll position (rows hidden below the view). */
#ifndef KCHAT_UI_CONV_H
#define KCHAT_UI_CONV_H

#include "ui/wrap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CONV_MAX_ENTRIES 5000
#define CONV_GUTTER 3 /* columns on the right of a message's first row for its mark */

typedef enum {
    CONV_MINE,  /* a message I typed */
    CONV_PEER,  /* a message from the peer */
    CONV_INFO,  /* feedback, help, notices */
    CONV_WARN,  /* rejected records, gaps, errors: never shown as message text */
    CONV_DAY,   /* "── Tuesday 2024-05-07 ──" when the date changes */
    CONV_BLOCK, /* text shown flush left with no prefix (the invitation), easy to copy */
} conv_kind;

typedef enum { MARK_NONE, MARK_QUEUED, MARK_SENT, MARK_DELIVERED } conv_mark;

typedef struct conv_entry {
    uint64_t id;
    conv_kind kind;
    time_t when;
    char *text;     /* UTF-8 as given */
    wchar_t *wtext; /* decoded and sanitized for the screen */
    size_t wlen;
    bool has_seq;
    uint64_t seq;
    conv_mark mark;
    bool echoed;
    bool dim; /* history: shown dimmed */
    double echo_ms;
    wchar_t *wecho; /* the echo line's text (decoded), NULL until echoed */
    size_t wecho_len;
    int cache_width, cache_rows; /* layout cache for the current geometry */
} conv_entry;

typedef struct conv_pending {
    uint64_t id;
    char *text;
} conv_pending;

typedef struct conv {
    conv_entry **items; /* oldest first */
    size_t n, cap;
    conv_pending *pending; /* my typed messages not yet reported sent, oldest first */
    size_t npending, cappending;
    uint64_t next_id;
    int width;  /* pane width in columns */
    int name_w; /* width of the name column ("you" / the peer's short id) */
    int scroll; /* rows hidden below the view; 0: following the newest */
    time_t last_day;
} conv;

/* Where an entry's text goes on screen for a pane width. */
typedef struct conv_geom {
    int indent;     /* column where the text starts (and continuation rows) */
    int text_w;     /* columns for the text */
    bool show_time; /* prefix has "HH:MM:SS " */
    bool show_name; /* prefix has the name column */
} conv_geom;

/* One screen row of an entry: the text part (echo false) or the echo part. */
typedef struct conv_row {
    bool echo;
    bool first;        /* the first row of the entry: carries the prefix and the mark */
    size_t start, end; /* code points of wtext (or wecho) */
} conv_row;

void conv_init(conv *c);
void conv_free(conv *c);
/* Removes every entry (pending matches are kept so later reports still pair up). */
void conv_clear(conv *c);
/* Sets the geometry; invalidates layouts and clamps the scroll when it changed. */
void conv_set_geometry(conv *c, int width, int name_w);

/* Appends an entry; returns it (NULL when out of memory). A CONV_DAY line goes first when the
 * local date changed since the previous entry. */
conv_entry *conv_add(conv *c, conv_kind kind, time_t when, const char *text);
/* A message I typed: appended with MARK_QUEUED and remembered until the session reports it. */
conv_entry *conv_add_mine(conv *c, time_t when, const char *text);
/* UI_EV_SENT: pairs seq with the oldest pending message of that text (else the oldest pending;
 * else appends a new entry) and marks it sent. */
conv_entry *conv_on_sent(conv *c, uint64_t seq, const char *text, time_t when);
/* UI_EV_DELIVERED: marks my message seq delivered; NULL when unknown. */
conv_entry *conv_on_delivered(conv *c, uint64_t seq);
/* UI_EV_ECHO: attaches the echo line to my message seq; NULL when unknown. */
conv_entry *conv_on_echo(conv *c, uint64_t seq, const char *text, double ms);
conv_entry *conv_find_seq(const conv *c, uint64_t seq);
/* My messages on the pane that the peer has not acknowledged yet. */
size_t conv_undelivered(const conv *c);

conv_geom conv_geom_for(conv_kind kind, int width, int name_w);
/* Lays out e for c's geometry: stores up to cap rows and returns the row count. */
size_t conv_layout(const conv *c, const conv_entry *e, conv_row *rows, size_t cap);
/* Row count of e (cached). */
int conv_rows(conv *c, conv_entry *e);
int conv_total_rows(conv *c);
/* Scrolls by delta rows (positive: back in time) for a view of view_h rows. */
void conv_scroll_by(conv *c, int delta, int view_h);
void conv_scroll_bottom(conv *c);
/* Entries lying wholly below the view. */
size_t conv_below(conv *c);

#endif
