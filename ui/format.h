/* format: pure text helpers of the TUI (no curses): clock times, short grouped identifiers,
 * durations and counters, always NUL-terminated and truncated to the buffer. */
#ifndef KCHAT_UI_FORMAT_H
#define KCHAT_UI_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "HH:MM:SS" in local time; out needs 9 bytes. */
void fmt_clock(time_t t, char out[9]);
/* "Tuesday 2024-05-07" in local time. */
void fmt_day(time_t t, char *out, size_t outlen);
/* True when a and b fall on different local calendar days. */
int fmt_other_day(time_t a, time_t b);
/* The first `groups` groups of four characters of an identifier, joined by '-' ("abcd-efgh-ijkl"
 * for 3); groups <= 0 means all of them. Dashes already in id are skipped; "?" for NULL or "". */
void fmt_id_groups(const char *id, int groups, char *out, size_t outlen);
/* "<1 ms", "38 ms", "1.25 s", "2 min 5 s". */
void fmt_ms(double ms, char *out, size_t outlen);

#endif
