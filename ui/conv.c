#include "ui/conv.h"

#include "ui/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void conv_init(conv *c)
{
    memset(c, 0, sizeof *c);
    c->next_id = 1;
    c->width = 80;
    c->name_w = 4;
}

static void entry_free(conv_entry *e)
{
    if (!e)
        return;
    free(e->text);
    free(e->wtext);
    free(e->wecho);
    free(e);
}

size_t conv_undelivered(const conv *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += c->items[i]->kind == CONV_MINE && c->items[i]->mark < MARK_DELIVERED;
    return n;
}

void conv_clear(conv *c)
{
    for (size_t i = 0; i < c->n; i++)
        entry_free(c->items[i]);
    c->n = 0;
    c->scroll = 0;
    c->last_day = 0;
}

void conv_free(conv *c)
{
    conv_clear(c);
    free(c->items);
    for (size_t i = 0; i < c->npending; i++)
        free(c->pending[i].text);
    free(c->pending);
    memset(c, 0, sizeof *c);
}

void conv_set_geometry(conv *c, int width, int name_w)
{
    if (width < 1)
        width = 1;
    if (width == c->width && name_w == c->name_w)
        return;
    c->width = width;
    c->name_w = name_w;
    for (size_t i = 0; i < c->n; i++)
        c->items[i]->cache_width = 0;
}

static bool push_entry(conv *c, conv_entry *e)
{
    if (c->n == CONV_MAX_ENTRIES) {
        entry_free(c->items[0]);
        memmove(c->items, c->items + 1, (c->n - 1) * sizeof *c->items);
        c->n--;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        conv_entry **items = realloc(c->items, cap * sizeof *items);
        if (!items)
            return false;
        c->items = items;
        c->cap = cap;
    }
    c->items[c->n++] = e;
    if (c->scroll > 0) /* keep the view where the reader left it */
        c->scroll += conv_rows(c, e);
    return true;
}

static conv_entry *new_entry(conv *c, conv_kind kind, time_t when, const char *text)
{
    conv_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->text = strdup(text ? text : "");
    if (!e->text) {
        free(e);
        return NULL;
    }
    e->wtext = wrap_decode_dup(e->text, strlen(e->text), &e->wlen);
    if (!e->wtext) {
        entry_free(e);
        return NULL;
    }
    e->id = c->next_id++;
    e->kind = kind;
    e->when = when;
    return e;
}

static conv_entry *append(conv *c, conv_kind kind, time_t when, const char *text)
{
    conv_entry *e = new_entry(c, kind, when, text);
    if (e && !push_entry(c, e)) {
        entry_free(e);
        return NULL;
    }
    return e;
}

conv_entry *conv_add(conv *c, conv_kind kind, time_t when, const char *text)
{
    if (kind != CONV_DAY && c->last_day != 0 && fmt_other_day(c->last_day, when)) {
        char day[64], line[96];
        fmt_day(when, day, sizeof day);
        snprintf(line, sizeof line, "── %s ──", day);
        append(c, CONV_DAY, when, line);
    }
    if (kind != CONV_DAY)
        c->last_day = when;
    return append(c, kind, when, text);
}

conv_entry *conv_add_mine(conv *c, time_t when, const char *text)
{
    conv_entry *e = conv_add(c, CONV_MINE, when, text);
    if (!e)
        return NULL;
    e->mark = MARK_QUEUED;
    if (c->npending == c->cappending) {
        size_t cap = c->cappending ? c->cappending * 2 : 16;
        conv_pending *p = realloc(c->pending, cap * sizeof *p);
        if (!p)
            return e;
        c->pending = p;
        c->cappending = cap;
    }
    char *copy = strdup(text);
    if (copy) {
        c->pending[c->npending].id = e->id;
        c->pending[c->npending].text = copy;
        c->npending++;
    }
    return e;
}

static conv_entry *find_id(const conv *c, uint64_t id)
{
    for (size_t i = c->n; i-- > 0;)
        if (c->items[i]->id == id)
            return c->items[i];
    return NULL;
}

conv_entry *conv_find_seq(const conv *c, uint64_t seq)
{
    for (size_t i = c->n; i-- > 0;) {
        conv_entry *e = c->items[i];
        if (e->kind == CONV_MINE && e->has_seq && e->seq == seq)
            return e;
    }
    return NULL;
}

/* Removes and returns the id of the oldest pending message with this text, else the oldest. */
static bool take_pending(conv *c, const char *text, uint64_t *id)
{
    if (c->npending == 0)
        return false;
    size_t k = 0;
    for (size_t i = 0; text && i < c->npending; i++) {
        if (strcmp(c->pending[i].text, text) == 0) {
            k = i;
            break;
        }
    }
    *id = c->pending[k].id;
    free(c->pending[k].text);
    memmove(c->pending + k, c->pending + k + 1, (c->npending - k - 1) * sizeof *c->pending);
    c->npending--;
    return true;
}

