#include "ui/status.h"

#include "ui/format.h"
#include "ui/wrap.h"

#include <stdio.h>
#include <string.h>

const char *status_state_text(const tui_status *st, char *buf, size_t buflen)
{
    if (st->quitting)
        return "closing…";
    if (!st->state_known)
        return "starting";
    switch (st->state) {
    case UI_STATE_CONNECTING:
        return "connecting to Kafka";
    case UI_STATE_WAITING:
        return "waiting for peer";
    case UI_STATE_HANDSHAKING:
        snprintf(buf, buflen, "handshaking %d/3", st->hs_step);
        return buf;
    case UI_STATE_SECURE:
        return st->unconfirmed ? "confirming" : "secure";
    case UI_STATE_BROKEN:
        return "broken";
    case UI_STATE_CLOSED:
        return "closed";
    }
    return "?";
}

static status_tone state_tone(const tui_status *st)
{
    if (st->quitting || !st->state_known)
        return SEG_PLAIN;
    if (st->state == UI_STATE_SECURE)
        return st->unconfirmed ? SEG_PLAIN : SEG_GOOD;
    if (st->state == UI_STATE_BROKEN || st->state == UI_STATE_CLOSED)
        return SEG_BAD;
    return SEG_PLAIN;
}

static size_t all_segments(const tui_status *st, status_seg *s)
{
    char buf[32];
    size_t n = 0;
    s[n++] = (status_seg){"", SEG_PLAIN, 0};
    snprintf(s[0].text, sizeof s[0].text, "%s", ui_role_name(st->role));
    s[n] = (status_seg){"", state_tone(st), 0};
    snprintf(s[n++].text, sizeof s[0].text, "%s", status_state_text(st, buf, sizeof buf));
    s[n] = (status_seg){"", SEG_PLAIN, 4};
    snprintf(s[n++].text, sizeof s[0].text, "you %s", st->own_short[0] ? st->own_short : "?");
    if (st->peer_short[0]) {
        s[n] = (status_seg){"", SEG_PLAIN, 2};
        snprintf(s[n++].text, sizeof s[0].text, "peer %s", st->peer_short);
    }
    if (st->a2b[0] || st->b2a[0]) {
        s[n] = (status_seg){"", SEG_PLAIN, 5};
        snprintf(s[n++].text, sizeof s[0].text, "%s ⇄ %s", st->a2b, st->b2a);
    }
    const ui_stats *c = &st->stats;
    if (st->unread) {
        s[n] = (status_seg){"", SEG_BAD, 1}; /* outlives the counters (same rank, earlier) */
        snprintf(s[n++].text, sizeof s[0].text, "%u unread", st->unread);
    }
    s[n] = (status_seg){"", SEG_PLAIN, 1};
    snprintf(s[n++].text, sizeof s[0].text, "sent %llu dlvd %llu echo %llu recv %llu rej %llu",
             (unsigned long long)c->sent, (unsigned long long)c->delivered,
             (unsigned long long)c->echoed, (unsigned long long)c->received,
             (unsigned long long)c->rejected);
    if (st->have_rtt) {
        fmt_ms(c->last_rtt_ms, buf, sizeof buf);
        s[n] = (status_seg){"", SEG_PLAIN, 3};
        snprintf(s[n++].text, sizeof s[0].text, "rtt %s", buf);
    }
    return n;
}

static int seg_width(const status_seg *s)
{
    return wrap_width(s->text, strlen(s->text));
}

static int total_width(const status_seg *s, size_t n)
{
    int w = 2; /* a space on each side */
    for (size_t i = 0; i < n; i++)
        w += seg_width(&s[i]) + (i ? 3 : 0);
    return w;
}

/* Removes the segment with the largest priority number; false when only prio 0 ones are left. */
static bool drop_one(status_seg *s, size_t *n)
{
    size_t worst = 0;
    for (size_t i = 1; i < *n; i++)
        if (s[i].prio >= s[worst].prio)
            worst = i;
    if (s[worst].prio == 0)
        return false;
    memmove(s + worst, s + worst + 1, (*n - worst - 1) * sizeof *s);
    (*n)--;
    return true;
}

size_t status_segments(const tui_status *st, int width, status_seg *out)
{
    size_t n = all_segments(st, out);
    while (total_width(out, n) > width && drop_one(out, &n))
        ;
    return n;
}

void status_text(const tui_status *st, int width, char *out, size_t outlen)
{
    status_seg segs[STATUS_MAX_SEGS];
    size_t n = status_segments(st, width, segs);
    size_t k = 0;
    if (outlen == 0)
        return;
    out[0] = '\0';
    k += (size_t)snprintf(out, outlen, " ");
    for (size_t i = 0; i < n && k < outlen; i++)
        k += (size_t)snprintf(out + k, outlen - k, "%s%s", i ? STATUS_SEP : "", segs[i].text);
    if (k < outlen)
        snprintf(out + k, outlen - k, " ");
}
