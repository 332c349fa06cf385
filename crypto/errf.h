/* errf: the crypto module's one way to fill a caller's error buffer (err may be NULL). */
#ifndef KCHAT_ERRF_H
#define KCHAT_ERRF_H

#include <stddef.h>

void crypto_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
