/* libFuzzer target: frame_parse on arbitrary bytes, the mac1 check of message 1, then
 * channel_open of the same bytes (as given, and with our session id patched in) on an
 * established channel. Parsing must keep its invariants; neither the mac1 check nor opening may
 * accept a frame nobody sealed. */
#include "crypto/channel.h"
#include "crypto/frame.h"
#include "crypto/identity.h"
#include "crypto/trust.h"

#include <stdlib.h>
#include <string.h>

static channel *receiver;
static uint8_t open_buf[CHANNEL_MAX_FRAME];
static uint8_t patched[CHANNEL_MAX_FRAME];

/* A fixed session id so that inputs can reach the replay and authentication checks. */
static const uint8_t fixed_session[FRAME_SESSION_LEN] = {
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};

static channel *new_side(const identity *id, const trust_policy *t, bool initiator)
{
    int err = 0;
    channel_params p = {.initiator = initiator,
                        .pattern = NOISE_XX,
                        .static_priv = identity_secret(id),
                        .a2b = "fuzz.a2b",
                        .b2a = "fuzz.b2a",
                        .trust = t,
                        .rekey_interval = CHANNEL_MIN_REKEY_INTERVAL};
    return channel_new(&p, fixed_session, &err);
}

static int hop(channel *from, channel *to)
{
    static uint8_t msg[CHANNEL_MAX_FRAME], payload[NOISE_MAX_MSG];
    size_t len = 0, plen = 0;
    if (channel_hs_write(from, NULL, 0, msg, sizeof(msg), &len) != CHANNEL_OK)
        return -1;
    return channel_hs_read(to, msg, len, payload, sizeof(payload), &plen);
}

static void setup(void)
{
    identity *alice = identity_generate(), *bob = identity_generate();
    trust_policy *anyone = trust_policy_anyone();
    channel *a = new_side(alice, anyone, true);
    receiver = new_side(bob, anyone, false);
    if (a == NULL || receiver == NULL || hop(a, receiver) || hop(receiver, a) || hop(a, receiver) ||
        !channel_established(receiver))
        abort();
    /* The sender is thrown away: nothing the fuzzer sends can have been sealed by it. The
     * channels copied the static keys; the trust policy stays alive with the receiver. */
    channel_free(a);
    identity_free(alice);
    identity_free(bob);
}

static void check_parse(const uint8_t *data, size_t size)
{
    frame f;
    if (frame_parse(data, size, &f) != 0)
        return;
    size_t max = f.header_len == FRAME_DATA_HEADER_LEN ? FRAME_MAX_DATA_BODY : NOISE_MAX_MSG;
    if (f.type == FRAME_HS1)
        max += FRAME_HS1_AUTH_LEN;
    if (f.version != FRAME_VERSION || f.type < FRAME_HS1 || f.type > FRAME_CLOSE ||
        f.header != data || f.header_len != frame_header_len((frame_type)f.type) ||
        f.body != data + f.header_len || f.header_len + f.body_len != size || f.body_len > max ||
        memcmp(f.session, data + 2, FRAME_SESSION_LEN) != 0)
        abort();
}

/* Nobody without the secret makes a message 1 whose mac1 verifies. */
static void check_mac1(const uint8_t *data, size_t size)
{
    static const uint8_t psk[32] = {0x55};
    if (channel_hs1_check_mac(psk, data, size, NULL) == CHANNEL_OK)
        abort();
}

static void check_open(const uint8_t *data, size_t size)
{
    channel_record r;
    uint64_t nonce = 0;
    if (channel_open(receiver, data, size, &r, open_buf, sizeof(open_buf), &nonce) == CHANNEL_OK)
        abort(); /* a forgery was accepted */
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse(data, size);
    check_mac1(data, size);
    check_open(data, size);
    if (size >= FRAME_HS_HEADER_LEN && size <= sizeof(patched)) {
        memcpy(patched, data, size);
        memcpy(patched + 2, fixed_session, FRAME_SESSION_LEN);
        check_open(patched, size);
    }
    return 0;
}
