/* Fuzzes the listen state file parser: never crashes, and what it accepts is consistent. Two
 * modes, chosen by the first byte: the input as a whole file (odd), or (even) a valid v2 header
 * followed by two position slots made of the input with correct checksums, so the slot parser
 * itself is reached (a random slot almost never matches its checksum). The checksum recipe is
 * the file format's: 8-byte BLAKE2b of the slot text before " sum=", in hex. */
#include "src/listen_state.h"
#include "tests/support/state_slot.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define HDR_LEN STATE_SLOT_TEST_HDR_LEN
#define SLOT_LEN STATE_SLOT_TEST_LEN
#define FILE_LEN (HDR_LEN + 2 * SLOT_LEN)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return sodium_init() < 0 ? -1 : 0;
}

static void check(const char *file, size_t len)
{
    listen_state *st = listen_state_new();
    if (!st)
        abort();
    if (listen_state_parse(st, file, len) == 0) {
        if (!st->a2b[0] || !st->b2a[0] || !st->invitation[0] || st->acked > st->shown)
            abort();
        if (strlen(st->invitation) >= LISTEN_STATE_INV_MAX)
            abort();
    }
    listen_state_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || (data[0] & 1)) {
        check((const char *)data, size);
        return 0;
    }
    static char file[FILE_LEN];
    memset(file, '\n', HDR_LEN);
    static const char hdr[] = "kchat-listen-state-v2\na2b=t-a2b\nb2a=t-b2a\ninvitation=kchat1:x\n";
    memcpy(file, hdr, sizeof hdr - 1);
    size_t half = (size - 1) / 2, rest = size - 1 - half, max = STATE_SLOT_TEST_MAX_TEXT;
    state_slot_put(file + HDR_LEN, data + 1, half < max ? half : max);
    state_slot_put(file + HDR_LEN + SLOT_LEN, data + 1 + half, rest < max ? rest : max);
    check(file, sizeof file);
    return 0;
}
