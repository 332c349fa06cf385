/* style: attributes and colours of the TUI, and putting sanitized wide text on a window within
 * a column budget. Attributes carry every meaning on their own (bold, dim, reverse,
 * underline); colours only add to them and are off with NO_COLOR or on monochrome terminals. */
#include "ui/tui_internal.h"

#include "ui/wrap.h"

#include <stdlib.h>
#include <string.h>

enum { PAIR_MINE = 1, PAIR_PEER, PAIR_WARN, PAIR_GOOD, PAIR_INFO, PAIR_BAD_BAR };

void tui_setup_styles(tui *t)
{
    const char *no_color = getenv("NO_COLOR");
    t->colors = has_colors() && !(no_color && *no_color);
    if (t->colors && start_color() == OK) {
        use_default_colors();
        init_pair(PAIR_MINE, COLOR_CYAN, -1);
        init_pair(PAIR_PEER, COLOR_GREEN, -1);
        init_pair(PAIR_WARN, COLOR_RED, -1);
        init_pair(PAIR_GOOD, COLOR_GREEN, -1);
        init_pair(PAIR_INFO, COLOR_YELLOW, -1);
        init_pair(PAIR_BAD_BAR, COLOR_RED, -1);
    } else {
        t->colors = false;
    }
    /* Attributes carry the meaning on their own; colours only add to them. */
    attr_t a[ST_COUNT] = {
        [ST_NORMAL] = A_NORMAL,
        [ST_TIME] = A_DIM,
        [ST_MINE] = A_BOLD,
        [ST_PEER] = A_BOLD,
        [ST_WARN] = A_BOLD,
        [ST_INFO] = A_NORMAL,
        [ST_GOOD] = A_BOLD,
        [ST_DIM] = A_DIM,
        [ST_BAR] = A_REVERSE,
        [ST_BAR_GOOD] = A_REVERSE | A_BOLD,
        [ST_BAR_BAD] = A_REVERSE | A_BOLD,
        [ST_BORDER] = A_DIM,
        [ST_MORE] = A_REVERSE | A_BOLD,
    };
    short p[ST_COUNT] = {
        [ST_MINE] = PAIR_MINE,       [ST_PEER] = PAIR_PEER, [ST_WARN] = PAIR_WARN,
        [ST_GOOD] = PAIR_GOOD,       [ST_INFO] = PAIR_INFO, [ST_BAR_GOOD] = PAIR_GOOD,
        [ST_BAR_BAD] = PAIR_BAD_BAR,
    };
    memcpy(t->attrs, a, sizeof a);
    if (t->colors)
        memcpy(t->pairs, p, sizeof p);
    else
        memset(t->pairs, 0, sizeof t->pairs);
    if (!t->colors)
        t->attrs[ST_WARN] |= A_UNDERLINE;
}

void tui_style_on(const tui *t, WINDOW *w, tui_style s)
{
    wattr_set(w, t->attrs[s], t->pairs[s], NULL);
}

void tui_style_off(const tui *t, WINDOW *w, tui_style s)
{
    (void)t;
    (void)s;
    wattr_set(w, A_NORMAL, 0, NULL);
}

int tui_put_wcs(WINDOW *w, const wchar_t *s, size_t n, int max_cols)
{
    int used = 0;
    size_t i = 0;
    while (i < n) {
        size_t k = i + 1;
        while (k < n && s[k] != L'\n' && wrap_cp_width(s[k]) == 0)
            k++;
        int cw = wrap_wcs_width(s + i, k - i);
        if (s[i] == L'\n' || used + cw > max_cols)
            break;
        if (cw == 0) /* a lone combining mark: give it a base */
            waddnwstr(w, L"\u00a0", 1);
        waddnwstr(w, s + i, (int)(k - i));
        used += cw == 0 ? 1 : cw;
        i = k;
    }
    return used;
}

int tui_put_utf8(WINDOW *w, const char *s, int max_cols)
{
    size_t len;
    wchar_t *ws = wrap_decode_dup(s, strlen(s), &len);
    if (!ws)
        return 0;
    int used = tui_put_wcs(w, ws, len, max_cols);
    free(ws);
    return used;
}
