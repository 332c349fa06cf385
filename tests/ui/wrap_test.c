/* Unit tests of ui/wrap: UTF-8 decoding and sanitizing, display width (ASCII, combining marks,
 * CJK, emoji, invalid bytes, controls) and wrapping (words, long words, wide characters, exact
 * widths, hard breaks), plus a randomized check of the wrapping invariants. */
#include "support/check.h"
#include "ui/wrap.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int W(const char *s)
{
    return wrap_width(s, strlen(s));
}

/* Wraps s at width; returns the line count and writes "line|line|..." into out. */
static size_t wrap_str(const char *s, int width, char *out, size_t outlen)
{
    size_t n;
    wchar_t *w = wrap_decode_dup(s, strlen(s), &n);
    wrap_span spans[64];
    size_t lines = wrap_lines(w, n, width, spans, 64);
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < lines && i < 64; i++) {
        char line[256];
        size_t m = 0;
        for (size_t j = spans[i].start; j < spans[i].end; j++)
            m += (size_t)wctomb(line + m, w[j]);
        line[m] = '\0';
        k += (size_t)snprintf(out + k, outlen - k, "%s%s", i ? "|" : "", line);
    }
    free(w);
    return lines;
}

static void test_width(void)
{
    CHECK(W("") == 0);
    CHECK(W("hello") == 5);
    CHECK(W("e\xcc\x81") == 1);                /* e + COMBINING ACUTE ACCENT */
    CHECK(W("a\xcc\x81\xcc\xa7") == 1);        /* two combining marks */
    CHECK(W("\xe4\xbd\xa0\xe5\xa5\xbd") == 4); /* 你好 */
    CHECK(W("\xef\xbc\xa1") == 2);             /* FULLWIDTH A */
    CHECK(W("\xf0\x9f\x91\x8b") == 2);         /* 👋 */
    CHECK(W("\xe2\x9c\x93\xe2\x80\xba") == 2); /* ✓› are narrow */
    CHECK(W("\xff\xfe") == 2);                 /* invalid bytes: one U+FFFD each */
    CHECK(W("\xe4\xbd") == 1);                 /* truncated sequence: one U+FFFD */
    CHECK(W("\xc0\xaf") == 2);                 /* overlong */
    CHECK(W("\xed\xa0\x80") == 3);             /* surrogate */
    CHECK(W("\xf4\x90\x80\x80") == 4);         /* above U+10FFFF */
    CHECK(W("\x1b[31m") == 5);                 /* ESC shown as one U+FFFD */
    CHECK(W("a\tb") == 3);
    CHECK(W("a\nb") == 2);
    CHECK(wrap_cp_width(L'\x4f60') == 2);
    CHECK(wrap_cp_width(L'\x0301') == 0);
    CHECK(wrap_cp_width(WRAP_REPLACEMENT) == 1);
}

static void test_decode(void)
{
    wchar_t w[16];
    size_t off[16];
    size_t n = wrap_decode("a\xc3\xa9\xe4\xbd\xa0!", 7, w, 16, off);
    CHECK(n == 4);
    CHECK(w[0] == L'a' && w[1] == 0xE9 && w[2] == 0x4F60 && w[3] == L'!');
    CHECK(off[0] == 0 && off[1] == 1 && off[2] == 3 && off[3] == 6);
    n = wrap_decode("\x1b\x07\x7f\xc2\x9b\t\n", 8, w, 16, NULL); /* NUL too */
    CHECK(n == 7);
    CHECK(w[0] == WRAP_REPLACEMENT && w[1] == WRAP_REPLACEMENT && w[2] == WRAP_REPLACEMENT);
    CHECK(w[3] == WRAP_REPLACEMENT); /* C1 CSI */
    CHECK(w[4] == L' ' && w[5] == L'\n' && w[6] == WRAP_REPLACEMENT);
    n = wrap_decode("\xe2\x80\xae"
                    "abc",
                    6, w, 16, NULL); /* RIGHT-TO-LEFT OVERRIDE */
    CHECK(n == 4 && w[0] == WRAP_REPLACEMENT);
    n = wrap_decode("a\xff"
                    "b",
                    3, w, 16, NULL);
    CHECK(n == 3 && w[1] == WRAP_REPLACEMENT && w[2] == L'b');
    n = wrap_decode("abcdef", 6, w, 3, NULL); /* capacity respected */
    CHECK(n == 3);
}

