/* Fuzzes the conversation journal and history parsers: never crash, never read out of bounds.
 * Three modes, chosen by the first byte: (0) the input as a whole file; (1) a valid header
 * followed by the input as raw records (the framing, torn tails and lengths); (2) the input as
 * the plaintexts of two records sealed with the right key, so the operation parser and its
 * bounds are reached (random bytes are never authentic). A fixed key stands for the identity's. */
#include "crypto/store_key.h"
#include "src/conv_state.h"
#include "src/history.h"
#include "src/sealed_log.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t key[STORE_KEY_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        return -1;
    memset(key, 0x42, sizeof key);
    return 0;
}

static void parse_both(const uint8_t *file, size_t len)
{
    char err[512];
    conv_state_parse(file, len, key, err, sizeof err);
    history_parse(file, len, key, err, sizeof err);
}

static void sealed_records(const char *purpose, const uint8_t *data, size_t size)
{
    size_t lens[2] = {size / 2, size - size / 2}, len;
    uint8_t *file = sealed_log_build(purpose, key, data, lens, 2, &len);
    if (!file)
        abort();
    char err[512];
    size_t good = 0;
    uint64_t nrec = 0;
    if (sealed_log_parse(file, len, purpose, key, NULL, NULL, &good, &nrec, err, sizeof err) != 0 ||
        good != len || nrec != 2)
        abort(); /* what we build, we read */
    parse_both(file, len);
    free(file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t mode = data[0] % 3;
    data++;
    size--;
    if (mode == 0) {
        parse_both(data, size);
    } else if (mode == 1) {
        size_t hlen;
        uint8_t *hdr = sealed_log_build("kchat-conv-v1", key, NULL, NULL, 0, &hlen);
        uint8_t *file = malloc(hlen + size + 1);
        if (!hdr || !file)
            abort();
        memcpy(file, hdr, hlen);
        memcpy(file + hlen, data, size);
        size_t good = 0;
        uint64_t nrec = 0;
        char err[512];
        if (sealed_log_parse(file, hlen + size, "kchat-conv-v1", key, NULL, NULL, &good, &nrec, err,
                             sizeof err) == 0 &&
            (good < hlen || good > hlen + size))
            abort();
        parse_both(file, hlen + size);
        free(hdr);
        free(file);
    } else {
        sealed_records("kchat-conv-v1", data, size);
        sealed_records("kchat-history-v1", data, size);
    }
    return 0;
}
