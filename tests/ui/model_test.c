/* Unit tests of the TUI's pure models: formatting helpers (clock, grouped identifiers,
 * durations), the conversation (delivery marks, pairing sent reports with typed lines, echoes,
 * layout rows, scrolling, day lines, bounds) and the status bar's segments. */
#include "support/check.h"
#include "ui/conv.h"
#include "ui/format.h"
#include "ui/status.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ID = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop";

static void test_format(void)
{
    char buf[80], clock[9];
    fmt_id_groups(ID, 3, buf, sizeof buf);
    CHECK(strcmp(buf, "abcd-efgh-ijkl") == 0);
    fmt_id_groups(ID, 0, buf, sizeof buf);
    CHECK(strlen(buf) == 48 + 11 && strncmp(buf, "abcd-efgh-", 10) == 0);
    fmt_id_groups("abcd-efgh-ijkl-mnop", 2, buf, sizeof buf);
    CHECK(strcmp(buf, "abcd-efgh") == 0);
    fmt_id_groups("abc", 3, buf, sizeof buf);
    CHECK(strcmp(buf, "abc") == 0);
    fmt_id_groups(NULL, 3, buf, sizeof buf);
    CHECK(strcmp(buf, "?") == 0);
    fmt_id_groups(ID, 3, buf, 6);
    CHECK(strlen(buf) <= 5);
    fmt_ms(0.4, buf, sizeof buf);
    CHECK(strcmp(buf, "<1 ms") == 0);
    fmt_ms(38.2, buf, sizeof buf);
    CHECK(strcmp(buf, "38 ms") == 0);
    fmt_ms(1500, buf, sizeof buf);
    CHECK(strcmp(buf, "1.50 s") == 0);
    fmt_ms(125000, buf, sizeof buf);
    CHECK(strcmp(buf, "2 min 5 s") == 0);
    fmt_clock(3661, clock);
    CHECK(strcmp(clock, "01:01:01") == 0); /* TZ=UTC, set in main */
    CHECK(fmt_other_day(0, 86400) && !fmt_other_day(0, 3600));
    CHECK(strcmp(ui_role_name(UI_ROLE_BOB), "Bob") == 0);
    CHECK(strcmp(ui_role_name(UI_ROLE_ALICE), "Alice") == 0);
}

static void test_marks(void)
{
    conv c;
    conv_init(&c);
    conv_entry *a = conv_add_mine(&c, 100, "hi");
    conv_entry *b = conv_add_mine(&c, 100, "yo");
    CHECK(a && b && a->mark == MARK_QUEUED && b->mark == MARK_QUEUED && c.npending == 2);
    /* reports pair by text first, else the oldest pending line */
    CHECK(conv_on_sent(&c, 7, "yo", 101) == b && b->seq == 7 && b->mark == MARK_SENT);
    CHECK(a->mark == MARK_QUEUED && !a->has_seq);
    CHECK(conv_on_sent(&c, 8, "changed by the session", 101) == a && a->seq == 8);
    CHECK(c.npending == 0);
    CHECK(conv_on_delivered(&c, 7) == b && b->mark == MARK_DELIVERED);
    CHECK(conv_on_sent(&c, 7, "yo", 102) == b && b->mark == MARK_DELIVERED); /* no downgrade */
    CHECK(conv_on_delivered(&c, 99) == NULL);
    /* echo: one more row under the message */
    conv_set_geometry(&c, 60, 4);
    int before = conv_rows(&c, a);
    CHECK(conv_on_echo(&c, 8, "hi", 41) == a && a->echoed);
    CHECK(conv_rows(&c, a) == before + 1);
    CHECK(a->wecho && wcsstr(a->wecho, L"differs") == NULL);
    CHECK(conv_on_echo(&c, 7, "not what I sent", 41) == b && wcsstr(b->wecho, L"differs"));
    CHECK(conv_on_echo(&c, 1234, "x", 1) == NULL);
    /* a report with nothing pending still shows the message */
    size_t n = c.n;
    conv_entry *e = conv_on_sent(&c, 9, "from elsewhere", 103);
    CHECK(e && c.n == n + 1 && e->kind == CONV_MINE && e->mark == MARK_SENT);
    /* cleared entries: reports still consume their pending line, nothing reappears */
    conv_add_mine(&c, 104, "gone");
    conv_clear(&c);
    CHECK(c.n == 0 && conv_on_sent(&c, 10, "gone", 105) == NULL && c.n == 0 && c.npending == 0);
    conv_free(&c);
}

static void test_layout(void)
{
    conv c;
    conv_init(&c);
    conv_set_geometry(&c, 40, 4);
    conv_geom g = conv_geom_for(CONV_MINE, 40, 4);
    CHECK(g.indent == 16 && g.text_w == 21 && g.show_time && g.show_name);
    g = conv_geom_for(CONV_MINE, 28, 4); /* too narrow for the time */
    CHECK(!g.show_time && g.show_name && g.indent == 7);
    g = conv_geom_for(CONV_MINE, 12, 4);
    CHECK(!g.show_time && !g.show_name && g.indent == 2 && g.text_w >= 1);
    g = conv_geom_for(CONV_INFO, 40, 4);
    CHECK(g.indent == 11 && g.text_w == 29);
    conv_entry *e = conv_add(&c, CONV_PEER, 100, "aaaa bbbb cccc dddd eeee ffff");
    conv_row rows[8];
    size_t n = conv_layout(&c, e, rows, 8);
    CHECK(n == 2 && rows[0].first && !rows[1].first && conv_rows(&c, e) == 2);
    e = conv_add(&c, CONV_BLOCK, 100, "0123456789012345678901234567890123456789X");
    CHECK(conv_rows(&c, e) == 2); /* flush left, full width */
    conv_set_geometry(&c, 20, 4);
    CHECK(conv_rows(&c, e) == 3); /* the cache follows the width */
    conv_free(&c);
}

