/* options: the command line of kchat's subcommands (kcat-style -b and -X), parsed into one
 * struct. Parsing never exits; errors are one line in err. The help text printed here is the
 * source that man/kchat.1 must agree with (a test checks every option appears there). */
#ifndef KCHAT_OPTIONS_H
#define KCHAT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define KCHAT_DEFAULT_BROKERS "127.0.0.1:9092"
#define KCHAT_DEFAULT_HANDSHAKE_TIMEOUT 30.0

typedef enum { CMD_NONE, CMD_LISTEN, CMD_CONNECT, CMD_ID, CMD_FORGET } kchat_command;

typedef struct kchat_options {
    kchat_command command;
    const char *brokers;
    const char **props; /* -X, in order */
    size_t nprops;
    const char *identity_path;
    const char *state_path;
    const char *log_path;
    const char *invitation;
    const char *invitation_file;
    const char *a2b, *b2a;
    const char **trust; /* --trust, in order */
    size_t ntrust;
    bool echo, resume, trust_any, batch, json, verbose, seal, help;
    bool fresh;         /* listen --new: a new invitation even if a peer used the last one */
    bool no_history;    /* listen, connect --no-history: keep no history of the conversation */
    bool forget_listen; /* forget --listen: Bob's listen state and its conversation */
    double timeout_s;
    double handshake_timeout_s;
} kchat_options;

/* argv[0] is the subcommand ("listen", "connect", "id"). Returns 0, or -1 with err set. */
int options_parse(int argc, char **argv, kchat_options *o, char *err, size_t errlen);
void options_free(kchat_options *o);
void options_usage(FILE *f, kchat_command cmd);
kchat_command options_command(const char *name);

#endif
