/* options: the command line of kchat's subcommands (kcat-style -b and -X), parsed into one
 * struct. Parsing never exits; errors are one line in err. The help text printed here is the
 * source that man/kchat.1 must agree with (a test checks every option appears there). */
#ifndef KCHAT_OPTIONS_H
#define KCHAT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define KCHAT_DEFAULT_TOPIC_PREFIX "kchat-"
#define KCHAT_TOPIC_PREFIX_MAX 200
#define KCHAT_DEFAULT_BROKERS "127.0.0.1:9092"
#define KCHAT_DEFAULT_HANDSHAKE_TIMEOUT 30.0

/* The subcommands (kchat listen, ...); the /commands of the TUI are ui/command.h's UI_CMD_*. */
typedef enum {
    KCHAT_CMD_NONE,
    KCHAT_CMD_LISTEN,
    KCHAT_CMD_CONNECT,
    KCHAT_CMD_ID,
    KCHAT_CMD_FORGET,
} kchat_command;

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
    bool fresh;               /* listen --new: a new invitation even if a peer used the last one */
    const char *name;         /* --name: our display name, sent in the handshake */
    const char *topic_prefix; /* listen --topic-prefix (NULL: KCHAT_DEFAULT_TOPIC_PREFIX) */
    bool brokers_default;     /* neither -b nor KCHAT_BROKERS: an invitation's brokers may serve */
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
/* Options may come before the subcommand (kchat -b HOST:PORT listen): fills out (argc + 1
 * entries) with the subcommand first, then every other word in order, NULL-terminated.
 * Returns the subcommand's index in argv, or -1 when no word outside the options is there. */
int options_arrange(int argc, char **argv, char **out);
/* Why kchat refuses -X PROP=VAL (a property it sets itself), or NULL when it takes it. */
const char *options_owned_property(const char *prop);
/* arg as it may appear in an error message: an invitation (it holds a secret) is not shown. */
const char *options_shown_arg(const char *arg);
/* Checks the paths o names against the file system: an explicit --identity must exist (except
 * for kchat id, which creates it) and be no directory; --state must not be a directory.
 * 0, or -1 with err set. */
int options_check_paths(const kchat_options *o, char *err, size_t errlen);

#endif
