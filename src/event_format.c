#include "src/event_format.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
    char *buf;
    size_t len, cap;
} line;

static void put(line *l, const char *s, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        size_t cap = (l->cap ? l->cap : 128);
        while (cap < l->len + n + 1)
            cap *= 2;
        char *p = realloc(l->buf, cap);
        if (!p)
            return;
        l->buf = p;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

static bool plain(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c >= 0x7f)
            return false;
    }
    return true;
}

static void quoted(line *l, const char *s, size_t n)
{
    puts_(l, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c == '\n') {
            puts_(l, "\\n");
        } else if (c == '\t') {
            puts_(l, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            puts_(l, esc);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
    puts_(l, "\"");
}

static void kv_str(line *l, const char *key, const char *val, size_t n)
{
    puts_(l, " ");
    puts_(l, key);
    puts_(l, "=");
    if (plain(val, n))
        put(l, val, n);
    else
        quoted(l, val, n);
}

static void kv_num(line *l, const char *key, unsigned long long v)
{
    char buf[64];
    snprintf(buf, sizeof buf, " %s=%llu", key, v);
    puts_(l, buf);
}

static void kv_ms(line *l, const char *key, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, " %s=%.3f", key, v);
    puts_(l, buf);
}

static size_t text_len(const ui_event *ev)
{
    if (ev->text_len)
        return ev->text_len;
    return ev->text ? strlen(ev->text) : 0;
}

/* Adds the fields of ev: to a JSON object when obj is set, else to a text line. */
typedef struct sink {
    json_t *obj;
    line *l;
    /* JSON integers are signed (jansson): numbers above INT64_MAX are written as placeholders
     * (INT64_MIN + i, never a real value) and replaced by their unsigned text after dumping. */
    unsigned long long big[4];
    const char *big_key[4];
    int nbig;
} sink;

static void f_str(sink *k, const char *key, const char *val, size_t n)
{
    if (!val)
        val = "", n = 0;
    if (k->obj) {
        json_t *js = json_stringn(val, n);
        if (!js) { /* not UTF-8: replace bad bytes */
            char *copy = malloc(n * 3 + 1);
            size_t o = 0;
            for (size_t i = 0; copy && i < n; i++) {
                unsigned char c = (unsigned char)val[i];
                if (c < 0x80) {
                    copy[o++] = (char)c;
                } else {
                    memcpy(copy + o, "\xef\xbf\xbd", 3);
                    o += 3;
                }
            }
            js = copy ? json_stringn(copy, o) : json_string("");
            free(copy);
        }
        json_object_set_new(k->obj, key, js);
    } else {
        kv_str(k->l, key, val, n);
    }
}

static void f_s(sink *k, const char *key, const char *val)
{
    f_str(k, key, val, val ? strlen(val) : 0);
}

static void f_num(sink *k, const char *key, unsigned long long v)
{
    if (k->obj && v > (unsigned long long)INT64_MAX && k->nbig < 4) {
        k->big[k->nbig] = v;
        k->big_key[k->nbig] = key;
        json_object_set_new(k->obj, key, json_integer(INT64_MIN + k->nbig++));
    } else if (k->obj)
        json_object_set_new(k->obj, key, json_integer((json_int_t)v));
    else
        kv_num(k->l, key, v);
}

static void f_ms(sink *k, const char *key, double v)
{
    if (k->obj)
        json_object_set_new(k->obj, key, json_real(v));
    else
        kv_ms(k->l, key, v);
}

static void f_stats(sink *k, const ui_stats *st)
{
    f_num(k, "sent", st->sent);
    f_num(k, "delivered", st->delivered);
    f_num(k, "echoed", st->echoed);
    f_num(k, "received", st->received);
    f_num(k, "rejected", st->rejected);
    f_num(k, "gaps", st->gaps);
    f_ms(k, "rtt_ms", st->last_rtt_ms);
}

static bool fields(sink *k, const ui_event *ev)
{
    switch (ev->type) {
    case UI_EV_INVITATION:
        f_s(k, "invitation", ev->invitation);
        f_s(k, "a2b", ev->a2b);
        f_s(k, "b2a", ev->b2a);
        f_s(k, "id", ev->id);
        return true;
    case UI_EV_HANDSHAKE:
        f_num(k, "step", (unsigned)ev->step);
        f_s(k, "dir", ev->out ? "out" : "in");
        f_ms(k, "ms", ev->ms);
        return true;
    case UI_EV_ESTABLISHED:
        f_s(k, "peer", ev->peer);
        if (ev->name)
            f_s(k, "name", ev->name);
        f_s(k, "suite", ev->suite);
        f_ms(k, "ms", ev->ms);
        return true;
    case UI_EV_MESSAGE:
    case UI_EV_SENT:
        f_num(k, "seq", ev->seq);
        if (ev->type == UI_EV_MESSAGE)
            f_str(k, "text", ev->text, text_len(ev));
        return true;
    case UI_EV_ECHO:
        f_num(k, "seq", ev->seq);
        f_str(k, "text", ev->text, text_len(ev));
        f_ms(k, "rtt_ms", ev->ms);
        return true;
    case UI_EV_DELIVERED:
        f_num(k, "seq", ev->seq);
        return true;
    case UI_EV_HISTORY:
        f_s(k, "dir", ev->out ? "out" : "in");
        f_num(k, "seq", ev->seq);
        f_str(k, "text", ev->text, text_len(ev));
        f_num(k, "time_ms", ev->ms > 0 ? (unsigned long long)ev->ms : 0);
        return true;
    case UI_EV_REJECTED:
        f_s(k, "reason", ui_reject_name(ev->reason));
        if (ev->peer)
            f_s(k, "peer", ev->peer);
        if (k->obj)
            json_object_set_new(k->obj, "offset", json_integer(ev->offset));
        else
            kv_num(k->l, "offset", (unsigned long long)(ev->offset < 0 ? 0 : ev->offset));
        return true;
    case UI_EV_GAP:
        f_num(k, "from", ev->from);
        f_num(k, "to", ev->to);
        return true;
    case UI_EV_ERROR:
    case UI_EV_LOG:
        f_s(k, "message", ev->text);
        return true;
    case UI_EV_STATE:
        f_s(k, "state", ui_state_name(ev->state));
        f_s(k, "detail", ev->text);
        return true;
    case UI_EV_PEER_LEFT:
        f_s(k, "peer", ev->peer);
        return true;
    case UI_EV_REKEY:
        f_num(k, "epoch", ev->seq);
        f_s(k, "dir", ev->out ? "out" : "in");
        return true;
    case UI_EV_STATS:
        f_stats(k, &ev->stats);
        return true;
    case UI_EV_DONE:
        return false;
    }
    return false;
}

/* Puts each big number in place of its placeholder, found as `"key":placeholder` (inside a
 * string every quote is escaped, so a text cannot hold that). The text only gets shorter. */
static void unsigned_in_place(char *out, const sink *k)
{
    for (int i = 0; out && i < k->nbig; i++) {
        char tok[96], val[96];
        snprintf(tok, sizeof tok, "\"%s\":%lld", k->big_key[i], (long long)(INT64_MIN + i));
        snprintf(val, sizeof val, "\"%s\":%llu", k->big_key[i], k->big[i]);
        char *at = strstr(out, tok);
        if (!at)
            continue;
        size_t tl = strlen(tok), vl = strlen(val);
        memcpy(at, val, vl);
        memmove(at + vl, at + tl, strlen(at + tl) + 1);
    }
}

char *event_format_line(const ui_event *ev, bool json)
{
    if (json) {
        json_t *obj = json_object();
        json_object_set_new(obj, "event", json_string(ui_event_name(ev->type)));
        sink k = {.obj = obj};
        char *out = fields(&k, ev) ? json_dumps(obj, JSON_COMPACT) : NULL;
        json_decref(obj);
        unsigned_in_place(out, &k);
        return out;
    }
    line l = {0};
    puts_(&l, ui_event_name(ev->type));
    sink k = {.l = &l};
    if (!fields(&k, ev)) {
        free(l.buf);
        return NULL;
    }
    return l.buf;
}
