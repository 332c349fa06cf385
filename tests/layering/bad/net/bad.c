/* Fixture for tests/layering/selftest.sh: every include below breaks a rule. */
#include "crypto/channel.h"
#include "../ui/tui.h"
#include <sodium.h>
#include <ncursesw/curses.h>
