/* Fuzzes the handshake payload parser: never crashes, and what parses re-encodes to the input. */
#include "src/hs_payload.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int step = 1; step <= 3; step++) {
        hs_payload p;
        if (hs_payload_decode(step, data, size, &p) != 0)
            continue;
        uint8_t buf[64];
        size_t n = hs_payload_encode(step, &p, buf, sizeof buf);
        if (n != size || memcmp(buf, data, n) != 0)
            abort();
    }
    return 0;
}
