/* Fixture for tests/layering/selftest.sh: src/ wires everything. */
#include "crypto/identity.h"
#include "net/producer.h"
#include "ui/tui.h"
#include <sodium.h>
