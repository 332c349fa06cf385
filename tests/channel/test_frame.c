/* Frame parsing/writing and the replay window. */
#include "crypto/frame.h"
#include "crypto/noise.h"
#include "crypto/replay.h"
#include "support/check.h"

#include <string.h>

static uint8_t buf[FRAME_DATA_HEADER_LEN + FRAME_MAX_DATA_BODY + 8];
static const uint8_t session[FRAME_SESSION_LEN] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                   9, 10, 11, 12, 13, 14, 15, 16};

static int parse_with_body(frame_type type, size_t body_len, frame *f)
{
    size_t h = frame_write_header(buf, type, session, 0x1122334455667788u);
    return frame_parse(buf, h + body_len, f);
}

static void test_headers(void)
{
    frame f;
    CHECK(frame_header_len(FRAME_HS1) == FRAME_HS_HEADER_LEN);
    CHECK(frame_header_len(FRAME_HS3) == FRAME_HS_HEADER_LEN);
    CHECK(frame_header_len(FRAME_DATA) == FRAME_DATA_HEADER_LEN);
    CHECK(frame_header_len(FRAME_CLOSE) == FRAME_DATA_HEADER_LEN);
    CHECK(frame_header_len((frame_type)0) == 0 && frame_header_len((frame_type)6) == 0);
    CHECK(frame_write_header(buf, (frame_type)9, session, 0) == 0);

    CHECK(frame_write_header(buf, FRAME_DATA, session, 0x1122334455667788u) == 26);
    const uint8_t want[26] = {3,  4,  1,  2,  3,  4,    5,    6,    7,    8,    9,    10,   11,
                              12, 13, 14, 15, 16, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    CHECK(memcmp(buf, want, sizeof(want)) == 0);
    CHECK(parse_with_body(FRAME_DATA, 16, &f) == 0);
    CHECK(f.version == 3 && f.type == FRAME_DATA && f.nonce == 0x1122334455667788u);
    CHECK(memcmp(f.session, session, sizeof(session)) == 0);
    CHECK(f.header == buf && f.header_len == 26 && f.body == buf + 26 && f.body_len == 16);

    CHECK(parse_with_body(FRAME_HS2, 200, &f) == 0);
    CHECK(f.type == FRAME_HS2 && f.nonce == 0 && f.header_len == 18 && f.body_len == 200);
    CHECK(f.body == buf + 18);
}

static void test_sizes(void)
{
    frame f;
    /* Lower bounds of each type; upper bounds: a Noise message for handshakes, a sealed record
     * of kchat's record layer (longer) for data and close frames. */
    const struct {
        frame_type type;
        size_t min, max;
    } t[] = {{FRAME_HS1, 32, NOISE_MAX_MSG + FRAME_HS1_AUTH_LEN},
             {FRAME_HS2, 96, NOISE_MAX_MSG},
             {FRAME_HS3, 64, NOISE_MAX_MSG},
             {FRAME_DATA, 16, FRAME_MAX_DATA_BODY},
             {FRAME_CLOSE, 16, FRAME_MAX_DATA_BODY}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        CHECK(parse_with_body(t[i].type, t[i].min - 1, &f) == -1);
        CHECK(parse_with_body(t[i].type, t[i].min, &f) == 0);
        CHECK(parse_with_body(t[i].type, t[i].max, &f) == 0);
        CHECK(parse_with_body(t[i].type, t[i].max + 1, &f) == -1);
    }
    /* Version and type: versions 1 (before mac1 and padding), 2 (before batch records) and 4 are
     * refused. */
    frame_write_header(buf, FRAME_DATA, session, 1);
    CHECK(frame_parse(buf, 26 + 16, &f) == 0);
    for (int v = 0; v < 256; v++) {
        buf[0] = (uint8_t)v;
        CHECK((frame_parse(buf, 26 + 16, &f) == 0) == (v == 3));
    }
    buf[0] = 3;
    for (int type = 0; type < 256; type++) {
        buf[1] = (uint8_t)type;
        CHECK((frame_parse(buf, 26 + 100, &f) == 0) == (type >= 1 && type <= 5));
    }
    /* Truncated headers. */
    frame_write_header(buf, FRAME_DATA, session, 1);
    for (size_t len = 0; len < 26 + 16; len++)
        CHECK(frame_parse(buf, len, &f) == -1);
    CHECK(frame_parse(NULL, 100, &f) == -1);
}

static void test_replay_basic(void)
{
    replay_window w;
    replay_init(&w);
    CHECK(replay_check(&w, 0) && replay_check(&w, 1000000));
    CHECK(!replay_check(&w, UINT64_MAX));
    replay_commit(&w, 0);
    CHECK(!replay_check(&w, 0) && replay_check(&w, 1) && w.top == 1);
    replay_commit(&w, 10);
    CHECK(w.top == 11);
    for (uint64_t n = 1; n < 10; n++)
        CHECK(replay_check(&w, n));
    CHECK(!replay_check(&w, 10));
    replay_commit(&w, 5);
    CHECK(!replay_check(&w, 5) && replay_check(&w, 4) && replay_check(&w, 6));
    CHECK(w.top == 11);
}

static void test_replay_edges(void)
{
    replay_window w;
    replay_init(&w);
    const uint64_t top = 100000;
    replay_commit(&w, top - 1);
    CHECK(replay_check(&w, top - REPLAY_WINDOW_BITS));      /* oldest in the window */
    CHECK(!replay_check(&w, top - REPLAY_WINDOW_BITS - 1)); /* just outside */
    replay_commit(&w, top - REPLAY_WINDOW_BITS - 1);        /* commit of a refused nonce: no-op */
    CHECK(w.top == top);
    replay_commit(&w, top - REPLAY_WINDOW_BITS);
    CHECK(!replay_check(&w, top - REPLAY_WINDOW_BITS));
    /* Sliding by one: the bit reused by the new nonce starts clear. */
    replay_commit(&w, top);
    CHECK(!replay_check(&w, top - REPLAY_WINDOW_BITS)); /* now outside */
    CHECK(replay_check(&w, top - REPLAY_WINDOW_BITS + 1));
    /* A big jump clears everything. */
    replay_commit(&w, top + 10 * REPLAY_WINDOW_BITS);
    for (uint64_t n = top + 9 * REPLAY_WINDOW_BITS + 1; n < top + 10 * REPLAY_WINDOW_BITS; n++)
        CHECK(replay_check(&w, n));
    CHECK(!replay_check(&w, top));
    /* Near the top of the nonce space. */
    replay_commit(&w, UINT64_MAX - 1);
    CHECK(w.top == UINT64_MAX && !replay_check(&w, UINT64_MAX - 1));
    CHECK(replay_check(&w, UINT64_MAX - 2) && !replay_check(&w, UINT64_MAX));
}

/* Model check: every nonce of a pseudo-random sequence against a plain set. */
static void test_replay_model(void)
{
    static bool seen[20000];
    replay_window w;
    uint64_t top = 0, state = 88172645463325252u;
    size_t mismatches = 0;
    replay_init(&w);
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < 200000; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        uint64_t n = state % 20000;
        bool expect = !seen[n] && (n >= top || top - n <= REPLAY_WINDOW_BITS);
        mismatches += replay_check(&w, n) != expect;
        if (expect && (state >> 40) % 3 != 0) {
            replay_commit(&w, n);
            seen[n] = true;
            top = n >= top ? n + 1 : top;
        }
    }
    CHECK(mismatches == 0);
    CHECK(w.top == top);
}

int main(void)
{
    test_headers();
    test_sizes();
    test_replay_basic();
    test_replay_edges();
    test_replay_model();
    return check_summary();
}
