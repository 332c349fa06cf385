/* frame: strict parsing and writing of the wire frame (see frame.h and docs/PROTOCOL.md). */
#include "crypto/frame.h"

#include "crypto/noise.h"
#include "sys/be.h"

#include <string.h>

/* Smallest possible handshake bodies (XX): message 1 carries e (32); message 2 e (32), the
 * encrypted s (32 + 16) and the payload tag (16); message 3 the encrypted s and the payload tag. */
#define HS1_MIN_BODY 32u
#define HS2_MIN_BODY (32u + 48u + 16u)
#define HS3_MIN_BODY (48u + 16u)

size_t frame_header_len(frame_type type)
{
    switch (type) {
    case FRAME_HS1:
    case FRAME_HS2:
    case FRAME_HS3:
        return FRAME_HS_HEADER_LEN;
    case FRAME_DATA:
    case FRAME_CLOSE:
        return FRAME_DATA_HEADER_LEN;
    }
    return 0;
}

static size_t min_body_len(frame_type type)
{
    switch (type) {
    case FRAME_HS1:
        return HS1_MIN_BODY;
    case FRAME_HS2:
        return HS2_MIN_BODY;
    case FRAME_HS3:
        return HS3_MIN_BODY;
    case FRAME_DATA:
    case FRAME_CLOSE:
        return NOISE_TAG_LEN;
    }
    return SIZE_MAX;
}

size_t frame_write_header(uint8_t *out, frame_type type, const uint8_t session[FRAME_SESSION_LEN],
                          uint64_t nonce)
{
    size_t hlen = frame_header_len(type);
    if (hlen == 0)
        return 0;
    out[0] = FRAME_VERSION;
    out[1] = (uint8_t)type;
    memcpy(out + 2, session, FRAME_SESSION_LEN);
    if (hlen == FRAME_DATA_HEADER_LEN)
        be64_put(out + 2 + FRAME_SESSION_LEN, nonce);
    return hlen;
}

int frame_parse(const uint8_t *buf, size_t len, frame *out)
{
    if (buf == NULL || out == NULL || len < 2 || buf[0] != FRAME_VERSION)
        return -1;
    frame_type type = (frame_type)buf[1];
    size_t hlen = frame_header_len(type);
    if (hlen == 0 || len < hlen)
        return -1;
    size_t body_len = len - hlen;
    size_t max = hlen == FRAME_DATA_HEADER_LEN ? FRAME_MAX_DATA_BODY : NOISE_MAX_MSG;
    if (type == FRAME_HS1)
        max += FRAME_HS1_AUTH_LEN; /* room for the time and mac1 of XXpsk3 */
    if (body_len < min_body_len(type) || body_len > max)
        return -1;
    memset(out, 0, sizeof(*out));
    out->version = buf[0];
    out->type = buf[1];
    memcpy(out->session, buf + 2, FRAME_SESSION_LEN);
    if (hlen == FRAME_DATA_HEADER_LEN)
        out->nonce = be64_get(buf + 2 + FRAME_SESSION_LEN);
    out->header = buf;
    out->header_len = hlen;
    out->body = buf + hlen;
    out->body_len = body_len;
    return 0;
}
