/* Unit tests of ui/command: every command and alias, arguments and their checks, unknown
 * commands with their hint, the "//" escape, blank lines and surrounding whitespace, and the
 * completion helper; then the one command table: every entry parses to itself and dispatches
 * to its handler on a TUI without a screen, /help lists exactly the table, and unknown commands
 * are refused without running anything. */
#include "support/check.h"
#include "ui/command.h"
#include "ui/tui_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* ---- the table, on a TUI without a screen (tui_layout does nothing without one) ---- */

typedef struct asked {
    int n;
    ui_request last;
} asked;

static void on_request(void *ctx, ui_request req)
{
    asked *a = ctx;
    a->n++;
    a->last = req;
}

static void open_tui(tui *t, ui_hooks *h, asked *a)
{
    memset(a, 0, sizeof *a);
    memset(h, 0, sizeof *h);
    h->request = on_request;
    h->ctx = a;
    h->role = UI_ROLE_ALICE;
    memset(t, 0, sizeof *t);
    t->hooks = h;
    t->st.role = h->role;
    t->pane_on = true;
    conv_init(&t->conv);
    chan_init(&t->chan);
}

static void close_tui(tui *t)
{
    conv_free(&t->conv);
    chan_free(&t->chan);
}

static const char *last_line(const tui *t)
{
    return t->conv.n ? t->conv.items[t->conv.n - 1]->text : "";
}

/* What each command must be, written out apart from the table, in its order: the table must
 * hold exactly these, each with its kind and handler, and running it must show what `shows` says (a
 * substring of the last conversation line), ask the session `req` (-1: nothing), or do what
 * the case in test_dispatch checks. */
static const struct {
    const char *name;
    command_kind kind;
    command_fn *run;
    const char *shows;
    int req;
} want[] = {
    {"help", UI_CMD_HELP, action_help, "commands:", -1},
    {"quit", UI_CMD_QUIT, action_quit, NULL, UI_REQ_QUIT},
    {"clear", UI_CMD_CLEAR, action_clear, NULL, -1},
    {"id", UI_CMD_ID, action_id, "your identifier", -1},
    {"peer", UI_CMD_PEER, action_peer, "no peer yet", -1},
    {"stats", UI_CMD_STATS, action_stats, "sent 0 ", -1},
    {"rekey", UI_CMD_REKEY, action_rekey, "rekey requested", UI_REQ_REKEY},
    {"invite", UI_CMD_INVITE, action_invite, "only Bob", -1},
    {"copy", UI_CMD_COPY, action_copy, "only Bob", -1},
    {"bell", UI_CMD_BELL, action_bell, "bell off", -1},
    {"channel", UI_CMD_CHANNEL, action_channel, NULL, -1},
};
#define N_WANT (sizeof want / sizeof want[0])

static void test_table_entries(void)
{
    size_t n;
    const command_info *table = command_table(&n);
    CHECK(n == N_WANT);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < N_WANT && strcmp(want[k].name, table[i].name) != 0)
            k++;
        CHECK(k < N_WANT);
        if (k == N_WANT)
            continue;
        CHECK(table[i].kind == want[k].kind && table[i].run == want[k].run);
        CHECK(table[i].help && table[i].help[0] && table[i].args);
        for (size_t j = 0; j < i; j++) /* names and kinds once each */
            CHECK(table[j].kind != table[i].kind && strcasecmp(table[j].name, table[i].name));
        char line[48];
        snprintf(line, sizeof line, "/%s", table[i].name);
        command c = P(line);
        CHECK(c.kind == table[i].kind && c.info == &table[i]);
        for (const char *p = table[i].aliases; *p;) { /* each alias: the same entry */
            size_t len = strcspn(p, " ");
            snprintf(line, sizeof line, "/%.*s", (int)len, p);
            c = P(line);
            CHECK(len > 0 && c.kind == table[i].kind && c.info == &table[i]);
            CHECK(command_find(p, len) == &table[i]);
            p += len + (p[len] == ' ');
        }
    }
}

static void test_dispatch(void)
{
    for (size_t k = 0; k < N_WANT; k++) {
        tui t;
        ui_hooks h;
        asked a;
        open_tui(&t, &h, &a);
        tui_info(&t, "before");
        char line[48];
        snprintf(line, sizeof line, "/%s", want[k].name);
        tui_submit(&t, line);
        if (want[k].shows)
            CHECK(strstr(last_line(&t), want[k].shows) != NULL);
        CHECK(a.n == (want[k].req >= 0) && (a.n == 0 || (int)a.last == want[k].req));
        if (want[k].kind == UI_CMD_CLEAR)
            CHECK(t.conv.n == 0);
        else if (want[k].kind == UI_CMD_CHANNEL)
            CHECK(!t.pane_on && t.conv.n == 1);
        else if (want[k].kind == UI_CMD_QUIT)
            CHECK(t.quitting);
        else
            CHECK(t.conv.n == 2 && t.pane_on && !t.quitting);
        close_tui(&t);
    }
}

static void test_help_lists_table(void)
{
    tui t;
    ui_hooks h;
    asked a;
    open_tui(&t, &h, &a);
    tui_submit(&t, "/help");
    size_t n;
    const command_info *table = command_table(&n);
    const char *p = last_line(&t);
    CHECK(strncmp(p, "commands:\n", 10) == 0);
    size_t listed = 0;
    while ((p = strstr(p, "\n  /")) != NULL) { /* one line per command, in table order */
        p += 4;
        size_t len = strcspn(p, " \n");
        CHECK(listed < n && len == strlen(table[listed].name) &&
              strncmp(p, table[listed].name, len) == 0);
        CHECK(listed < N_WANT && strncmp(p, want[listed].name, len) == 0);
        const char *eol = strchr(p, '\n');
        CHECK(strstr(p, table[listed].help) && (!eol || strstr(p, table[listed].help) < eol));
        listed++;
    }
    CHECK(listed == n && listed == N_WANT);
    for (size_t i = 0; i < n; i++) { /* /help NAME explains each one */
        char line[64];
        snprintf(line, sizeof line, "/help %s", table[i].name);
        tui_submit(&t, line);
        char head[48];
        snprintf(head, sizeof head, "/%s ", table[i].name);
        CHECK(strncmp(last_line(&t), head, strlen(head)) == 0);
        CHECK(strstr(last_line(&t), table[i].help) != NULL);
    }
    CHECK(a.n == 0);
    close_tui(&t);
}

static void test_unknown_refused(void)
{
    static const char *lines[] = {"/nope", "/",      "/quitx",  "/helpme",
                                  "/q!x",  "/ quit", "/rekey!", "/stats!"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        command c = P(lines[i]);
        CHECK(c.kind == UI_CMD_UNKNOWN && c.info == NULL && c.error[0]);
        tui t;
        ui_hooks h;
        asked a;
        open_tui(&t, &h, &a);
        tui_submit(&t, lines[i]);
        CHECK(a.n == 0 && !t.quitting && t.pane_on && t.conv.n == 1);
        CHECK(t.conv.n == 1 && t.conv.items[0]->kind == CONV_WARN &&
              strstr(last_line(&t), "try /help") != NULL);
        close_tui(&t);
    }
    command c = P("/rekey now"); /* a known command with a wrong argument runs nothing either */
    CHECK(c.kind == UI_CMD_BAD_ARG && c.info == NULL);
}

int main(void)
{
    test_messages();
    test_commands();
    test_arguments();
    test_unknown();
    test_table();
    test_table_entries();
    test_dispatch();
    test_help_lists_table();
    test_unknown_refused();
    return check_summary();
}
