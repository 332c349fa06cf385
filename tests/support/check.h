/* check: a minimal assertion kit for kchat's C tests. CHECK records a failure and goes on;
 * check_summary() prints "N passed, N failed" and returns the process exit code. */
#ifndef KCHAT_CHECK_H
#define KCHAT_CHECK_H

#include <stdbool.h>

void check_record(bool ok, const char *expr, const char *file, int line);
int check_summary(void);

#define CHECK(cond) check_record((cond), #cond, __FILE__, __LINE__)

#endif
