#include "ui/format.h"

#include <stdio.h>
#include <string.h>

static struct tm local(time_t t)
{
    struct tm tm;
    if (!localtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    return tm;
}

void fmt_clock(time_t t, char out[9])
{
    struct tm tm = local(t);
    snprintf(out, 9, "%02u:%02u:%02u", (unsigned)tm.tm_hour % 60u, (unsigned)tm.tm_min % 60u,
             (unsigned)tm.tm_sec % 61u);
}

void fmt_day(time_t t, char *out, size_t outlen)
{
    struct tm tm = local(t);
    if (outlen == 0)
        return;
    if (strftime(out, outlen, "%A %Y-%m-%d", &tm) == 0)
        out[0] = '\0';
}

int fmt_other_day(time_t a, time_t b)
{
    struct tm ta = local(a), tb = local(b);
    return ta.tm_year != tb.tm_year || ta.tm_yday != tb.tm_yday;
}

void fmt_id_groups(const char *id, int groups, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    if (!id || !*id) {
        snprintf(out, outlen, "?");
        return;
    }
    size_t k = 0;
    int in_group = 0, done = 0;
    for (const char *p = id; *p && k + 1 < outlen; p++) {
        if (*p == '-')
            continue;
        if (in_group == 4) {
            if (++done == groups || k + 2 >= outlen)
                break;
            out[k++] = '-';
            in_group = 0;
        }
        out[k++] = *p;
        in_group++;
    }
    out[k] = '\0';
}

void fmt_ms(double ms, char *out, size_t outlen)
{
    if (ms < 0)
        ms = 0;
    if (ms < 1)
        snprintf(out, outlen, "<1 ms");
    else if (ms < 1000)
        snprintf(out, outlen, "%.0f ms", ms);
    else if (ms < 60000)
        snprintf(out, outlen, "%.2f s", ms / 1000);
    else
        snprintf(out, outlen, "%.0f min %.0f s", (double)((long long)ms / 60000),
                 (double)(((long long)ms % 60000) / 1000));
}
