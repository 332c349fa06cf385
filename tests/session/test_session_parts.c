#include "src/event_format.h"
#include "src/event_queue.h"
#include "crypto/channel.h"
#include "src/hs_payload.h"
#include "src/outbox.h"
#include "src/reassembly.h"
#include "src/seqset.h"
#include "support/check.h"

#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

static void test_seqset(void)
{
    seqset s;
    seqset_init(&s, 0);
    CHECK(seqset_add(&s, 1));
    CHECK(!seqset_add(&s, 1));
    CHECK(seqset_add(&s, 3));
    CHECK(seqset_add(&s, 5));
    CHECK(s.upto == 1);
    CHECK(seqset_max(&s) == 5);
    uint64_t from = 0, to = 0;
    CHECK(seqset_first_hole(&s, 0, &from, &to) && from == 2 && to == 2);
    CHECK(seqset_first_hole(&s, 2, &from, &to) && from == 4 && to == 4);
    CHECK(!seqset_first_hole(&s, 4, &from, &to));
    CHECK(seqset_add(&s, 2));
    CHECK(s.upto == 3);
    CHECK(seqset_add(&s, 4));
    CHECK(s.upto == 5 && s.n == 0);
    CHECK(seqset_has(&s, 4) && !seqset_has(&s, 6));
    seqset_free(&s);
    seqset a;
    seqset_init(&a, 2);
    CHECK(seqset_add(&a, 5) && seqset_add(&a, 7) && seqset_add(&a, 9));
    seqset_advance(&a, 1); /* below upto: nothing changes */
    CHECK(a.upto == 2 && a.n == 3);
    seqset_advance(&a, 6); /* 5 goes, 7 joins the prefix */
    CHECK(a.upto == 7 && a.n == 1 && seqset_has(&a, 9) && !seqset_has(&a, 8));
    seqset_advance(&a, 20);
    CHECK(a.upto == 20 && a.n == 0 && seqset_max(&a) == 20);
    seqset_free(&a);
}

static unsigned acked_count;
static void count_acked(void *ctx, const out_msg *m)
{
    (void)ctx;
    (void)m;
    acked_count++;
}

static void test_outbox(void)
{
    outbox o;
    outbox_init(&o, 1);
    for (int i = 0; i < 200; i++)
        CHECK(outbox_push(&o, "hello", 5, 0, 0) != NULL);
    CHECK(o.n == 200 && o.next_seq == 201);
    CHECK(outbox_find(&o, 150)->seq == 150);
    outbox_ack(&o, 120, count_acked, NULL);
    CHECK(acked_count == 120 && o.n == 80 && o.acked == 120);
    CHECK(outbox_find(&o, 120) == NULL);
    CHECK(outbox_at(&o, 0)->seq == 121);
    outbox_ack(&o, 999, count_acked, NULL); /* beyond what was sent: clamps */
    CHECK(o.n == 0 && o.acked == 200);
    outbox_free(&o);
}

static void test_reassembly(void)
{
    reassembly r;
    reassembly_init(&r);
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK(reassembly_add(&r, 7, 1, 3, (const uint8_t *)"BB", 2, 11, &out, &len) == REASM_MORE);
    CHECK(reassembly_add(&r, 7, 1, 3, (const uint8_t *)"BB", 2, 12, &out, &len) == REASM_DUPLICATE);
    CHECK(reassembly_add(&r, 7, 0, 3, (const uint8_t *)"A", 1, 10, &out, &len) == REASM_MORE);
    CHECK(reassembly_min_offset(&r) == 10);
    CHECK(reassembly_add(&r, 7, 0, 4, (const uint8_t *)"A", 1, 10, &out, &len) == REASM_REFUSED);
    CHECK(reassembly_add(&r, 7, 2, 3, (const uint8_t *)"CCC", 3, 13, &out, &len) == REASM_COMPLETE);
    CHECK(len == 6 && memcmp(out, "ABBCCC", 7) == 0); /* NUL-terminated */
    free(out);
    CHECK(reassembly_min_offset(&r) == -1);
    CHECK(reassembly_add(&r, 8, 5, 3, (const uint8_t *)"x", 1, 1, &out, &len) == REASM_REFUSED);
    CHECK(reassembly_add(&r, 9, 0, 1, (const uint8_t *)"solo", 4, 1, &out, &len) == REASM_COMPLETE);
    CHECK(len == 4 && memcmp(out, "solo", 5) == 0);
    free(out);
    reassembly_free(&r);
}

