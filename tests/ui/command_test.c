/* Unit tests of ui/command: every command and alias, arguments and their checks, unknown
 * commands with their hint, the "//" escape, blank lines and surrounding whitespace, and the
 * completion helper. */
#include "support/check.h"
#include "ui/command.h"

#include <stdio.h>
#include <string.h>

static command P(const char *line)
{
    command c;
    command_parse(line, &c);
    return c;
}

static bool is_msg(const char *line, const char *want)
{
    command c = P(line);
    return c.kind == UI_CMD_MESSAGE && strcmp(c.text, want) == 0;
}

static bool arg_is(const command *c, const char *want)
{
    return c->arg_len == strlen(want) && strncmp(c->arg, want, c->arg_len) == 0;
}

static void test_messages(void)
{
    CHECK(P("").kind == UI_CMD_EMPTY);
    CHECK(P("   ").kind == UI_CMD_EMPTY);
    CHECK(P(" \t ").kind == UI_CMD_EMPTY);
    CHECK(is_msg("hello", "hello"));
    CHECK(is_msg("  indented stays as typed ", "  indented stays as typed "));
    CHECK(is_msg("  /quit", "  /quit")); /* only a slash in column one starts a command */
    CHECK(is_msg("//", "/"));
    CHECK(is_msg("//quit", "/quit"));
    CHECK(is_msg("///x", "//x"));
    CHECK(is_msg("// spaced", "/ spaced"));
    CHECK(is_msg("a/b", "a/b"));
    CHECK(is_msg("héllo 你好 👋", "héllo 你好 👋"));
}

static void test_commands(void)
{
    static const struct {
        const char *line;
        command_kind kind;
    } cases[] = {
        {"/help", UI_CMD_HELP},     {"/quit", UI_CMD_QUIT},       {"/clear", UI_CMD_CLEAR},
        {"/id", UI_CMD_ID},         {"/peer", UI_CMD_PEER},       {"/stats", UI_CMD_STATS},
        {"/rekey", UI_CMD_REKEY},   {"/invite", UI_CMD_INVITE},   {"/channel", UI_CMD_CHANNEL},
        {"/QUIT", UI_CMD_QUIT},     {"/Help", UI_CMD_HELP},       {"/q", UI_CMD_QUIT},
        {"/exit", UI_CMD_QUIT},     {"/?", UI_CMD_HELP},          {"/quit   ", UI_CMD_QUIT},
        {"/stats\t", UI_CMD_STATS}, {"/rekey \t ", UI_CMD_REKEY}, {"/copy", UI_CMD_COPY},
        {"/COPY ", UI_CMD_COPY},    {"/bell", UI_CMD_BELL},       {"/whois", UI_CMD_PEER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        command c = P(cases[i].line);
        CHECK(c.kind == cases[i].kind);
        CHECK(c.arg_len == 0);
    }
}

static void test_arguments(void)
{
    command c = P("/help rekey");
    CHECK(c.kind == UI_CMD_HELP && arg_is(&c, "rekey"));
    c = P("/help   /rekey  ");
    CHECK(c.kind == UI_CMD_HELP && arg_is(&c, "/rekey"));
    c = P("/channel");
    CHECK(c.kind == UI_CMD_CHANNEL && c.value == -1);
    c = P("/channel on");
    CHECK(c.kind == UI_CMD_CHANNEL && c.value == 1);
    c = P("/channel  OFF ");
    CHECK(c.kind == UI_CMD_CHANNEL && c.value == 0);
    c = P("/channel hide");
    CHECK(c.kind == UI_CMD_CHANNEL && c.value == 0);
    c = P("/channel maybe");
    CHECK(c.kind == UI_CMD_BAD_ARG && strstr(c.error, "/channel [on|off]") != NULL);
    c = P("/quit!");
    CHECK(c.kind == UI_CMD_QUIT && c.value == 1);
    c = P("/quit");
    CHECK(c.kind == UI_CMD_QUIT && c.value == 0);
    c = P("/help!");
    CHECK(c.kind == UI_CMD_UNKNOWN);
    c = P("/bell off");
    CHECK(c.kind == UI_CMD_BELL && c.value == 0);
    c = P("/bell maybe");
    CHECK(c.kind == UI_CMD_BAD_ARG && strstr(c.error, "/bell [on|off]") != NULL);
    c = P("/quit now");
    CHECK(c.kind == UI_CMD_BAD_ARG && strcmp(c.error, "/quit takes no argument") == 0);
    c = P("/q now");
    CHECK(c.kind == UI_CMD_BAD_ARG && strcmp(c.error, "/quit takes no argument") == 0);
    c = P("/rekey\tplease");
    CHECK(c.kind == UI_CMD_BAD_ARG);
    c = P("/id x");
    CHECK(c.kind == UI_CMD_BAD_ARG && strcmp(c.name, "id") == 0);
}

static void test_unknown(void)
{
    command c = P("/foo");
    CHECK(c.kind == UI_CMD_UNKNOWN && strcmp(c.name, "foo") == 0);
    CHECK(strcmp(c.error, "unknown command /foo — try /help") == 0);
    c = P("/foo bar baz");
    CHECK(c.kind == UI_CMD_UNKNOWN && strcmp(c.name, "foo") == 0 && arg_is(&c, "bar baz"));
    c = P("/");
    CHECK(c.kind == UI_CMD_UNKNOWN && strstr(c.error, "try /help") != NULL);
    c = P("/ hello");
    CHECK(c.kind == UI_CMD_UNKNOWN);
    c = P("/quitx");
    CHECK(c.kind == UI_CMD_UNKNOWN);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = '\0';
    c = P(longname);
    CHECK(c.kind == UI_CMD_UNKNOWN && strlen(c.name) == sizeof c.name - 1);
}

static void test_table(void)
{
    size_t n;
    const command_info *t = command_table(&n);
    CHECK(n == 11);
    for (size_t i = 0; i < n; i++) {
        char line[40];
        snprintf(line, sizeof line, "/%s", t[i].name);
        CHECK(P(line).kind == t[i].kind);
        CHECK(t[i].help[0] != '\0');
    }
    CHECK(command_find("/help", 5) && command_find("help", 4));
    CHECK(command_find("q", 1) && command_find("q", 1)->kind == UI_CMD_QUIT);
    CHECK(command_find("nope", 4) == NULL);
    CHECK(command_complete("/c", 0) && strcmp(command_complete("/c", 0), "clear") == 0);
    CHECK(command_complete("/c", 1) && strcmp(command_complete("/c", 1), "copy") == 0);
    CHECK(command_complete("/c", 2) && strcmp(command_complete("/c", 2), "channel") == 0);
    CHECK(command_complete("/c", 3) == NULL);
    CHECK(command_complete("/", 0) && strcmp(command_complete("/", 0), "help") == 0);
    CHECK(command_complete("/", 11) == NULL);
    CHECK(command_complete("x", 0) == NULL);
    CHECK(command_complete("/RE", 0) && strcmp(command_complete("/RE", 0), "rekey") == 0);
}

int main(void)
{
    test_messages();
    test_commands();
    test_arguments();
    test_unknown();
    test_table();
    return check_summary();
}
