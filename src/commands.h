/* commands: one function per subcommand (src/cmd_*.c); argv[0] is the subcommand's name. Each
 * returns the process exit status (src/session.h). */
#ifndef KCHAT_COMMANDS_H
#define KCHAT_COMMANDS_H

int cmd_listen(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_id(int argc, char **argv);
int cmd_forget(int argc, char **argv);

#endif
