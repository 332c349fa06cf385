/* win_invite: Bob's invitation as one unbroken string on full-width rows of its own at the top
 * of the screen, so that a mouse selection in any terminal (or tmux) copies it whole; and /copy,
 * which puts it on the clipboard with OSC 52.
 *
 * curses positions the cursor row by row, so the terminal would not know that the rows are one
 * line. After each screen update the text is therefore written once more, raw, from the first
 * text row on, letting the terminal wrap it by itself (auto margins): the same characters in the
 * same cells, now marked as one wrapped line. The cursor is saved and restored around it. */
#include "ui/tui_internal.h"

#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

static size_t inv_len(const tui *t)
{
    return t->inv_text ? strlen(t->inv_text) : 0;
}

int invite_rows(const tui *t, int avail)
{
    size_t len = inv_len(t);
    if (!t->inv_shown || len == 0 || t->cols < 1)
        return 0;
    int rows = 1 + (int)((len + (size_t)t->cols - 1) / (size_t)t->cols);
    return rows <= avail / 2 ? rows : 0; /* no room: the conversation comes first */
}

void invite_draw(tui *t)
{
    if (!t->w_inv)
        return;
    werase(t->w_inv);
    wmove(t->w_inv, 0, 0);
    tui_style_on(t, t->w_inv, ST_INFO);
    tui_put_utf8(t->w_inv,
                 "Invitation for Alice (keep it secret) · /copy copies it · /invite hides it",
                 t->cols);
    tui_style_off(t, t->w_inv, ST_INFO);
    size_t len = inv_len(t), cols = (size_t)t->cols;
    for (size_t at = 0, y = 1; at < len; at += cols, y++)
        mvwaddnstr(t->w_inv, (int)y, 0, t->inv_text + at, (int)(len - at < cols ? len - at : cols));
    wnoutrefresh(t->w_inv);
}

static void put_all(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

void invite_mark_wrapped(tui *t)
{
    if (!t->w_inv || tigetflag("am") <= 0)
        return;
    char head[48];
    /* save the cursor, plain attributes, go to the first text row */
    int n = snprintf(head, sizeof head, "\0337\033[0m\033[%d;1H", getbegy(t->w_inv) + 2);
    put_all(head, (size_t)n);
    put_all(t->inv_text, inv_len(t));
    put_all("\0338", 2);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding, as OSC 52 wants it. out holds 4 * ((n + 2) / 3) + 1 bytes. */
static void base64(const unsigned char *in, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        v |= i + 1 < n ? (unsigned)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? in[i + 2] : 0;
        out[k++] = b64[(v >> 18) & 63];
        out[k++] = b64[(v >> 12) & 63];
        out[k++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[k++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[k] = '\0';
}

int invite_copy(const tui *t)
{
    size_t len = inv_len(t);
    if (len == 0)
        return -1;
    size_t cap = 4 * ((len + 2) / 3) + 16;
    char *enc = malloc(cap);
    if (!enc)
        return -1;
    memcpy(enc, "\033]52;c;", 7);
    base64((const unsigned char *)t->inv_text, len, enc + 7);
    size_t n = strlen(enc);
    enc[n++] = '\a';
    enc[n] = '\0'; /* ui_secret_free wipes up to the NUL */
    put_all(enc, n);
    ui_secret_free(enc); /* the encoded secret */
    return 0;
}
