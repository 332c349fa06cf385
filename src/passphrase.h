/* passphrase: where an identity's passphrase comes from: $KCHAT_PASSPHRASE, else the terminal
 * (echo off). The result lives in sodium_malloc'ed memory; passphrase_free wipes it. */
#ifndef KCHAT_PASSPHRASE_H
#define KCHAT_PASSPHRASE_H

#define PASSPHRASE_MIN 8   /* characters a new passphrase needs (from the terminal) */
#define PASSPHRASE_TRIES 3 /* a new passphrase too short or mistyped is asked for again */

/* confirm: a new passphrase: at least PASSPHRASE_MIN characters, asked twice, the same answer
 * required, up to PASSPHRASE_TRIES tries ($KCHAT_PASSPHRASE is taken with a warning when it is
 * short). NULL when none can be had. */
char *passphrase_get(const char *prompt, int confirm);
/* The terminal part of passphrase_get on fd (prompts written to fd too); for tests. */
char *passphrase_ask_fd(int fd, const char *prompt, int confirm);
void passphrase_free(char *p);
/* Says msg (and "try again") on the terminal, where the passphrase was asked for. */
void passphrase_say(const char *msg);

#endif
