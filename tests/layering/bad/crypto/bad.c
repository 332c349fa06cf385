/* Fixture for tests/layering/selftest.sh: every include below breaks a rule. */
#include "net/producer.h"
#include <librdkafka/rdkafka.h>
#include <readline/readline.h>
