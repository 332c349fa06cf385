/* Fuzzes the listen state file parser: never crashes, and what it accepts is consistent. Two
 * modes, chosen by the first byte: the input as a whole file (odd), or (even) a valid v2 header
 * followed by two position slots made of the input with correct checksums, so the slot parser
 * itself is reached (a random slot almost never matches its checksum). The checksum recipe is
 * the file format's: 8-byte BLAKE2b of the slot text before " sum=", in hex. */
#include "src/listen_state.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define HDR_LEN 2048
#define SLOT_LEN 256
#define FILE_LEN (HDR_LEN + 2 * SLOT_LEN)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return sodium_init() < 0 ? -1 : 0;
}

/* Slot i: up to SLOT_LEN - 23 bytes of input, " sum=" and its checksum, spaces, '\n'. */
static void make_slot(char *slot, const uint8_t *data, size_t size)
{
    size_t n = size < SLOT_LEN - 23 ? size : SLOT_LEN - 23;
    memset(slot, ' ', SLOT_LEN);
    memcpy(slot, data, n);
    uint8_t sum[8];
    crypto_generichash(sum, sizeof sum, (const uint8_t *)slot, n, NULL, 0);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
    memcpy(slot + n, " sum=", 5);
    memcpy(slot + n + 5, hex, 16);
    slot[SLOT_LEN - 1] = '\n';
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
    size_t half = (size - 1) / 2;
    make_slot(file + HDR_LEN, data + 1, half);
    make_slot(file + HDR_LEN + SLOT_LEN, data + 1 + half, size - 1 - half);
    check(file, sizeof file);
    return 0;
}
