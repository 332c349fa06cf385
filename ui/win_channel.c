/* win_channel: the channel pane, a log of what the secure channel and the broker connection do:
 * handshake steps with times, the established suite, rekeys, rejections with reasons and
 * offsets, state changes, errors and library log lines. Newest at the bottom; long lines wrap
 * under their text with the time in front. */
#include "ui/tui_internal.h"

#include "ui/format.h"
#include "ui/wrap.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void chan_init(chanlog *c)
{
    memset(c, 0, sizeof *c);
}

void chan_free(chanlog *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i].w);
    free(c->lines);
    memset(c, 0, sizeof *c);
}

static bool make_room(chanlog *c)
{
    if (c->n == CHAN_MAX_LINES) {
        free(c->lines[0].w);
        memmove(c->lines, c->lines + 1, (c->n - 1) * sizeof *c->lines);
        c->n--;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        chan_line *lines = realloc(c->lines, cap * sizeof *lines);
        if (!lines)
            return false;
        c->lines = lines;
        c->cap = cap;
    }
    return true;
}

void chan_add(tui *t, tui_style style, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    chanlog *c = &t->chan;
    if (!make_room(c))
        return;
    chan_line *l = &c->lines[c->n];
    l->w = wrap_decode_dup(buf, strlen(buf), &l->wlen);
    if (!l->w)
        return;
    l->when = time(NULL);
    l->style = style;
    c->n++;
    if (c->scroll > 0 && c->scroll + 1 < c->n) /* keep the view where the reader left it */
        c->scroll++;
}

void chan_scroll_by(tui *t, int lines)
{
    chanlog *c = &t->chan;
    long s = (long)c->scroll + lines;
    if (s > (long)c->n - 1)
        s = (long)c->n - 1;
    c->scroll = s < 0 ? 0 : (size_t)s;
}

/* Draws line l with its last row at row bottom; returns the row above its first. */
static int draw_line(tui *t, WINDOW *w, const chan_line *l, int bottom, int top_limit, int width)
{
    bool stamp = width >= 25;
    int indent = stamp ? 9 : 0;
    size_t n = wrap_lines(l->w, l->wlen, width - indent, NULL, 0);
    wrap_span *spans = malloc(n * sizeof *spans);
    if (!spans)
        return bottom - 1;
    wrap_lines(l->w, l->wlen, width - indent, spans, n);
    int top = bottom - (int)n + 1;
    for (size_t j = 0; j < n; j++) {
        int y = top + (int)j;
        if (y < top_limit)
            continue;
        if (j == 0 && stamp) {
            char clock[9];
            fmt_clock(l->when, clock);
            wmove(w, y, 0);
            tui_style_on(t, w, ST_TIME);
            waddstr(w, clock);
        }
        wmove(w, y, indent);
        tui_style_on(t, w, l->style);
        tui_put_wcs(w, l->w + spans[j].start, spans[j].end - spans[j].start, width - indent);
        tui_style_off(t, w, l->style);
    }
    free(spans);
    return top - 1;
}

void chan_draw(tui *t)
{
    WINDOW *w = t->w_chan;
    if (!w)
        return;
    int h, width;
    getmaxyx(w, h, width);
    werase(w);
    int top_limit = 0;
    if (t->pane_side) {
        tui_style_on(t, w, ST_BORDER);
        mvwhline_set(w, 0, 0, WACS_HLINE, width);
        wmove(w, 0, 1);
        tui_put_utf8(w, " channel · F2 hides ", width - 1);
        tui_style_off(t, w, ST_BORDER);
        top_limit = 1;
    }
    int bottom = h - 1;
    size_t below = t->chan.scroll < t->chan.n ? t->chan.scroll : 0;
    if (below > 0) {
        char more[64];
        snprintf(more, sizeof more, "-- %zu more below (Alt-PgDn) --", below);
        wmove(w, bottom--, 0);
        tui_style_on(t, w, ST_MORE);
        tui_put_utf8(w, more, width);
        tui_style_off(t, w, ST_MORE);
    }
    for (size_t i = t->chan.n - below; i-- > 0 && bottom >= top_limit;)
        bottom = draw_line(t, w, &t->chan.lines[i], bottom, top_limit, width);
    wnoutrefresh(w);
}