static void test_scroll(void)
{
    conv c;
    conv_init(&c);
    conv_set_geometry(&c, 80, 4);
    for (int i = 0; i < 50; i++)
        conv_add(&c, CONV_INFO, 100, "one row");
    CHECK(conv_total_rows(&c) == 50);
    conv_scroll_by(&c, 5, 10);
    CHECK(c.scroll == 5 && conv_below(&c) == 5);
    conv_add(&c, CONV_PEER, 100, "new while scrolled");
    CHECK(c.scroll == 6 && conv_below(&c) == 6); /* the view stays put */
    conv_scroll_by(&c, 1000, 10);
    CHECK(c.scroll == 51 - 10);
    conv_scroll_by(&c, -1000, 10);
    CHECK(c.scroll == 0 && conv_below(&c) == 0);
    conv_scroll_by(&c, 3, 100); /* everything fits: nothing to scroll */
    CHECK(c.scroll == 0);
    conv_free(&c);
}

static void test_bounds(void)
{
    conv c;
    conv_init(&c);
    for (int i = 0; i < CONV_MAX_ENTRIES + 10; i++)
        conv_add(&c, CONV_PEER, 100, "x");
    CHECK(c.n == CONV_MAX_ENTRIES);
    conv_clear(&c);
    conv_add(&c, CONV_PEER, 100, "today");
    conv_add(&c, CONV_PEER, 100 + 86400, "tomorrow");
    CHECK(c.n == 3 && c.items[1]->kind == CONV_DAY);
    CHECK(wcsstr(c.items[1]->wtext, L"1970-01-02") != NULL);
    conv_entry *e = conv_add(&c, CONV_PEER, 100 + 86400, "\x1b[2Jevil");
    CHECK(e && e->wtext[0] == WRAP_REPLACEMENT); /* no escape reaches the screen */
    conv_free(&c);
}

static void test_status(void)
{
    tui_status st;
    memset(&st, 0, sizeof st);
    char buf[512], tmp[32];
    st.role = UI_ROLE_BOB;
    status_text(&st, 120, buf, sizeof buf);
    CHECK(strstr(buf, "Bob") && strstr(buf, "starting"));
    st.state_known = true;
    st.state = UI_STATE_HANDSHAKING;
    st.hs_step = 2;
    CHECK(strcmp(status_state_text(&st, tmp, sizeof tmp), "handshaking 2/3") == 0);
    st.state = UI_STATE_SECURE;
    snprintf(st.own_short, sizeof st.own_short, "abcd-efgh-ijkl");
    snprintf(st.peer_short, sizeof st.peer_short, "q7rm-zk4x-w2bn");
    snprintf(st.a2b, sizeof st.a2b, "kchat-a2b");
    snprintf(st.b2a, sizeof st.b2a, "kchat-b2a");
    st.stats.sent = 3;
    st.stats.delivered = 2;
    st.stats.echoed = 1;
    st.stats.rejected = 4;
    st.stats.last_rtt_ms = 41;
    st.have_rtt = true;
    status_text(&st, 200, buf, sizeof buf);
    CHECK(strstr(buf, " Bob │ secure │ you abcd-efgh-ijkl │ peer q7rm-zk4x-w2bn") == buf);
    CHECK(strstr(buf, "kchat-a2b ⇄ kchat-b2a") && strstr(buf, "sent 3 dlvd 2 echo 1 recv 0 rej 4"));
    CHECK(strstr(buf, "rtt 41 ms"));
    /* narrower: the least important segments go first, the rest never overflows */
    for (int w = 30; w <= 200; w++) {
        status_seg segs[STATUS_MAX_SEGS];
        size_t n = status_segments(&st, w, segs);
        int total = 2;
        for (size_t i = 0; i < n; i++)
            total += wrap_width(segs[i].text, strlen(segs[i].text)) + (i ? 3 : 0);
        CHECK(total <= w && n >= 2);
    }
    status_text(&st, 60, buf, sizeof buf);
    CHECK(strstr(buf, "secure") && strstr(buf, "sent 3") && !strstr(buf, "⇄"));
    status_text(&st, 20, buf, sizeof buf);
    CHECK(strcmp(buf, " Bob │ secure ") == 0);
    st.unread = 2; /* unread messages outlive the counters */
    status_text(&st, 40, buf, sizeof buf);
    CHECK(strstr(buf, "2 unread") && !strstr(buf, "sent 3"));
    st.unconfirmed = true; /* Alice before Bob confirmed her */
    CHECK(strcmp(status_state_text(&st, tmp, sizeof tmp), "confirming") == 0);
    st.quitting = true;
    status_text(&st, 20, buf, sizeof buf);
    CHECK(strstr(buf, "closing…") != NULL);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    if (!setlocale(LC_ALL, "C.UTF-8")) {
        fprintf(stderr, "no C.UTF-8 locale\n");
        return 1;
    }
    test_format();
    test_marks();
    test_layout();
    test_scroll();
    test_bounds();
    test_status();
    return check_summary();
}
