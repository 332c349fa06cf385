/* main: kchat's entry point. Dispatches to one file per subcommand (src/cmd_*.c). */
#include "src/commands.h"
#include "src/memtune.h"
#include "src/options.h"

#include <locale.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#ifndef KCHAT_VERSION
#define KCHAT_VERSION "dev"
#endif

int main(int argc, char **argv)
{
    memtune_apply();
    setlocale(LC_CTYPE, ""); /* UTF-8 input and wide characters in the terminal UI */
    if (sodium_init() < 0) {
        fputs("kchat: cannot initialise libsodium\n", stderr);
        return 1;
    }
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        options_usage(argc < 2 ? stderr : stdout, CMD_NONE);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("kchat %s\n", KCHAT_VERSION);
        return 0;
    }
    switch (options_command(argv[1])) {
    case CMD_LISTEN:
        return cmd_listen(argc - 1, argv + 1);
    case CMD_CONNECT:
        return cmd_connect(argc - 1, argv + 1);
    case CMD_ID:
        return cmd_id(argc - 1, argv + 1);
    case CMD_FORGET:
        return cmd_forget(argc - 1, argv + 1);
    case CMD_NONE:
        break;
    }
    fprintf(stderr, "kchat: unknown command '%s' (try kchat --help)\n", argv[1]);
    return 2;
}
