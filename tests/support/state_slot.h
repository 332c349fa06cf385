/* state_slot: builds a listen state position slot with a valid checksum, as the file format
 * defines it (src/listen_state.c): the text, " sum=", the hex of its 8-byte BLAKE2b, spaces to
 * 255 bytes and a newline. For tests and the fuzz target, which write slots by hand. */
#ifndef KCHAT_TEST_STATE_SLOT_H
#define KCHAT_TEST_STATE_SLOT_H

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#define STATE_SLOT_TEST_HDR_LEN 2048
#define STATE_SLOT_TEST_LEN 256
#define STATE_SLOT_TEST_MAX_TEXT (STATE_SLOT_TEST_LEN - 22) /* room for " sum=", 16 hex, '\n' */

/* Writes a slot holding text (n bytes, at most STATE_SLOT_TEST_MAX_TEXT) into slot. */
static inline void state_slot_put(char *slot, const void *text, size_t n)
{
    memset(slot, ' ', STATE_SLOT_TEST_LEN);
    memcpy(slot, text, n);
    uint8_t sum[8];
    crypto_generichash(sum, sizeof sum, (const uint8_t *)text, n, NULL, 0);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
    memcpy(slot + n, " sum=", 5);
    memcpy(slot + n + 5, hex, 16);
    slot[STATE_SLOT_TEST_LEN - 1] = '\n';
}

#endif
