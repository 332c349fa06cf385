/* errf: the one way to fill a caller's error buffer (err, errlen). err may be NULL or errlen 0:
 * then nothing is written. The text is cut to fit and always NUL-terminated. */
#ifndef KCHAT_SYS_ERRF_H
#define KCHAT_SYS_ERRF_H

#include <stddef.h>

void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
