/* Fixture for tests/layering/selftest.sh: every include below breaks a rule. */
#include "net/consumer.h"
#include "wrap.h"
#include <librdkafka/rdkafka.h>
#include <sodium.h>