static void count_drop(void *ctx, uint64_t seq)
{
    *(uint64_t *)ctx = seq;
}

/* Incomplete messages are bounded in bytes and in time, and release the offset they pin. */
static void test_reassembly_bounds(void)
{
    reassembly r;
    reassembly_init(&r);
    uint8_t *out = NULL, *big = calloc(1, CHANNEL_MAX_BODY);
    size_t len = 0;
    CHECK(big != NULL);
    size_t held = 0;
    for (uint64_t seq = 1; seq <= 31 && held + CHANNEL_MAX_BODY <= REASSEMBLY_MAX_BYTES; seq++) {
        CHECK(reassembly_add(&r, seq, 0, 4, big, CHANNEL_MAX_BODY, (int64_t)seq, &out, &len) ==
              REASM_MORE);
        held += CHANNEL_MAX_BODY;
    }
    CHECK(r.bytes == held);
    CHECK(reassembly_add(&r, 99, 0, 4, big, CHANNEL_MAX_BODY, 99, &out, &len) == REASM_REFUSED);
    CHECK(reassembly_min_offset(&r) == 1);
    uint64_t last = 0;
    CHECK(reassembly_expire(&r, 1000.0, 30000.0, count_drop, &last) == 0); /* noticed now */
    CHECK(reassembly_expire(&r, 30999.0, 30000.0, count_drop, &last) == 0);
    CHECK(reassembly_expire(&r, 31000.0, 30000.0, count_drop, &last) == held / CHANNEL_MAX_BODY);
    CHECK(last != 0 && r.n == 0 && r.bytes == 0 && reassembly_min_offset(&r) == -1);
    free(big);
    reassembly_free(&r);
}

/* 64-bit unsigned fields print as unsigned in JSON, also above 2^63, and a text that looks like
 * the placeholder is left alone. */
/* Display names travel in messages 2 and 3: UTF-8, no control characters, at most 32 bytes. */
static void test_hs_names(void)
{
    hs_payload p = {.acked = 3, .base = 4}, q;
    snprintf(p.name, sizeof p.name, "Zoë 🌻");
    uint8_t buf[64];
    for (int step = 2; step <= 3; step++) {
        size_t n = hs_payload_encode(step, &p, buf, sizeof buf);
        CHECK(n == (step == 2 ? HS_PAYLOAD2_LEN : HS_PAYLOAD3_LEN) + strlen(p.name));
        CHECK(hs_payload_decode(step, buf, n, &q) == 0 && !strcmp(q.name, p.name));
        CHECK(hs_payload_decode(step, buf, n - 1, &q) != 0); /* the length must match */
        buf[n - 1] = 0x1b;                                   /* an escape character */
        CHECK(hs_payload_decode(step, buf, n, &q) != 0);
    }
    CHECK(hs_name_valid("Bob", 3) && hs_name_valid("", 0));
    CHECK(!hs_name_valid("a\nb", 3) && !hs_name_valid("\xc0\xaf", 2)); /* newline, overlong */
    CHECK(!hs_name_valid("\xc2\x9b", 2));                              /* C1 control (CSI) */
    CHECK(!hs_name_valid("0123456789012345678901234567890123", 33));
    p.name[0] = '\0';
    size_t n = hs_payload_encode(3, &p, buf, sizeof buf);
    CHECK(n == HS_PAYLOAD3_LEN && hs_payload_decode(3, buf, n, &q) == 0 && q.name[0] == '\0');
}

static void test_json_u64(void)
{
    ui_event ev = {.type = UI_EV_GAP, .from = 18446744073709551614ULL, .to = UINT64_MAX};
    char *line = event_format_line(&ev, true);
    CHECK(line && strstr(line, "\"from\":18446744073709551614") &&
          strstr(line, "\"to\":18446744073709551615") && !strchr(line, '-'));
    free(line);
    const char *tricky = "\"seq\":-9223372036854775808";
    ui_event msg = {.type = UI_EV_MESSAGE, .seq = 9223372036854775808ULL, .text = (char *)tricky};
    line = event_format_line(&msg, true);
    json_t *js = line ? json_loads(line, JSON_DECODE_INT_AS_REAL, NULL) : NULL;
    CHECK(js && !strcmp(json_string_value(json_object_get(js, "text")), tricky));
    CHECK(line && strstr(line, "\"seq\":9223372036854775808"));
    json_decref(js);
    free(line);
}