static void test_wrap(void)
{
    char out[512];
    CHECK(wrap_str("hello world", 20, out, sizeof out) == 1 && strcmp(out, "hello world") == 0);
    CHECK(wrap_str("hello world", 5, out, sizeof out) == 2 && strcmp(out, "hello|world") == 0);
    CHECK(wrap_str("hello world", 11, out, sizeof out) == 1); /* exactly at the limit */
    CHECK(wrap_str("abcde", 5, out, sizeof out) == 1 && strcmp(out, "abcde") == 0);
    CHECK(wrap_str("abcdef", 5, out, sizeof out) == 2 && strcmp(out, "abcde|f") == 0);
    CHECK(wrap_str("abcde fgh", 5, out, sizeof out) == 2 && strcmp(out, "abcde|fgh") == 0);
    CHECK(wrap_str("ab cdefghij", 5, out, sizeof out) == 3 && strcmp(out, "ab|cdefg|hij") == 0);
    CHECK(wrap_str("one two three four", 9, out, sizeof out) == 3 &&
          strcmp(out, "one two|three|four") == 0);
    CHECK(wrap_str("one two three four", 10, out, sizeof out) == 2 &&
          strcmp(out, "one two|three four") == 0);
    /* wide characters are never split */
    CHECK(wrap_str("你好世界", 5, out, sizeof out) == 2 && strcmp(out, "你好|世界") == 0);
    CHECK(wrap_str("你好世界", 4, out, sizeof out) == 2 && strcmp(out, "你好|世界") == 0);
    CHECK(wrap_str("你好世界", 3, out, sizeof out) == 4);
    CHECK(wrap_str("a你", 2, out, sizeof out) == 2 && strcmp(out, "a|你") == 0);
    CHECK(wrap_str("你", 1, out, sizeof out) == 1); /* wider than the line: alone */
    CHECK(wrap_str("👋👋👋", 5, out, sizeof out) == 2 && strcmp(out, "👋👋|👋") == 0);
    /* combining marks stay with their base */
    CHECK(wrap_str("e\xcc\x81"
                   "e\xcc\x81"
                   "e\xcc\x81",
                   2, out, sizeof out) == 2 &&
          strcmp(out, "e\xcc\x81"
                      "e\xcc\x81|e\xcc\x81") == 0);
    /* hard breaks */
    CHECK(wrap_str("a\nb", 10, out, sizeof out) == 2 && strcmp(out, "a|b") == 0);
    CHECK(wrap_str("a\n", 10, out, sizeof out) == 2 && strcmp(out, "a|") == 0);
    CHECK(wrap_str("", 10, out, sizeof out) == 1 && strcmp(out, "") == 0);
    CHECK(wrap_str("\n\n", 10, out, sizeof out) == 3);
    /* degenerate widths */
    CHECK(wrap_str("abc", 0, out, sizeof out) == 3 && strcmp(out, "a|b|c") == 0);
    CHECK(wrap_str("abc", -5, out, sizeof out) == 3);
    /* counting without storing */
    size_t n;
    wchar_t *w = wrap_decode_dup("hello world", 11, &n);
    CHECK(wrap_lines(w, n, 5, NULL, 0) == 2);
    wrap_span one;
    CHECK(wrap_lines(w, n, 5, &one, 1) == 2 && one.start == 0 && one.end == 5 && one.width == 5);
    free(w);
}

static void test_fit(void)
{
    const char *s = "你好";
    CHECK(wrap_fit_bytes(s, strlen(s), 3) == 3);
    CHECK(wrap_fit_bytes(s, strlen(s), 4) == 6);
    CHECK(wrap_fit_bytes(s, strlen(s), 1) == 0);
    s = "e\xcc\x81x";
    CHECK(wrap_fit_bytes(s, strlen(s), 1) == 3);
    CHECK(wrap_fit_bytes("abc", 3, 10) == 3);
}

/* Random text from tricky pieces: every span fits (unless one wide cluster), widths add up,
 * and nothing but break spaces and newlines is lost. */
static void test_random(void)
{
    static const wchar_t pieces[] = {L'a', L'b', L' ', 0x4F60, 0x0301, 0x1F44B, L'\n', L'z'};
    srand(7);
    bool ok = true;
    for (int round = 0; round < 3000 && ok; round++) {
        wchar_t text[40];
        size_t n = (size_t)(rand() % 40);
        for (size_t i = 0; i < n; i++)
            text[i] = pieces[rand() % 8];
        int width = 1 + rand() % 12;
        wrap_span spans[128];
        size_t lines = wrap_lines(text, n, width, spans, 128);
        size_t covered = 0, dropped = 0;
        for (size_t i = 0; i < lines; i++) {
            int w = wrap_wcs_width(text + spans[i].start, spans[i].end - spans[i].start);
            ok = ok && w == spans[i].width;
            int bases = 0; /* wider than the line only when it is one cluster */
            for (size_t j = spans[i].start; j < spans[i].end; j++)
                bases += wrap_cp_width(text[j]) > 0;
            ok = ok && (w <= width || bases == 1);
            covered += spans[i].end - spans[i].start;
            if (i + 1 < lines) {
                ok = ok && spans[i + 1].start >= spans[i].end;
                size_t gap = spans[i + 1].start - spans[i].end;
                /* dropped: one space (with its marks) or one newline */
                for (size_t g = 0; g < gap; g++) {
                    wchar_t c = text[spans[i].end + g];
                    ok = ok && (g == 0 ? (c == L' ' || c == L'\n')
                                       : (c == 0x0301 && text[spans[i].end] == L' '));
                }
                dropped += gap;
                /* a line starts with a combining mark only right after a newline */
                size_t st = spans[i + 1].start;
                ok = ok && (st >= n || text[st] != 0x0301 || text[st - 1] == L'\n');
            }
        }
        ok = ok && covered + dropped == n;
        if (!ok) {
            fprintf(stderr, "random wrap failed in round %d (width %d):", round, width);
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, " %x", (unsigned)text[i]);
            fprintf(stderr, "\n");
            for (size_t i = 0; i < lines; i++)
                fprintf(stderr, " [%zu,%zu)w%d", spans[i].start, spans[i].end, spans[i].width);
            fprintf(stderr, "\n");
        }
    }
    CHECK(ok);
}

int main(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8")) {
        fprintf(stderr, "no C.UTF-8 locale\n");
        return 1;
    }
    test_width();
    test_decode();
    test_wrap();
    test_fit();
    test_random();
    return check_summary();
}
