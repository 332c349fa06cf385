/* Fixture for tests/layering/selftest.sh: every include below breaks a rule. */
#include "crypto/identity.h"
#include "src/app.h"
#include <sodium.h>
#include <curses.h>