static void test_hs_payload(void)
{
    hs_payload p = {.flags = HS_FLAG_ECHO, .acked = 0x0102030405060708ULL, .base = 7}, q;
    memset(p.conv, 0xab, sizeof p.conv);
    uint8_t buf[64];
    size_t n = hs_payload_encode(1, &p, buf, sizeof buf);
    CHECK(n == HS_PAYLOAD1_LEN && buf[0] == 2);
    CHECK(hs_payload_decode(1, buf, n, &q) == 0 && memcmp(q.conv, p.conv, HS_CONV_LEN) == 0);
    CHECK(hs_payload_decode(2, buf, n, &q) != 0);
    n = hs_payload_encode(2, &p, buf, sizeof buf);
    CHECK(n == HS_PAYLOAD2_LEN);
    CHECK(hs_payload_decode(2, buf, n, &q) == 0 && q.acked == p.acked && q.flags == p.flags &&
          q.base == 7);
    CHECK(hs_payload_decode(2, buf, n - 1, &q) != 0);
    CHECK(hs_payload_decode(3, buf, n, &q) != 0); /* message 3 has no base */
    memset(buf + 10, 0, 8);
    CHECK(hs_payload_decode(2, buf, n, &q) != 0); /* base 0: sequence numbers start at 1 */
    buf[17] = 1;
    buf[0] = 1;
    CHECK(hs_payload_decode(2, buf, n, &q) != 0); /* protocol version 1 */
    buf[0] = 2;
    CHECK(hs_payload_decode(2, buf, n, &q) == 0);
    n = hs_payload_encode(3, &p, buf, sizeof buf);
    CHECK(n == HS_PAYLOAD3_LEN);
    CHECK(hs_payload_decode(3, buf, n, &q) != 0); /* the echo flag is Bob's alone */
    buf[1] = 0;
    CHECK(hs_payload_decode(3, buf, n, &q) == 0 && q.acked == p.acked);
    buf[1] = 0x80;
    CHECK(hs_payload_decode(3, buf, n, &q) != 0);
    CHECK(hs_payload_encode(4, &p, buf, sizeof buf) == 0);
}

static void test_event_format(void)
{
    ui_event ev = {.type = UI_EV_MESSAGE, .seq = 3, .text = "hi \"there\"\n", .offset = -1};
    char *line = event_format_line(&ev, false);
    CHECK(line && strcmp(line, "message seq=3 text=\"hi \\\"there\\\"\\n\"") == 0);
    free(line);
    line = event_format_line(&ev, true);
    json_error_t jerr;
    json_t *obj = line ? json_loads(line, 0, &jerr) : NULL;
    CHECK(obj != NULL);
    CHECK(obj && !strcmp(json_string_value(json_object_get(obj, "event")), "message"));
    CHECK(obj && json_integer_value(json_object_get(obj, "seq")) == 3);
    CHECK(obj && !strcmp(json_string_value(json_object_get(obj, "text")), ev.text));
    json_decref(obj);
    free(line);
    ui_event bad = {.type = UI_EV_MESSAGE, .seq = 1, .text = "a\xff", .offset = -1};
    line = event_format_line(&bad, true);
    CHECK(line && strstr(line, "a\xef\xbf\xbd") != NULL);
    free(line);
    ui_event rej = {.type = UI_EV_REJECTED, .reason = UI_REJECT_TAMPERED, .offset = 42};
    line = event_format_line(&rej, false);
    CHECK(line && strcmp(line, "rejected reason=tampered offset=42") == 0);
    free(line);
    ui_event done = {.type = UI_EV_DONE};
    CHECK(event_format_line(&done, false) == NULL);
}

