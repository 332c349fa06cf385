/* win_status: draws the one-line status bar (reverse video) from status.c's segments; the
 * channel state is highlighted (green when secure, red when broken) where colours are allowed. */
#include "ui/tui_internal.h"

#include <string.h>

static tui_style tone_style(status_tone tone)
{
    return tone == SEG_GOOD ? ST_BAR_GOOD : tone == SEG_BAD ? ST_BAR_BAD : ST_BAR;
}

void status_draw(tui *t)
{
    WINDOW *w = t->w_status;
    if (!w)
        return;
    int width = getmaxx(w);
    status_seg segs[STATUS_MAX_SEGS];
    size_t n = status_segments(&t->st, width, segs);
    tui_style_on(t, w, ST_BAR);
    wmove(w, 0, 0);
    for (int x = 0; x < width; x++)
        waddch(w, ' ');
    wmove(w, 0, 1);
    int used = 1;
    for (size_t i = 0; i < n && used < width; i++) {
        if (i > 0) {
            tui_style_on(t, w, ST_BAR);
            used += tui_put_utf8(w, STATUS_SEP, width - used);
        }
        tui_style_on(t, w, tone_style(segs[i].tone));
        used += tui_put_utf8(w, segs[i].text, width - used);
    }
    tui_style_off(t, w, ST_BAR);
    wnoutrefresh(w);
}
