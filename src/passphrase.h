/* passphrase: where an identity's passphrase comes from: $KCHAT_PASSPHRASE, else the terminal
 * (echo off). The result lives in sodium_malloc'ed memory; passphrase_free wipes it. */
#ifndef KCHAT_PASSPHRASE_H
#define KCHAT_PASSPHRASE_H

/* confirm: ask twice and require the same answer. NULL when none can be had. */
char *passphrase_get(const char *prompt, int confirm);
void passphrase_free(char *p);

#endif