static ui_event *numbered(uint64_t seq)
{
    ui_event *ev = calloc(1, sizeof *ev);
    ev->type = UI_EV_SENT;
    ev->seq = seq;
    return ev;
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* One push and a batch of three come out in order; one wake-up announces them. */
static void test_event_queue(void)
{
    event_queue *q = event_queue_new();
    CHECK(!readable(event_queue_wake_fd(q)));
    event_queue_push(q, numbered(1));
    ui_event *batch[3] = {numbered(2), numbered(3), numbered(4)};
    event_queue_push_many(q, batch, 3);
    CHECK(readable(event_queue_wake_fd(q)));
    event_queue_drain_wake(q);
    CHECK(!readable(event_queue_wake_fd(q)));
    ui_event *ev;
    for (uint64_t want = 1; want <= 4; want++) {
        CHECK(event_queue_pop(q, &ev) && ev->seq == want);
        CHECK(ev->at_ms > 0); /* stamped when pushed */
        ui_event_free(ev);
    }
    CHECK(!event_queue_pop(q, &ev));
    event_queue_push_many(q, batch, 0);
    CHECK(!readable(event_queue_wake_fd(q)));
    event_queue_push_many(q, (ui_event *[]){numbered(5)}, 1);
    CHECK(readable(event_queue_wake_fd(q)));
    event_queue_free(q); /* frees event 5 */
}

static void count_call(void *ctx)
{
    (*(int *)ctx)++;
}

/* Receipts: events are numbered in push order; the front end's receipt covers what it popped;
 * whoever waits for a number is called once when a receipt reaches it, not before. */
static void test_event_queue_receipts(void)
{
    event_queue *q = event_queue_new();
    int calls = 0;
    event_queue_on_shown(q, count_call, &calls);
    CHECK(event_queue_push_many(q, (ui_event *[]){numbered(1), numbered(2)}, 2) == 2);
    CHECK(event_queue_push_many(q, NULL, 0) == 2);
    CHECK(event_queue_push_many(q, (ui_event *[]){numbered(3)}, 1) == 3);
    event_queue_want_shown(q, 2);
    ui_event *ev;
    CHECK(event_queue_pop(q, &ev));
    ui_event_free(ev);
    event_queue_shown(q);
    CHECK(event_queue_shown_upto(q) == 1 && calls == 0); /* event 2 is not on the screen yet */
    CHECK(event_queue_pop(q, &ev));
    ui_event_free(ev);
    CHECK(event_queue_shown_upto(q) == 1); /* popped is not shown until the front end says so */
    event_queue_shown(q);
    CHECK(event_queue_shown_upto(q) == 2 && calls == 1);
    CHECK(event_queue_pop(q, &ev));
    ui_event_free(ev);
    event_queue_shown(q);
    CHECK(event_queue_shown_upto(q) == 3 && calls == 1); /* nobody waits any more */
    event_queue_free(q);
}

/* The front end waits for the session to record the messages it popped before it shows them;
 * events that asked no receipt never wait. */
static void test_event_queue_recorded(void)
{
    event_queue *q = event_queue_new();
    ui_event *msg = numbered(1), *ev;
    msg->receipt = true;
    event_queue_push_many(q, (ui_event *[]){msg, numbered(2)}, 2);
    CHECK(event_queue_wait_recorded(q, 0)); /* nothing popped yet */
    CHECK(event_queue_pop(q, &ev));
    ui_event_free(ev);
    event_queue_shown(q);
    CHECK(!event_queue_wait_recorded(q, 20)); /* message 1 is not recorded: time out */
    event_queue_recorded(q, 1);
    CHECK(event_queue_wait_recorded(q, 0));
    CHECK(event_queue_pop(q, &ev));
    ui_event_free(ev);
    CHECK(event_queue_wait_recorded(q, 0)); /* event 2 asked no receipt */
    event_queue_free(q);
}

static void *wait_thread(void *q)
{
    return (void *)(intptr_t)event_queue_wait_recorded(q, 5000);
}

/* While the front end waits, the session's "recorded" publishes what it holds at once, on the
 * session's thread; not when nobody waits. */
static void test_event_queue_publish(void)
{
    event_queue *q = event_queue_new();
    int published = 0;
    event_queue_on_publish(q, count_call, &published);
    ui_event *msg = numbered(1), *ev;
    msg->receipt = true;
    event_queue_push(q, msg);
    event_queue_recorded(q, 0);
    CHECK(published == 0);
    CHECK(event_queue_pop(q, &ev));
    ui_event_free(ev);
    event_queue_shown(q);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, wait_thread, q) == 0);
    struct timespec pause = {0, 200 * 1000000L}; /* let it wait */
    nanosleep(&pause, NULL);
    event_queue_recorded(q, 1);
    void *ok = NULL;
    pthread_join(th, &ok);
    CHECK(ok && published == 1);
    event_queue_recorded(q, 2); /* nobody waits */
    CHECK(published == 1);
    event_queue_free(q);
}

int main(void)
{
    test_event_queue();
    test_event_queue_publish();
    test_event_queue_receipts();
    test_event_queue_recorded();
    test_seqset();
    test_outbox();
    test_reassembly();
    test_hs_payload();
    test_json_u64();
    test_hs_names();
    test_reassembly_bounds();
    test_event_format();
    return check_summary();
}
