#include "support/check.h"

#include <stdio.h>

static unsigned passed, failed;

void check_record(bool ok, const char *expr, const char *file, int line)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
}

int check_summary(void)
{
    printf("%u passed, %u failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
