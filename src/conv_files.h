/* conv_files: one side's conversation journal and history (src/conv_state.h, src/history.h) for
 * the invitation it uses, sealed with the store key of its identity, opened by cmd_connect
 * (Alice) and cmd_listen (Bob) for their session and closed after it. */
#ifndef KCHAT_CONV_FILES_H
#define KCHAT_CONV_FILES_H

#include "crypto/identity.h"
#include "crypto/invitation.h"
#include "src/conv_state.h"
#include "src/history.h"
#include "src/session.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONV_FILES_SHOW 20 /* history messages shown when a conversation resumes */

typedef struct conv_files {
    uint8_t *key; /* the store key (sodium_malloc'ed) */
    conv_state *journal;
    history *hist; /* NULL with --no-history */
} conv_files;

/* Opens (or creates) the journal of inv for the side that listens (Bob) or connects (Alice),
 * and unless no_history its history. 0, or -1 with err filled (another process holds the
 * journal: "in use"; sealed by another identity; damaged); nothing is left open then. */
int conv_files_open(conv_files *f, const identity *self, const invitation *inv, bool listener,
                    bool no_history, char *err, size_t errlen);
/* For a session started with cfg.state_later: opens them as conv_files_open does, while the
 * session connects to Kafka, and hands them (or why they could not be opened) to it. 0, or -1
 * with f all NULL (the session says why and ends). */
int conv_files_attach(conv_files *f, session *s, const identity *self, const invitation *inv,
                      bool listener, bool no_history);
/* Syncs and closes both; f may be all NULL. */
void conv_files_close(conv_files *f);

#endif
