#include "support/check.h"

#include <stdio.h>
#include <string.h>

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

int check_run_cases(const check_case *cases, size_t n, int argc, char **argv)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        any = true;
        printf("-- %s\n", cases[i].name);
        cases[i].fn();
    }
    if (!any) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    return check_summary();
}
