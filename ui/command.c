#include "ui/command.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const command_info table[] = {
    {UI_CMD_HELP, "help", "?", "[command]", action_help, "list the commands, or explain one"},
    {UI_CMD_QUIT, "quit", "q exit", "", action_quit,
     "close the channel and leave (also Ctrl-C); /quit! does not ask"},
    {UI_CMD_CLEAR, "clear", "", "", action_clear, "clear the conversation pane"},
    {UI_CMD_ID, "id", "", "", action_id, "show your identifier in full"},
    {UI_CMD_PEER, "peer", "whois", "", action_peer,
     "show the peer's identifier in full and how it is trusted"},
    {UI_CMD_STATS, "stats", "", "", action_stats, "show the message counters"},
    {UI_CMD_REKEY, "rekey", "", "", action_rekey, "switch to fresh session keys now"},
    {UI_CMD_INVITE, "invite", "", "", action_invite,
     "show or hide the invitation at the top (Bob)"},
    {UI_CMD_COPY, "copy", "", "", action_copy, "put the invitation on the clipboard (OSC 52; Bob)"},
    {UI_CMD_BELL, "bell", "", "[on|off]", action_bell, "ring or not when a message arrives unseen"},
    {UI_CMD_CHANNEL, "channel", "", "[on|off]", action_channel,
     "show or hide the channel pane (also F2, Ctrl-T)"},
};

#define N_TABLE (sizeof table / sizeof table[0])

const command_info *command_table(size_t *n)
{
    *n = N_TABLE;
    return table;
}

static bool name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Whether name is one of the space-separated words of aliases. */
static bool is_alias(const char *name, size_t len, const char *aliases)
{
    for (const char *p = aliases; *p;) {
        size_t n = strcspn(p, " ");
        if (n > 0 && n == len && strncasecmp(p, name, len) == 0)
            return true;
        p += n + (p[n] == ' ');
    }
    return false;
}

const command_info *command_find(const char *name, size_t len)
{
    if (len > 0 && name[0] == '/') {
        name++;
        len--;
    }
    for (size_t i = 0; i < N_TABLE; i++)
        if (name_is(name, len, table[i].name))
            return &table[i];
    for (size_t i = 0; i < N_TABLE; i++)
        if (is_alias(name, len, table[i].aliases))
            return &table[i];
    return NULL;
}

const char *command_complete(const char *prefix, size_t i)
{
    if (prefix[0] != '/')
        return NULL;
    size_t len = strlen(prefix + 1);
    for (size_t k = 0; k < N_TABLE; k++) {
        if (strncasecmp(table[k].name, prefix + 1, len) == 0 && i-- == 0)
            return table[k].name;
    }
    return NULL;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool all_blank(const char *s)
{
    while (*s && is_blank(*s))
        s++;
    return *s == '\0';
}

/* Splits "/name  arg  " into name and trimmed argument. */
static void split(const char *line, command *out, const char **name, size_t *name_len)
{
    const char *p = line + 1;
    *name = p;
    while (*p && !is_blank(*p))
        p++;
    *name_len = (size_t)(p - *name);
    while (*p && is_blank(*p))
        p++;
    const char *end = p + strlen(p);
    while (end > p && is_blank(end[-1]))
        end--;
    out->arg = p;
    out->arg_len = (size_t)(end - p);
    size_t n = *name_len < sizeof out->name - 1 ? *name_len : sizeof out->name - 1;
    memcpy(out->name, *name, n);
    out->name[n] = '\0';
}

static void parse_on_off(command *out, const command_info *ci)
{
    if (out->arg_len == 0)
        out->value = -1;
    else if (name_is(out->arg, out->arg_len, "on") || name_is(out->arg, out->arg_len, "show"))
        out->value = 1;
    else if (name_is(out->arg, out->arg_len, "off") || name_is(out->arg, out->arg_len, "hide"))
        out->value = 0;
    else
        snprintf(out->error, sizeof out->error, "usage: /%s %s", ci->name, ci->args);
}

/* The argument as the table entry's args allow; error set when it does not fit. */
static void check_args(command *out, const command_info *ci)
{
    if (strcmp(ci->args, "[on|off]") == 0)
        parse_on_off(out, ci);
    else if (ci->args[0] == '\0' && out->arg_len > 0)
        snprintf(out->error, sizeof out->error, "/%s takes no argument", ci->name);
}

void command_parse(const char *line, command *out)
{
    memset(out, 0, sizeof *out);
    out->arg = line + strlen(line);
    if (all_blank(line)) {
        out->kind = UI_CMD_EMPTY;
        return;
    }
    if (line[0] != '/' || line[1] == '/') {
        out->kind = UI_CMD_MESSAGE;
        out->text = line[0] == '/' ? line + 1 : line;
        return;
    }
    const char *name;
    size_t name_len;
    split(line, out, &name, &name_len);
    const command_info *ci = command_find(name, name_len);
    if (!ci && name_len > 1 && name[name_len - 1] == '!') { /* /quit!: leave without asking */
        ci = command_find(name, name_len - 1);
        if (ci && ci->kind == UI_CMD_QUIT)
            out->value = 1;
        else
            ci = NULL;
    }
    if (!ci) {
        out->kind = UI_CMD_UNKNOWN;
        if (name_len == 0)
            snprintf(out->error, sizeof out->error, "no command name — try /help");
        else
            snprintf(out->error, sizeof out->error, "unknown command /%s — try /help", out->name);
        return;
    }
    check_args(out, ci);
    if (out->error[0]) {
        out->kind = UI_CMD_BAD_ARG;
        return;
    }
    out->kind = ci->kind;
    out->info = ci;
}
