/* input: the input line, GNU readline in callback mode under curses.
 *
 * Design. curses reads every key: wget_wch() on the input window with keypad on, so ncurses
 * decodes UTF-8 into characters and escape sequences into KEY_* codes (ESCDELAY 25 ms). Keys
 * that belong to the screen are handled here and never reach readline: PgUp/PgDn (scroll), F2
 * and Ctrl-T (channel pane), Ctrl-L (repaint), KEY_RESIZE, and the bracketed-paste markers
 * ESC[200~ / ESC[201~, which input_define_keys() teaches ncurses as keys of our own. Everything
 * else is handed to readline as bytes: a character as its UTF-8 bytes, an editing key as the
 * escape sequence readline binds by default (Left = ESC[D, Delete = ESC[3~, Ctrl-Left =
 * ESC[1;5D, ...), so that readline's own state machine (key sequences, i-search, numeric
 * arguments, the user's inputrc) stays in charge of editing. The bytes go into a small queue
 * that rl_getc_function pops (rl_input_available_hook reports it), and rl_callback_read_char()
 * runs until the queue is empty. readline never touches the terminal: rl_prep_term_function
 * and rl_deprep_term_function do nothing (curses owns the tty modes), rl_redisplay_function
 * does nothing (tui_run draws rl_line_buffer and rl_point into the input window after each
 * batch of keys, measuring UTF-8 with wcwidth and scrolling horizontally to keep the cursor
 * visible), rl_outstream is /dev/null, and readline's signal handling and environment changes
 * are off. Tab completes command names; several matches are listed in the conversation.
 * Ctrl-D on an empty line is /quit (which asks first when messages are not delivered yet).
 *
 * Paste. With bracketed paste on (tui_run enables it), everything between the markers is
 * collected, not typed: '\r' and "\r\n" become '\n', a tab four spaces, other control
 * characters are dropped, at most 64 KiB are kept. A paste of one line (trailing newlines
 * ignored) is inserted at the cursor for editing; nothing is sent. A paste of several lines is
 * never sent line by line: the input area grows into a preview of it and asks
 * "send N lines as one message? [y/N/e]": y sends it as one message (lines joined by '\n'),
 * e puts it into the input line joined by spaces for editing, n, Esc or Enter discard it.
 * Whatever was typed before the paste stays in the input line. */
#include "ui/tui_internal.h"

#include "ui/command.h"
#include "ui/wrap.h"

#include <readline/history.h>
#include <readline/readline.h>

#include <stdlib.h>
#include <string.h>

#define CTRL_KEY(c) ((c)&0x1f)

/* readline's callbacks carry no context: the one tui being run, and its byte queue. */
static tui *active;
static unsigned char queue[256];
static size_t q_head, q_len;
static FILE *null_out;

static int getc_cb(FILE *f)
{
    (void)f;
    if (q_len == 0)
        return 0; /* not reached: readline only reads when input_avail_cb said so */
    int c = queue[q_head];
    q_head = (q_head + 1) % sizeof queue;
    q_len--;
    return c;
}

static int input_avail_cb(void)
{
    return q_len > 0;
}

static void redisplay_cb(void)
{
}

static void prep_term_cb(int meta)
{
    (void)meta;
}

static void deprep_term_cb(void)
{
}

static void feed(const char *bytes, size_t n)
{
    for (size_t i = 0; i < n && q_len < sizeof queue; i++) {
        queue[(q_head + q_len) % sizeof queue] = (unsigned char)bytes[i];
        q_len++;
    }
    while (q_len > 0 && active && active->rl_ready) {
        size_t before = q_len;
        rl_callback_read_char();
        if (q_len == before)
            break;
    }
}

static size_t utf8_encode(wint_t c, char out[4])
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | ((c >> 18) & 0x07));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* ---- readline callbacks ---- */

static bool same_as_last_history(const char *line)
{
    HIST_ENTRY *h = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    return h && h->line && strcmp(h->line, line) == 0;
}

static void line_cb(char *line)
{
    if (!line) { /* Ctrl-D on an empty line: as /quit */
        tui_request_quit(active, false);
        return;
    }
    if (*line && !same_as_last_history(line))
        add_history(line);
    active->hscroll = 0;
    tui_submit(active, line);
    free(line);
}

static char *complete_gen(const char *text, int state)
{
    static size_t next;
    if (state == 0)
        next = 0;
    const char *name = command_complete(text, next++);
    if (!name)
        return NULL;
    size_t len = strlen(name) + 2;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "/%s", name);
    return s;
}

static char **complete_cb(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never complete file names */
    if (start != 0 || text[0] != '/' || text[1] == '/')
        return NULL;
    return rl_completion_matches(text, complete_gen);
}

