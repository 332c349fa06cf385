/* command: the slash commands of the input line, one table (command.c) of {name, aliases, args,
 * handler, help} from which parsing, dispatch, /help and Tab completion all come. Parsing is
 * pure (no curses, no I/O): a line is a message, a slash command with its argument, or nothing.
 * A line starting with "/" is a command (names are case-insensitive; aliases such as /q); a line
 * starting with "//" is the message "/..." (the first slash is dropped). Any other line is a
 * message as typed, unless it is blank. The handlers live in actions.c and run on the UI
 * thread. */
#ifndef KCHAT_UI_COMMAND_H
#define KCHAT_UI_COMMAND_H

#include <stddef.h>

typedef enum {
    UI_CMD_EMPTY,   /* a blank line: nothing to do */
    UI_CMD_MESSAGE, /* text: the message to send */
    UI_CMD_HELP,    /* arg: optional command name */
    UI_CMD_QUIT,    /* value 1: /quit! (leave even with undelivered messages) */
    UI_CMD_CLEAR,
    UI_CMD_ID,
    UI_CMD_PEER,
    UI_CMD_STATS,
    UI_CMD_REKEY,
    UI_CMD_INVITE,
    UI_CMD_COPY,
    UI_CMD_CHANNEL, /* value: -1 toggle, 0 hide ("off"), 1 show ("on") */
    UI_CMD_BELL,    /* value: as UI_CMD_CHANNEL */
    UI_CMD_UNKNOWN, /* name: what was typed after "/" */
    UI_CMD_BAD_ARG, /* a known command with an argument it does not take; error says why */
} command_kind;

struct tui;
struct command;
/* What a command does (ui/actions.c), on the UI thread. */
typedef void command_fn(struct tui *t, const struct command *cmd);

typedef struct command_info {
    command_kind kind;
    const char *name;    /* without "/" */
    const char *aliases; /* other names, separated by spaces; "" for none */
    const char *args;    /* "", "[on|off]" (parsed into value) or "[command]" (any argument) */
    command_fn *run;
    const char *help; /* one line */
} command_info;

typedef struct command {
    command_kind kind;
    const command_info *info; /* the table entry that runs it; NULL unless kind names one */
    const char *text;         /* UI_CMD_MESSAGE: the message, pointing into the parsed line */
    const char *arg; /* the argument with surrounding blanks removed, pointing into the line */
    size_t arg_len;  /* 0: no argument */
    int value;       /* UI_CMD_CHANNEL, UI_CMD_BELL, UI_CMD_QUIT, see above */
    char name[32];   /* the command name as typed (without "/", truncated) */
    char error[96];  /* UI_CMD_BAD_ARG and UI_CMD_UNKNOWN: a one-line hint for the user */
} command;

/* The handlers of the table (ui/actions.c). */
command_fn action_help, action_quit, action_clear, action_id, action_peer, action_stats,
    action_rekey, action_invite, action_copy, action_bell, action_channel;

/* Parses line (UTF-8, no newline) into out. Never fails; out points into line. */
void command_parse(const char *line, command *out);
/* The commands in display order; *n gets the count. */
const command_info *command_table(size_t *n);
/* The table entry whose name or alias is name (with or without a leading "/"), NULL if none. */
const command_info *command_find(const char *name, size_t len);
/* The i-th (from 0) command name starting with prefix (which includes the "/"), or NULL. */
const char *command_complete(const char *prefix, size_t i);

#endif
