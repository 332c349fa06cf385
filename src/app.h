/* app: what the subcommands share: the Kafka configuration from -b/-X, the identity (asking for
 * its passphrase when sealed), and running a session under the chosen front end. */
#ifndef KCHAT_APP_H
#define KCHAT_APP_H

#include "crypto/identity.h"
#include "net/net_config.h"
#include "src/conv_files.h"
#include "src/options.h"
#include "src/session.h"

/* Fills cfg from o and checks every -X property. 0 or -1 with err set. */
int app_net_config(const kchat_options *o, net_config *cfg, char *err, size_t errlen);
/* Loads (or creates) the identity named by o. NULL with err set. */
identity *app_identity(const kchat_options *o, char *err, size_t errlen);
/* Refuses early what cannot work: paths that name the wrong thing (options_check_paths), the
 * TUI without a usable terminal. 0 or -1 with err set. */
int app_check_front(const kchat_options *o, char *err, size_t errlen);
/* The conversation's files, opened while the session connects to Kafka (cfg.state_later). */
typedef struct app_later_files {
    conv_files *files; /* filled; the caller closes them after app_run */
    const invitation *inv;
    bool listener, no_history;
} app_later_files;

/* Runs the session until it ends under the TUI or batch front end; returns the exit status.
 * early: events to show first (e.g. the invitation), may be NULL; later: with
 * cfg->state_later, the files to open and hand to the session once it started, else NULL. */
int app_run(const kchat_options *o, const session_config *cfg, const identity *self,
            ui_event *early, const app_later_files *later);
/* Writes text and a newline to path through a fresh 0600 file renamed over it (an invitation
 * holds a secret). 0 or -1 with err set. */
int app_write_secret_file(const char *path, const char *text, char *err, size_t errlen);
/* Prints "kchat: msg" to stderr and returns code. */
int app_fail(int code, const char *msg);

#endif