static void show_matches_cb(char **matches, int n, int max_len)
{
    (void)max_len;
    tui_completions(active, matches, n);
}

int input_init(tui *t)
{
    active = t;
    q_head = q_len = 0;
    null_out = fopen("/dev/null", "w");
    if (!null_out)
        return -1;
    rl_readline_name = "kchat";
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_outstream = null_out;
    rl_getc_function = getc_cb;
    rl_input_available_hook = input_avail_cb;
    rl_redisplay_function = redisplay_cb;
    rl_prep_term_function = prep_term_cb;
    rl_deprep_term_function = deprep_term_cb;
    rl_attempted_completion_function = complete_cb;
    rl_completion_display_matches_hook = show_matches_cb;
    using_history();
    stifle_history(500);
    rl_callback_handler_install("", line_cb);
    rl_variable_bind("enable-bracketed-paste", "off");
    rl_variable_bind("bell-style", "none");
    rl_variable_bind("expand-tilde", "off");
    static const struct {
        const char *seq;
        rl_command_func_t *fn;
    } binds[] = {
        {"\033[A", rl_get_previous_history},
        {"\033[B", rl_get_next_history},
        {"\033[C", rl_forward_char},
        {"\033[D", rl_backward_char},
        {"\033[H", rl_beg_of_line},
        {"\033[F", rl_end_of_line},
        {"\033[3~", rl_delete},
        {"\033[2~", rl_overwrite_mode},
        {"\033[1;5C", rl_forward_word},
        {"\033[1;5D", rl_backward_word},
        {"\033[1;3C", rl_forward_word},
        {"\033[1;3D", rl_backward_word},
        {"\033[3;5~", rl_kill_word},
    };
    for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++)
        rl_bind_keyseq_if_unbound(binds[i].seq, binds[i].fn);
    t->rl_ready = true;
    return 0;
}

void input_end(tui *t)
{
    if (t->rl_ready) {
        rl_callback_handler_remove();
        t->rl_ready = false;
    }
    rl_getc_function = rl_getc;
    rl_input_available_hook = NULL;
    rl_redisplay_function = rl_redisplay;
    rl_prep_term_function = rl_prep_terminal;
    rl_deprep_term_function = rl_deprep_terminal;
    rl_attempted_completion_function = NULL;
    rl_completion_display_matches_hook = NULL;
    rl_outstream = stdout;
    if (null_out)
        fclose(null_out);
    null_out = NULL;
    active = NULL;
}

void input_define_keys(void)
{
    define_key("\033[200~", TUI_KEY_PASTE_BEGIN);
    define_key("\033[201~", TUI_KEY_PASTE_END);
    define_key("\033[I", TUI_KEY_FOCUS_IN);
    define_key("\033[O", TUI_KEY_FOCUS_OUT);
}

/* ---- paste ---- */

static void paste_append(paste_state *p, const char *s, size_t n)
{
    if (p->len + n > PASTE_MAX_BYTES) {
        p->overflow = true;
        return;
    }
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap < p->len + n + 1)
            cap *= 2;
        char *buf = realloc(p->buf, cap);
        if (!buf) {
            p->overflow = true;
            return;
        }
        p->buf = buf;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

static size_t paste_lines(const paste_state *p)
{
    size_t n = 1;
    for (size_t i = 0; i < p->len; i++)
        n += p->buf[i] == '\n';
    return n;
}

static void paste_reset(tui *t)
{
    t->paste.mode = PASTE_OFF;
    t->paste.len = 0;
    t->paste.cr = false;
    t->paste.overflow = false;
    if (t->paste.buf)
        t->paste.buf[0] = '\0';
}

static void paste_insert_joined(tui *t)
{
    for (size_t i = 0; i < t->paste.len; i++)
        if (t->paste.buf[i] == '\n')
            t->paste.buf[i] = ' ';
    rl_insert_text(t->paste.buf);
}

static void paste_finish(tui *t)
{
    paste_state *p = &t->paste;
    while (p->len > 0 && p->buf[p->len - 1] == '\n')
        p->buf[--p->len] = '\0';
    if (p->overflow)
        tui_warn(t, "the paste was longer than %d KiB; only the beginning was kept",
                 PASTE_MAX_BYTES / 1024);
    if (p->len == 0) {
        paste_reset(t);
    } else if (paste_lines(p) == 1) {
        rl_insert_text(p->buf);
        paste_reset(t);
    } else {
        p->mode = PASTE_CONFIRM;
        tui_layout(t);
    }
}

