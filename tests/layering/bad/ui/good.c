/* Fixture for tests/layering/selftest.sh: allowed includes only. */
#include "sys/wake.h"
#include "ui/tui.h"
#include <curses.h>
#include <readline/readline.h>
