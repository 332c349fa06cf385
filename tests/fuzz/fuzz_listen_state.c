/* Fuzzes the listen state file parser: never crashes, and what it accepts is consistent. */
#include "src/listen_state.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    listen_state *st = listen_state_new();
    if (!st)
        abort();
    if (listen_state_parse(st, (const char *)data, size) == 0) {
        if (!st->a2b[0] || !st->b2a[0] || !st->invitation[0] || st->acked > st->shown)
            abort();
        if (strlen(st->invitation) >= LISTEN_STATE_INV_MAX)
            abort();
    }
    listen_state_free(st);
    return 0;
}
