/* check: a minimal assertion kit for kchat's C tests. CHECK records a failure and goes on;
 * check_summary() prints "N passed, N failed" and returns the process exit code. */
#ifndef KCHAT_CHECK_H
#define KCHAT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

void check_record(bool ok, const char *expr, const char *file, int line);
int check_summary(void);

#define CHECK(cond) check_record((cond), #cond, __FILE__, __LINE__)

/* A named test of a binary that holds several (CTest runs each as a test of its own). */
typedef struct check_case {
    const char *name;
    void (*fn)(void);
} check_case;

/* Runs the case named argv[1] (every case without one), then check_summary(); 2 when no case
 * has that name. */
int check_run_cases(const check_case *cases, size_t n, int argc, char **argv);

#endif
