/* command: pure parsing of what the user typed into the input line (no curses, no I/O): a
 * message, a slash command with its argument, or nothing. A line starting with "/" is a command
 * (names are case-insensitive; aliases /q and /exit for /quit, /? for /help); a line starting
 * with "//" is the message "/..." (the first slash is dropped). Any other line is a message as
 * typed, unless it is blank. The command table also feeds /help and Tab completion. */
#ifndef KCHAT_UI_COMMAND_H
#define KCHAT_UI_COMMAND_H

#include <stddef.h>

typedef enum {
    CMD_EMPTY,   /* a blank line: nothing to do */
    CMD_MESSAGE, /* text: the message to send */
    CMD_HELP,    /* arg: optional command name */
    CMD_QUIT,    /* value 1: /quit! (leave even with undelivered messages) */
    CMD_CLEAR,
    CMD_ID,
    CMD_PEER,
    CMD_STATS,
    CMD_REKEY,
    CMD_INVITE,
    CMD_COPY,
    CMD_CHANNEL, /* value: -1 toggle, 0 hide ("off"), 1 show ("on") */
    CMD_BELL,    /* value: as CMD_CHANNEL */
    CMD_UNKNOWN, /* name: what was typed after "/" */
    CMD_BAD_ARG, /* a known command with an argument it does not take; error says why */
} command_kind;

typedef struct command {
    command_kind kind;
    const char *text; /* CMD_MESSAGE: the message, pointing into the parsed line */
    const char *arg;  /* the argument with surrounding blanks removed, pointing into the line */
    size_t arg_len;   /* 0: no argument */
    int value;        /* CMD_CHANNEL, see above */
    char name[32];    /* the command name as typed (without "/", truncated) */
    char error[96];   /* CMD_BAD_ARG and CMD_UNKNOWN: a one-line hint for the user */
} command;

typedef struct command_info {
    command_kind kind;
    const char *name; /* without "/" */
    const char *args; /* "" or e.g. "[on|off]" */
    const char *help; /* one line */
} command_info;

/* Parses line (UTF-8, no newline) into out. Never fails; out points into line. */
void command_parse(const char *line, command *out);
/* The commands in display order; *n gets the count. */
const command_info *command_table(size_t *n);
/* The table entry whose name or alias is name (with or without a leading "/"), NULL if none. */
const command_info *command_find(const char *name, size_t len);
/* The i-th (from 0) command name starting with prefix (which includes the "/"), or NULL. */
const char *command_complete(const char *prefix, size_t i);

#endif
