/* win_conversation: draws the conversation model (conv.c) into its window, newest at the bottom,
 * honouring the scroll position, with a "-- more below (N) --" bar when scrolled back. Each row
 * gets its prefix (time, marker › mine / ‹ peer / • info / ⚠ warning, name) and my messages
 * their delivery mark in the right gutter: · queued, ✓ sent to Kafka, ✓✓ delivered. */
#include "ui/tui_internal.h"

#include "ui/format.h"
#include "ui/wrap.h"

#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    tui *t;
    WINDOW *w;
    int h, width;
    char name[48]; /* the peer's display name (--name) or short identifier */
    int name_w;
} ctx;

int conv_view_rows(const tui *t)
{
    return t->w_conv ? getmaxy(t->w_conv) : 0;
}

static void put_pad(WINDOW *w, const char *s, int cols)
{
    int used = tui_put_utf8(w, s, cols);
    for (; used < cols; used++)
        waddch(w, ' ');
}

static void draw_prefix(const ctx *c, const conv_entry *e, const conv_geom *g)
{
    tui *t = c->t;
    char clock[9];
    if (g->show_time) {
        fmt_clock(e->when, clock);
        tui_style_on(t, c->w, ST_TIME);
        waddstr(c->w, clock);
        waddch(c->w, ' ');
    }
    tui_style s = e->kind == CONV_MINE   ? ST_MINE
                  : e->kind == CONV_PEER ? ST_PEER
                  : e->kind == CONV_WARN ? ST_WARN
                                         : ST_DIM;
    const char *marker = e->kind == CONV_MINE   ? "›"
                         : e->kind == CONV_PEER ? "‹"
                         : e->kind == CONV_WARN ? "⚠"
                                                : "•";
    tui_style_on(t, c->w, s);
    put_pad(c->w, marker, 2);
    if (g->show_name) {
        tui_style_on(t, c->w, s);
        put_pad(c->w, e->kind == CONV_MINE ? "you" : c->name, c->name_w + 1);
    }
    tui_style_off(t, c->w, s);
}

static void draw_mark(const ctx *c, const conv_entry *e, int y)
{
    static const char *marks[] = {"", "·", "✓", "✓✓"};
    static const tui_style styles[] = {ST_NORMAL, ST_DIM, ST_NORMAL, ST_GOOD};
    if (e->kind != CONV_MINE || e->mark == MARK_NONE || c->width < CONV_GUTTER + 1)
        return;
    wmove(c->w, y, c->width - 2);
    tui_style_on(c->t, c->w, styles[e->mark]);
    tui_put_utf8(c->w, marks[e->mark], 2);
    tui_style_off(c->t, c->w, styles[e->mark]);
}

static tui_style text_style(const conv_entry *e, bool echo)
{
    if (echo || e->dim)
        return ST_DIM;
    switch (e->kind) {
    case CONV_WARN:
        return ST_WARN;
    case CONV_INFO:
        return ST_INFO;
    case CONV_DAY:
        return ST_DIM;
    default:
        return ST_NORMAL;
    }
}

static void draw_row(const ctx *c, const conv_entry *e, const conv_row *r, const conv_geom *g,
                     int y)
{
    const wchar_t *text = r->echo ? e->wecho : e->wtext;
    int indent = g->indent;
    wmove(c->w, y, 0);
    if (e->kind == CONV_DAY) {
        int tw = wrap_wcs_width(text + r->start, r->end - r->start);
        indent = tw < c->width ? (c->width - tw) / 2 : 0;
    } else if (r->first && e->kind != CONV_BLOCK) {
        draw_prefix(c, e, g);
    }
    wmove(c->w, y, indent);
    tui_style s = text_style(e, r->echo);
    tui_style_on(c->t, c->w, s);
    tui_put_wcs(c->w, text + r->start, r->end - r->start, c->width - indent);
    tui_style_off(c->t, c->w, s);
    if (r->first)
        draw_mark(c, e, y);
}

/* Draws the rows of e that fall inside the window, its first row at line top. */
static void draw_entry(ctx *c, conv_entry *e, int top)
{
    int n = conv_rows(&c->t->conv, e);
    conv_row *rows = malloc((size_t)n * sizeof *rows);
    if (!rows)
        return;
    conv_layout(&c->t->conv, e, rows, (size_t)n);
    conv_geom g = conv_geom_for(e->kind, c->width, c->name_w);
    for (int j = 0; j < n; j++) {
        int y = top + j;
        if (y >= 0 && y < c->h)
            draw_row(c, e, &rows[j], &g, y);
    }
    free(rows);
}

static void draw_more(const ctx *c, size_t below)
{
    char buf[64];
    snprintf(buf, sizeof buf, "-- more below (%zu) --", below);
    int len = (int)strlen(buf);
    wmove(c->w, c->h - 1, 0);
    wclrtoeol(c->w);
    wmove(c->w, c->h - 1, len < c->width ? (c->width - len) / 2 : 0);
    tui_style_on(c->t, c->w, ST_MORE);
    tui_put_utf8(c->w, buf, c->width);
    tui_style_off(c->t, c->w, ST_MORE);
}

void conv_draw(tui *t)
{
    if (!t->w_conv)
        return;
    ctx c = {.t = t, .w = t->w_conv};
    getmaxyx(t->w_conv, c.h, c.width);
    if (t->peer_name) { /* at most 16 columns of it */
        size_t n = wrap_fit_bytes(t->peer_name, strlen(t->peer_name), 16);
        snprintf(c.name, sizeof c.name, "%.*s", (int)n, t->peer_name);
    } else if (t->peer_id)
        fmt_id_groups(t->peer_id, 2, c.name, sizeof c.name);
    else
        snprintf(c.name, sizeof c.name, "peer");
    c.name_w = wrap_width(c.name, strlen(c.name));
    if (c.name_w < 3)
        c.name_w = 3;
    conv_set_geometry(&t->conv, c.width, c.name_w);
    conv_scroll_by(&t->conv, 0, c.h);
    werase(t->w_conv);
    int bottom = c.h - 1 + t->conv.scroll;
    for (size_t i = t->conv.n; i-- > 0 && bottom >= 0;) {
        conv_entry *e = t->conv.items[i];
        int top = bottom - conv_rows(&t->conv, e) + 1;
        if (top < c.h)
            draw_entry(&c, e, top);
        bottom = top - 1;
    }
    if (t->conv.scroll > 0)
        draw_more(&c, conv_below(&t->conv));
    wnoutrefresh(t->w_conv);
}