static void paste_key(tui *t, bool fkey, wint_t wc)
{
    paste_state *p = &t->paste;
    if (fkey) {
        if (wc == TUI_KEY_PASTE_END)
            paste_finish(t);
        else if (wc == KEY_ENTER)
            paste_append(p, "\n", 1);
        return;
    }
    bool cr = p->cr;
    p->cr = wc == L'\r';
    if (wc == L'\r' || (wc == L'\n' && !cr))
        paste_append(p, "\n", 1);
    else if (wc == L'\t')
        paste_append(p, "    ", 4);
    else if (wc >= 0x20 && wc != 0x7F && !(wc >= 0x80 && wc < 0xA0)) {
        char buf[4];
        paste_append(p, buf, utf8_encode(wc, buf));
    }
}

static void confirm_key(tui *t, bool fkey, wint_t wc)
{
    if (fkey)
        return;
    if (wc == L'y' || wc == L'Y') {
        tui_send_message(t, t->paste.buf);
    } else if (wc == L'e' || wc == L'E') {
        paste_insert_joined(t);
    } else if (wc == L'n' || wc == L'N' || wc == 27 || wc == L'\r' || wc == L'\n' ||
               wc == CTRL_KEY('G')) {
        tui_info(t, "paste discarded");
    } else {
        return;
    }
    paste_reset(t);
    tui_layout(t);
}

/* ---- keys ---- */

static void scroll_page(tui *t, int dir)
{
    int page = conv_view_rows(t) - 2;
    conv_scroll_by(&t->conv, dir * (page < 1 ? 1 : page), conv_view_rows(t));
}

static int chan_page(const tui *t)
{
    int h = t->w_chan ? getmaxy(t->w_chan) - 2 : 1;
    return h < 1 ? 1 : h;
}

/* Keys that belong to the screen; true when handled. */
static bool screen_key(tui *t, wint_t k)
{
    const char *name = keyname((int)k);
    switch (k) {
    case KEY_PPAGE:
        scroll_page(t, 1);
        return true;
    case KEY_NPAGE:
        scroll_page(t, -1);
        return true;
    case KEY_F(2):
        tui_toggle_pane(t, -1);
        return true;
    case KEY_RESIZE:
        tui_layout(t);
        return true;
    case TUI_KEY_PASTE_BEGIN:
        if (t->paste.mode == PASTE_CONFIRM) /* a second paste joins the first */
            paste_append(&t->paste, "\n", 1);
        else
            paste_reset(t);
        t->paste.mode = PASTE_COLLECTING;
        return true;
    case TUI_KEY_PASTE_END:
        return true;
    case TUI_KEY_FOCUS_IN:
    case TUI_KEY_FOCUS_OUT:
        t->unfocused = k == TUI_KEY_FOCUS_OUT;
        return true;
    default:
        break;
    }
    if (name && (!strcmp(name, "kPRV3") || !strcmp(name, "kPRV2"))) { /* Alt/Shift-PgUp */
        chan_scroll_by(t, chan_page(t));
        return true;
    }
    if (name && (!strcmp(name, "kNXT3") || !strcmp(name, "kNXT2"))) {
        chan_scroll_by(t, -chan_page(t));
        return true;
    }
    if (name && strcmp(name, "kHOM5") == 0) {
        conv_scroll_by(&t->conv, 1 << 30, conv_view_rows(t));
        return true;
    }
    if (name && strcmp(name, "kEND5") == 0) {
        conv_scroll_bottom(&t->conv);
        return true;
    }
    return false;
}

