/* main: kchat's entry point. Dispatches to one file per subcommand (src/cmd_*.c). */
#include "src/commands.h"
#include "src/memtune.h"
#include "src/options.h"
#include "ui/tui.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KCHAT_VERSION
#define KCHAT_VERSION "dev"
#endif

static bool is_help(const char *a)
{
    return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

/* kchat --help [COMMAND], kchat --version: no other words. */
static int global_option(int argc, char **argv)
{
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        if (argc > 2) {
            fprintf(stderr, "kchat: %s takes no arguments\n", argv[1]);
            return 2;
        }
        printf("kchat %s\n", KCHAT_VERSION);
        return 0;
    }
    kchat_command cmd = argc > 2 ? options_command(argv[2]) : KCHAT_CMD_NONE;
    if (argc > 3 || (argc == 3 && cmd == KCHAT_CMD_NONE)) {
        fprintf(stderr, "kchat: %s takes at most a command name (try kchat --help)\n", argv[1]);
        return 2;
    }
    options_usage(stdout, cmd);
    return 0;
}

static int run_command(int argc, char **argv)
{
    switch (options_command(argv[0])) {
    case KCHAT_CMD_LISTEN:
        return cmd_listen(argc, argv);
    case KCHAT_CMD_CONNECT:
        return cmd_connect(argc, argv);
    case KCHAT_CMD_ID:
        return cmd_id(argc, argv);
    case KCHAT_CMD_FORGET:
        return cmd_forget(argc, argv);
    case KCHAT_CMD_NONE:
        break;
    }
    fprintf(stderr, "kchat: unknown command '%s' (try kchat --help)\n", options_shown_arg(argv[0]));
    return 2;
}

int main(int argc, char **argv)
{
    /* Before any thread starts (mallopt and setlocale are not thread-safe): nothing before this
     * point, and nothing in sodium_init, starts one. Threads come later, from the subcommands:
     * librdkafka's (net/) and the session thread (session_start). */
    memtune_apply();
    tui_locale_init(); /* UTF-8 input and wide characters in the terminal UI */
    if (sodium_init() < 0) {
        fputs("kchat: cannot initialise libsodium\n", stderr);
        return 1;
    }
    if (argc < 2) {
        options_usage(stderr, KCHAT_CMD_NONE);
        return 2;
    }
    if (is_help(argv[1]) || !strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
        return global_option(argc, argv);
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) {
        fputs("kchat: out of memory\n", stderr);
        return 1;
    }
    int code;
    if (options_arrange(argc, argv, args) < 0) {
        fputs("kchat: missing command: listen, connect, id or forget (try kchat --help)\n", stderr);
        code = 2;
    } else {
        code = run_command(argc - 1, args);
    }
    free(args);
    return code;
}
