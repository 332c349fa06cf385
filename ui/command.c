#include "ui/command.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const command_info table[] = {
    {CMD_HELP, "help", "[command]", "list the commands, or explain one"},
    {CMD_QUIT, "quit", "", "close the channel and leave (also Ctrl-C); /quit! does not ask"},
    {CMD_CLEAR, "clear", "", "clear the conversation pane"},
    {CMD_ID, "id", "", "show your identifier in full"},
    {CMD_PEER, "peer", "", "show the peer's identifier in full and how it is trusted"},
    {CMD_STATS, "stats", "", "show the message counters"},
    {CMD_REKEY, "rekey", "", "switch to fresh session keys now"},
    {CMD_INVITE, "invite", "", "show or hide the invitation at the top (Bob)"},
    {CMD_COPY, "copy", "", "put the invitation on the clipboard (OSC 52; Bob)"},
    {CMD_BELL, "bell", "[on|off]", "ring or not when a message arrives unseen"},
    {CMD_CHANNEL, "channel", "[on|off]", "show or hide the channel pane (also F2, Ctrl-T)"},
};

static const struct {
    const char *alias;
    command_kind kind;
} aliases[] = {{"q", CMD_QUIT}, {"exit", CMD_QUIT}, {"?", CMD_HELP}, {"whois", CMD_PEER}};

#define N_TABLE (sizeof table / sizeof table[0])
#define N_ALIASES (sizeof aliases / sizeof aliases[0])

const command_info *command_table(size_t *n)
{
    *n = N_TABLE;
    return table;
}

static const command_info *by_kind(command_kind kind)
{
    for (size_t i = 0; i < N_TABLE; i++)
        if (table[i].kind == kind)
            return &table[i];
    return NULL;
}

static bool name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
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
    for (size_t i = 0; i < N_ALIASES; i++)
        if (name_is(name, len, aliases[i].alias))
            return by_kind(aliases[i].kind);
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

static void parse_on_off(command *out)
{
    const char *name = out->kind == CMD_BELL ? "bell" : "channel";
    if (out->arg_len == 0)
        out->value = -1;
    else if (name_is(out->arg, out->arg_len, "on") || name_is(out->arg, out->arg_len, "show"))
        out->value = 1;
    else if (name_is(out->arg, out->arg_len, "off") || name_is(out->arg, out->arg_len, "hide"))
        out->value = 0;
    else {
        out->kind = CMD_BAD_ARG;
        snprintf(out->error, sizeof out->error, "usage: /%s [on|off]", name);
    }
}

static void check_args(command *out)
{
    if (out->kind == CMD_CHANNEL || out->kind == CMD_BELL) {
        parse_on_off(out);
        return;
    }
    if (out->kind == CMD_HELP || out->arg_len == 0)
        return;
    const command_info *ci = by_kind(out->kind);
    out->kind = CMD_BAD_ARG;
    snprintf(out->error, sizeof out->error, "/%s takes no argument", ci ? ci->name : out->name);
}

void command_parse(const char *line, command *out)
{
    memset(out, 0, sizeof *out);
    out->arg = line + strlen(line);
    if (all_blank(line)) {
        out->kind = CMD_EMPTY;
        return;
    }
    if (line[0] != '/' || line[1] == '/') {
        out->kind = CMD_MESSAGE;
        out->text = line[0] == '/' ? line + 1 : line;
        return;
    }
    const char *name;
    size_t name_len;
    split(line, out, &name, &name_len);
    const command_info *ci = command_find(name, name_len);
    if (!ci && name_len > 1 && name[name_len - 1] == '!') { /* /quit!: leave without asking */
        ci = command_find(name, name_len - 1);
        if (ci && ci->kind == CMD_QUIT)
            out->value = 1;
        else
            ci = NULL;
    }
    if (!ci) {
        out->kind = CMD_UNKNOWN;
        if (name_len == 0)
            snprintf(out->error, sizeof out->error, "no command name — try /help");
        else
            snprintf(out->error, sizeof out->error, "unknown command /%s — try /help", out->name);
        return;
    }
    out->kind = ci->kind;
    check_args(out);
}