/* The escape sequence readline binds for an editing key, NULL for keys we ignore. */
static const char *key_sequence(wint_t k)
{
    static const struct {
        int key;
        const char *seq;
    } keys[] = {
        {KEY_UP, "\033[A"},      {KEY_DOWN, "\033[B"}, {KEY_RIGHT, "\033[C"}, {KEY_LEFT, "\033[D"},
        {KEY_HOME, "\033[H"},    {KEY_END, "\033[F"},  {KEY_DC, "\033[3~"},   {KEY_IC, "\033[2~"},
        {KEY_BACKSPACE, "\177"}, {KEY_ENTER, "\r"},    {KEY_BTAB, "\033[Z"},
    };
    static const struct {
        const char *name, *seq;
    } ext[] = {
        {"kLFT5", "\033[1;5D"}, {"kRIT5", "\033[1;5C"}, {"kLFT3", "\033[1;3D"},
        {"kRIT3", "\033[1;3C"}, {"kDC5", "\033[3;5~"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((wint_t)keys[i].key == k)
            return keys[i].seq;
    const char *name = keyname((int)k);
    for (size_t i = 0; name && i < sizeof ext / sizeof ext[0]; i++)
        if (strcmp(name, ext[i].name) == 0)
            return ext[i].seq;
    return NULL;
}

void input_key(tui *t, int r, wint_t wc)
{
    bool fkey = r == KEY_CODE_YES;
    if (t->paste.mode == PASTE_COLLECTING) {
        paste_key(t, fkey, wc);
        return;
    }
    if (fkey && screen_key(t, wc))
        return;
    if (!fkey && wc == CTRL_KEY('T')) {
        tui_toggle_pane(t, -1);
        return;
    }
    if (!fkey && wc == CTRL_KEY('L')) {
        clearok(curscr, TRUE);
        return;
    }
    if (t->paste.mode == PASTE_CONFIRM) {
        confirm_key(t, fkey, wc);
        return;
    }
    if (fkey) {
        const char *seq = key_sequence(wc);
        if (seq)
            feed(seq, strlen(seq));
        return;
    }
    char buf[4];
    feed(buf, utf8_encode(wc, buf));
}

/* ---- drawing ---- */

int input_rows(const tui *t)
{
    if (t->paste.mode != PASTE_CONFIRM)
        return 1;
    int want = (int)paste_lines(&t->paste) + 1;
    int max = t->rows / 2 < 2 ? 2 : t->rows / 2;
    return want < max ? want : max;
}

static void draw_confirm(tui *t, WINDOW *w, int h, int width)
{
    const paste_state *p = &t->paste;
    size_t lines = paste_lines(p);
    int room = h - 1;
    bool cut = (int)lines > room;
    int shown = cut ? room - 1 : (int)lines;
    const char *s = p->buf;
    for (int y = 0; y < shown && s; y++) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        wmove(w, y, 0);
        tui_style_on(t, w, ST_DIM);
        tui_put_utf8(w, "┊ ", width);
        tui_style_off(t, w, ST_DIM);
        char *line = strndup(s, wrap_fit_bytes(s, len, width - 2));
        if (line)
            tui_put_utf8(w, line, width - 2);
        free(line);
        s = nl ? nl + 1 : NULL;
    }
    char q[128];
    if (cut && room >= 1) {
        snprintf(q, sizeof q, "┊ … %zu more lines", lines - (size_t)shown);
        wmove(w, room - 1, 0);
        tui_style_on(t, w, ST_DIM);
        tui_put_utf8(w, q, width);
    }
    snprintf(q, sizeof q, " send %zu lines as one message? [y]es / [N]o / [e]dit as one line ",
             lines);
    wmove(w, h - 1, 0);
    tui_style_on(t, w, ST_MORE);
    tui_put_utf8(w, q, width - 1);
    tui_style_off(t, w, ST_MORE);
}

/* Keeps the cursor column inside the visible part of the line. */
static void follow_cursor(tui *t, int cursor, int total, int avail)
{
    if (total < avail)
        t->hscroll = 0;
    if (cursor < t->hscroll)
        t->hscroll = cursor;
    if (cursor >= t->hscroll + avail)
        t->hscroll = cursor - avail + 1;
    if (t->hscroll < 0)
        t->hscroll = 0;
}

static void draw_line(tui *t, WINDOW *w, int width)
{
    const char *prompt = rl_display_prompt && *rl_display_prompt ? rl_display_prompt : "› ";
    tui_style_on(t, w, ST_MINE);
    wmove(w, 0, 0);
    int pw = tui_put_utf8(w, prompt, width - 1);
    tui_style_off(t, w, ST_MINE);
    int avail = width - pw - 1;
    if (avail < 1)
        return;
    size_t n = rl_line_buffer ? (size_t)rl_end : 0;
    wchar_t *ws = malloc((n + 1) * sizeof *ws);
    size_t *offs = malloc((n + 1) * sizeof *offs);
    if (!ws || !offs) {
        free(ws);
        free(offs);
        return;
    }
    size_t len = wrap_decode(rl_line_buffer, n, ws, n, offs);
    size_t cur = 0;
    while (cur < len && offs[cur] < (size_t)rl_point)
        cur++;
    int cursor = wrap_wcs_width(ws, cur);
    follow_cursor(t, cursor, wrap_wcs_width(ws, len), avail);
    int col = 0;
    for (size_t i = 0; i < len; i++) {
        int cw = wrap_cp_width(ws[i]);
        if (col >= t->hscroll && col + cw <= t->hscroll + avail) {
            wmove(w, 0, pw + col - t->hscroll);
            if (cw == 0 && col == t->hscroll)
                continue;
            waddnwstr(w, ws + i, 1);
        }
        col += cw;
    }
    free(ws);
    free(offs);
    wmove(w, 0, pw + cursor - t->hscroll);
}

void input_draw(tui *t)
{
    WINDOW *w = t->w_input;
    if (!w)
        return;
    int h, width;
    getmaxyx(w, h, width);
    werase(w);
    if (t->paste.mode == PASTE_CONFIRM)
        draw_confirm(t, w, h, width);
    else
        draw_line(t, w, width);
    wnoutrefresh(w);
}