conv_entry *conv_on_sent(conv *c, uint64_t seq, const char *text, time_t when)
{
    conv_entry *e = conv_find_seq(c, seq);
    uint64_t id;
    if (!e && take_pending(c, text, &id)) {
        e = find_id(c, id);
        if (!e) /* cleared from the screen meanwhile */
            return NULL;
    }
    if (!e) {
        e = conv_add(c, CONV_MINE, when, text);
        if (!e)
            return NULL;
    }
    e->has_seq = true;
    e->seq = seq;
    if (e->mark < MARK_SENT)
        e->mark = MARK_SENT;
    return e;
}

conv_entry *conv_on_delivered(conv *c, uint64_t seq)
{
    conv_entry *e = conv_find_seq(c, seq);
    if (e)
        e->mark = MARK_DELIVERED;
    return e;
}

conv_entry *conv_on_echo(conv *c, uint64_t seq, const char *text, double ms)
{
    conv_entry *e = conv_find_seq(c, seq);
    if (!e)
        return NULL;
    char rtt[32];
    fmt_ms(ms, rtt, sizeof rtt);
    bool same = !text || strcmp(text, e->text) == 0;
    size_t len = strlen(rtt) + (same ? 0 : strlen(text)) + 64;
    char *line = malloc(len);
    if (!line)
        return e;
    if (same)
        snprintf(line, len, "↳ echoed back in %s", rtt);
    else
        snprintf(line, len, "↳ echoed back in %s, but differs: %s", rtt, text);
    size_t wlen;
    wchar_t *w = wrap_decode_dup(line, strlen(line), &wlen);
    free(line);
    if (!w)
        return e;
    int before = conv_rows(c, e);
    free(e->wecho);
    e->wecho = w;
    e->wecho_len = wlen;
    e->echoed = true;
    e->echo_ms = ms;
    e->cache_width = 0;
    if (c->scroll > 0)
        c->scroll += conv_rows(c, e) - before;
    return e;
}

static int at_least(int v, int min)
{
    return v < min ? min : v;
}

conv_geom conv_geom_for(conv_kind kind, int width, int name_w)
{
    conv_geom g = {0, at_least(width, 1), false, false};
    if (kind == CONV_MINE || kind == CONV_PEER) {
        g = (conv_geom){9 + 2 + name_w + 1, 0, true, true};
        if (width - g.indent - CONV_GUTTER < 12)
            g = (conv_geom){2 + name_w + 1, 0, false, true};
        if (width - g.indent - CONV_GUTTER < 12)
            g = (conv_geom){2, 0, false, false};
        g.text_w = at_least(width - g.indent - CONV_GUTTER, 1);
    } else if (kind == CONV_INFO || kind == CONV_WARN) {
        g = (conv_geom){11, 0, true, false};
        if (width - g.indent < 12)
            g = (conv_geom){2, 0, false, false};
        g.text_w = at_least(width - g.indent, 1);
    }
    return g;
}

/* Adds the wrapped rows of text to rows[*k...]; returns the new count. */
static size_t add_rows(const wchar_t *text, size_t len, int text_w, bool echo, conv_row *rows,
                       size_t cap, size_t k)
{
    size_t n = wrap_lines(text, len, text_w, NULL, 0);
    if (cap <= k)
        return k + n;
    wrap_span *spans = malloc(n * sizeof *spans);
    if (!spans)
        return k + n;
    wrap_lines(text, len, text_w, spans, n);
    for (size_t i = 0; i < n && k + i < cap; i++)
        rows[k + i] = (conv_row){echo, !echo && i == 0, spans[i].start, spans[i].end};
    free(spans);
    return k + n;
}

size_t conv_layout(const conv *c, const conv_entry *e, conv_row *rows, size_t cap)
{
    if (e->kind == CONV_DAY) {
        if (cap > 0)
            rows[0] = (conv_row){false, true, 0, e->wlen};
        return 1;
    }
    conv_geom g = conv_geom_for(e->kind, c->width, c->name_w);
    size_t k = add_rows(e->wtext, e->wlen, g.text_w, false, rows, cap, 0);
    if (e->wecho)
        k = add_rows(e->wecho, e->wecho_len, g.text_w, true, rows, cap, k);
    return k;
}

int conv_rows(conv *c, conv_entry *e)
{
    if (e->cache_width != c->width) {
        e->cache_rows = (int)conv_layout(c, e, NULL, 0);
        e->cache_width = c->width;
    }
    return e->cache_rows;
}

int conv_total_rows(conv *c)
{
    int total = 0;
    for (size_t i = 0; i < c->n; i++)
        total += conv_rows(c, c->items[i]);
    return total;
}

void conv_scroll_by(conv *c, int delta, int view_h)
{
    int max = conv_total_rows(c) - view_h;
    c->scroll += delta;
    if (c->scroll > max)
        c->scroll = max;
    if (c->scroll < 0)
        c->scroll = 0;
}

void conv_scroll_bottom(conv *c)
{
    c->scroll = 0;
}

size_t conv_below(conv *c)
{
    size_t count = 0;
    int rows = 0;
    for (size_t i = c->n; i-- > 0;) {
        rows += conv_rows(c, c->items[i]);
        if (rows > c->scroll)
            break;
        count++;
    }
    return count;
}
