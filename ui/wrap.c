#include "ui/wrap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Length of the sequence a lead byte starts and the smallest code point it may encode; 0 for a
 * byte that cannot start a sequence. */
static int utf8_lead(unsigned char b, uint32_t *cp, uint32_t *min)
{
    if (b < 0x80) {
        *cp = b;
        *min = 0;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        *cp = b & 0x1F;
        *min = 0x80;
        return 2;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        *cp = b & 0x0F;
        *min = 0x800;
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        *cp = b & 0x07;
        *min = 0x10000;
        return 4;
    }
    return 0;
}

/* Decodes one code point at s (n > 0 bytes left); stores it and returns the bytes consumed. An
 * invalid sequence gives U+FFFD and consumes its maximal valid prefix (at least one byte). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *out)
{
    uint32_t cp, min;
    int len = utf8_lead(s[0], &cp, &min);
    if (len == 0) {
        *out = 0xFFFD;
        return 1;
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n || (s[i] & 0xC0) != 0x80) {
            *out = 0xFFFD;
            return (size_t)i;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
        /* Reject overlongs, surrogates and values above U+10FFFF as early as possible. */
        if (i == 1 && len == 3 && ((min == 0x800 && cp < 0x20) || (cp >= 0x360 && cp <= 0x37F))) {
            *out = 0xFFFD;
            return 1;
        }
        if (i == 1 && len == 4 && (cp < 0x10 || cp > 0x10F)) {
            *out = 0xFFFD;
            return 1;
        }
    }
    *out = cp >= min ? cp : 0xFFFD;
    return (size_t)len;
}

static bool is_bidi_control(uint32_t c)
{
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* What the screen shows for a decoded code point. */
static wchar_t sanitize(uint32_t c)
{
    if (c == '\n')
        return L'\n';
    if (c == '\t')
        return L' ';
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || is_bidi_control(c))
        return WRAP_REPLACEMENT;
    if (wcwidth((wchar_t)c) < 0)
        return WRAP_REPLACEMENT;
    return (wchar_t)c;
}

size_t wrap_decode(const char *s, size_t n, wchar_t *out, size_t cap, size_t *offsets)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k = 0;
    while (i < n && k < cap) {
        uint32_t cp;
        size_t used = utf8_next(p + i, n - i, &cp);
        if (offsets)
            offsets[k] = i;
        out[k++] = sanitize(cp);
        i += used;
    }
    return k;
}

wchar_t *wrap_decode_dup(const char *s, size_t n, size_t *len)
{
    wchar_t *w = malloc((n + 1) * sizeof *w);
    if (!w)
        return NULL;
    size_t k = wrap_decode(s, n, w, n, NULL);
    w[k] = L'\0';
    if (len)
        *len = k;
    return w;
}

int wrap_cp_width(wchar_t c)
{
    if (c == L'\n')
        return 0;
    int w = wcwidth(c);
    if (w < 0)
        return 1;
    return w > 2 ? 2 : w;
}

int wrap_wcs_width(const wchar_t *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++)
        w += wrap_cp_width(s[i]);
    return w;
}

int wrap_width(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    int w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += utf8_next(p + i, n - i, &cp);
        w += wrap_cp_width(sanitize(cp));
    }
    return w;
}

/* End of the cluster starting at i: the code point plus the zero-width ones after it. */
static size_t cluster_end(const wchar_t *t, size_t n, size_t i)
{
    size_t k = i + 1;
    while (k < n && t[k] != L'\n' && wrap_cp_width(t[k]) == 0)
        k++;
    return k;
}

static void put_span(wrap_span *out, size_t cap, size_t idx, size_t start, size_t end, int width)
{
    if (idx < cap) {
        out[idx].start = start;
        out[idx].end = end;
        out[idx].width = width;
    }
}

/* Lays out one line starting at *pos; stores it as span idx and moves *pos past it (and past a
 * dropped space, with any marks on it, or '\n'). Returns false when the line ended the text. */
static bool wrap_one(const wchar_t *t, size_t n, int width, size_t *pos, wrap_span *out, size_t cap,
                     size_t idx)
{
    size_t start = *pos, j = start, space = 0, space_end = 0;
    int col = 0, col_at_space = 0;
    bool have_space = false;
    while (j < n && t[j] != L'\n') {
        size_t k = cluster_end(t, n, j);
        int cw = wrap_wcs_width(t + j, k - j);
        if (col + cw > width && j > start) {
            if (t[j] == L' ') { /* overflow on a space: break here, drop it */
                put_span(out, cap, idx, start, j, col);
                *pos = k;
            } else if (have_space) { /* break after the last word that fits */
                put_span(out, cap, idx, start, space, col_at_space);
                *pos = space_end;
            } else { /* a word wider than the line: break inside it */
                put_span(out, cap, idx, start, j, col);
                *pos = j;
            }
            return true;
        }
        if (t[j] == L' ' && j > start) {
            have_space = true;
            space = j;
            space_end = k;
            col_at_space = col;
        }
        col += cw;
        j = k;
    }
    put_span(out, cap, idx, start, j, col);
    *pos = j + 1;
    return j < n;
}

size_t wrap_lines(const wchar_t *text, size_t n, int width, wrap_span *out, size_t cap)
{
    if (width < 1)
        width = 1;
    size_t lines = 0, pos = 0;
    bool more = true;
    while (more) {
        more = wrap_one(text, n, width, &pos, out, cap, lines);
        lines++;
    }
    return lines;
}

/* Bytes and columns of the cluster starting at byte i of p (n bytes). */
static size_t byte_cluster(const unsigned char *p, size_t n, size_t i, int *width)
{
    uint32_t cp;
    size_t k = i + utf8_next(p + i, n - i, &cp);
    *width = wrap_cp_width(sanitize(cp));
    while (k < n) {
        size_t used = utf8_next(p + k, n - k, &cp);
        if (cp == '\n' || wrap_cp_width(sanitize(cp)) != 0)
            break;
        k += used;
    }
    return k;
}

size_t wrap_fit_bytes(const char *s, size_t n, int width)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int col = 0;
    while (i < n) {
        int cw;
        size_t k = byte_cluster(p, n, i, &cw);
        if (col + cw > width)
            break;
        col += cw;
        i = k;
    }
    return i;
}
