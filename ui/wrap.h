/* wrap: pure UTF-8 decoding, terminal display width and line wrapping for the TUI (no curses,
 * no I/O). Decoding is total and safe to print: invalid or overlong bytes, C0/C1 controls, DEL,
 * bidi overrides and code points the locale cannot print (wcwidth < 0) become U+FFFD; a tab
 * becomes a space; '\n' is kept as a hard line break. Widths follow wcwidth(3) of LC_CTYPE (the
 * TUI runs in a UTF-8 locale), so they agree with what ncursesw draws. */
#ifndef KCHAT_UI_WRAP_H
#define KCHAT_UI_WRAP_H

#include <stddef.h>
#include <wchar.h>

#define WRAP_REPLACEMENT ((wchar_t)0xFFFD)

/* One wrapped line: code points [start, end) of the decoded text, width columns wide. */
typedef struct wrap_span {
    size_t start, end;
    int width;
} wrap_span;

/* Decodes n bytes of s into out (room for cap code points; n always suffices) and returns how
 * many were written. offsets, when not NULL, receives the byte offset where each code point
 * starts (room for cap entries). */
size_t wrap_decode(const char *s, size_t n, wchar_t *out, size_t cap, size_t *offsets);
/* wrap_decode into a fresh malloc'ed, NUL-terminated array; *len gets the length. NULL when out
 * of memory. */
wchar_t *wrap_decode_dup(const char *s, size_t n, size_t *len);
/* Columns of one decoded code point: 0 (combining, zero-width, '\n'), 1 or 2. */
int wrap_cp_width(wchar_t c);
/* Columns of n bytes of UTF-8, decoded as above ('\n' counts zero). */
int wrap_width(const char *s, size_t n);
/* Columns of n decoded code points. */
int wrap_wcs_width(const wchar_t *s, size_t n);
/* Breaks decoded text into lines at most width columns wide: a line that would overflow breaks
 * after its last space (that space is dropped), inside a word only when the word alone is wider
 * than the line; never inside a wide character or before a combining mark. '\n' always breaks.
 * A width below 1 counts as 1; a character wider than the line gets a line of its own. Empty
 * text is one empty line. Stores up to cap spans in out and returns the number of lines (which
 * may exceed cap; out may be NULL when cap is 0). */
size_t wrap_lines(const wchar_t *text, size_t n, int width, wrap_span *out, size_t cap);
/* Bytes of the longest prefix of s (n bytes) no wider than width columns, never cutting a
 * code point or separating a base from its combining marks. */
size_t wrap_fit_bytes(const char *s, size_t n, int width);

#endif
