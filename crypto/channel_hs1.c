/* channel_hs1: the responder's admission of message-1 frames under XXpsk3 (see channel.h): mac1,
 * then freshness (sent time within the window, session id not admitted before). */
#include "crypto/channel.h"

#include <string.h>

void channel_hs1_guard_init(channel_hs1_guard *g)
{
    memset(g, 0, sizeof(*g));
}

static bool within(uint64_t sent_ms, uint64_t now_ms)
{
    uint64_t d = sent_ms > now_ms ? sent_ms - now_ms : now_ms - sent_ms;
    return d <= CHANNEL_HS1_WINDOW_MS;
}

/* True when session was admitted within the window; expired slots are freed on the way. */
static bool seen_before(channel_hs1_guard *g, const uint8_t *session, uint64_t now_ms)
{
    bool seen = false;
    for (size_t i = 0; i < CHANNEL_HS1_GUARD_SLOTS; i++) {
        if (g->seen[i].admitted_ms == 0)
            continue;
        if (!within(g->seen[i].sent_ms, now_ms)) {
            g->seen[i].admitted_ms = 0; /* its frames are stale by now */
            continue;
        }
        if (memcmp(g->seen[i].session, session, FRAME_SESSION_LEN) == 0)
            seen = true;
    }
    return seen;
}

/* Remembers session in a free slot, else in the one admitted longest ago. */
static void remember(channel_hs1_guard *g, const uint8_t *session, uint64_t sent_ms,
                     uint64_t now_ms)
{
    size_t pick = 0;
    for (size_t i = 0; i < CHANNEL_HS1_GUARD_SLOTS; i++) {
        if (g->seen[i].admitted_ms == 0) {
            pick = i;
            break;
        }
        if (g->seen[i].admitted_ms < g->seen[pick].admitted_ms)
            pick = i;
    }
    memcpy(g->seen[pick].session, session, FRAME_SESSION_LEN);
    g->seen[pick].sent_ms = sent_ms;
    g->seen[pick].admitted_ms = now_ms > 0 ? now_ms : 1;
}

int channel_hs1_admit(channel_hs1_guard *g, const uint8_t *psk, const uint8_t *buf, size_t len,
                      uint64_t now_ms)
{
    if (g == NULL)
        return CHANNEL_ERR_ARG;
    uint64_t sent_ms = 0;
    int rc = channel_hs1_check_mac(psk, buf, len, &sent_ms);
    if (rc != CHANNEL_OK)
        return rc;
    const uint8_t *session = buf + 2; /* a message-1 frame: version, type, session id */
    if (!within(sent_ms, now_ms) || seen_before(g, session, now_ms))
        return CHANNEL_REPLAYED;
    remember(g, session, sent_ms, now_ms);
    return CHANNEL_OK;
}
