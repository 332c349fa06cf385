/* kafka_relay: a hostile intermediary and a raw reader for the end-to-end tests.
 *
 *   kafka_relay relay --from B1 --to B2 --a2b TOPIC --b2a TOPIC [faults] [--seed N]
 *       Creates both topics on B1, then copies B1/a2b -> B2/a2b and B2/b2a -> B1/b2a from the
 *       beginning of each topic until SIGTERM or SIGINT. Faults apply to a2b data frames
 *       (frame type 4), counted from 1 in the order they are read:
 *         --flip N           forward only a copy of frame N with one ciphertext bit flipped
 *         --replay N         forward frame N twice
 *         --garbage-after N  forward frame N, then a record of random bytes (never a frame)
 *         --truncate N       forward a copy of frame N cut in half, then the original
 *         --foreign N        forward a copy of frame N with another session id, then the original
 *         --drop N           withhold frame N
 *       and to handshake frames (types 1-3) of both directions, as a writer without the
 *       invitation secret would forge them:
 *         --forge-handshakes N  after each message 1, N messages 1 of new sessions (random
 *                               bytes); before each message 2 and 3, N copies of it with one
 *                               body bit flipped
 *       Prints "ready" once both topics are read, then one line per fault applied.
 *
 *   kafka_relay flip -b BROKERS -t TOPIC
 *       Writes into TOPIC a copy of its last data frame with one ciphertext bit flipped (a
 *       tampered record for the receiver to reject); prints the copy's source offset.
 *
 *   kafka_relay expire -b BROKERS -t TOPIC
 *       Deletes every record of partition 0 present now (DeleteRecords up to the high watermark),
 *       as retention would; prints "expired N records (offsets LO..HI-1)".
 *
 *   kafka_relay dump -b BROKERS -t TOPIC
 *       Prints every record of partition 0 present now, one line each:
 *         offset=N key=HEX value=HEX headers=NAME:HEX,...
 *       (HEX may be empty; key "-" when the record has none). Exits 0 once the end is reached.
 */
#include "net/admin.h"
#include "net/consumer.h"
#include "net/producer.h"
#include "sys/wake.h"

#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME_VERSION 3
#define FRAME_TYPE_DATA 4
#define FRAME_HEADER_HS 18
#define FRAME_HEADER_DATA 26
#define SESSION_OFF 2
#define SESSION_LEN 16
#define MAX_FAULTS 64

typedef enum { F_FLIP, F_REPLAY, F_GARBAGE, F_TRUNCATE, F_FOREIGN, F_DROP, F_KINDS } fault_kind;

static const char *const fault_opts[F_KINDS] = {"--flip",     "--replay",  "--garbage-after",
                                                "--truncate", "--foreign", "--drop"};
static const char *const fault_names[F_KINDS] = {"flip",     "replay",  "garbage",
                                                 "truncate", "foreign", "drop"};

typedef struct fault {
    fault_kind kind;
    long index;
} fault;

typedef struct relay_opts {
    const char *from, *to, *a2b, *b2a;
    fault faults[MAX_FAULTS];
    size_t nfaults;
    long forge; /* forged handshake records per genuine one */
} relay_opts;

typedef struct route {
    net_consumer *in;
    net_producer *out;
    const char *name;
    long copied;
    long data_frames;
} route;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_delivery(void *ctx, uint64_t token, int64_t offset, const char *err)
{
    (void)token;
    (void)offset;
    if (err)
        fprintf(stderr, "kafka_relay: %s: not delivered: %s\n", (const char *)ctx, err);
}

static int usage(void)
{
    fputs("usage: kafka_relay relay --from B1 --to B2 --a2b T --b2a T [--flip N] [--replay N]\n"
          "                   [--garbage-after N] [--truncate N] [--foreign N] [--drop N]\n"
          "       kafka_relay dump -b BROKERS -t TOPIC\n"
          "       kafka_relay expire -b BROKERS -t TOPIC\n"
          "       kafka_relay flip -b BROKERS -t TOPIC\n",
          stderr);
    return 2;
}

/* ---- relay ---- */

static int parse_fault(relay_opts *o, const char *opt, const char *val)
{
    for (int k = 0; k < F_KINDS; k++) {
        if (strcmp(opt, fault_opts[k]) != 0)
            continue;
        char *end;
        long n = strtol(val, &end, 10);
        if (*end || n < 1 || o->nfaults == MAX_FAULTS)
            return -1;
        o->faults[o->nfaults++] = (fault){.kind = (fault_kind)k, .index = n};
        return 0;
    }
    return -1;
}

static int parse_relay(int argc, char **argv, relay_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *opt = argv[i], *val = argv[i + 1];
        if (!strcmp(opt, "--from"))
            o->from = val;
        else if (!strcmp(opt, "--to"))
            o->to = val;
        else if (!strcmp(opt, "--a2b"))
            o->a2b = val;
        else if (!strcmp(opt, "--b2a"))
            o->b2a = val;
        else if (!strcmp(opt, "--forge-handshakes"))
            o->forge = strtol(val, NULL, 10);
        else if (parse_fault(o, opt, val) != 0)
            return -1;
    }
    return (argc % 2 == 0 && o->from && o->to && o->a2b && o->b2a) ? 0 : -1;
}

static const fault *fault_for(const relay_opts *o, long index, fault_kind *kind)
{
    for (size_t i = 0; i < o->nfaults; i++) {
        if (o->faults[i].index == index) {
            *kind = o->faults[i].kind;
            return &o->faults[i];
        }
    }
    return NULL;
}

static void send_copy(route *l, const uint8_t *buf, size_t len)
{
    char err[256];
    if (net_producer_send(l->out, buf, len, 0, err, sizeof err) != 0)
        fprintf(stderr, "kafka_relay: %s: %s\n", l->name, err);
    l->copied++;
}

static void apply_fault(route *l, fault_kind kind, const net_record *rec)
{
    uint8_t *copy = malloc(rec->len + 256);
    if (!copy)
        return;
    memcpy(copy, rec->data, rec->len);
    size_t len = rec->len;
    printf("%s %ld offset=%lld len=%zu\n", fault_names[kind], l->data_frames,
           (long long)rec->offset, rec->len);
    fflush(stdout);
    if (kind == F_FLIP) {
        size_t pos = FRAME_HEADER_DATA + randombytes_uniform((uint32_t)(len - FRAME_HEADER_DATA));
        copy[pos] ^= (uint8_t)(1u << randombytes_uniform(8));
        send_copy(l, copy, len);
    } else if (kind == F_REPLAY) {
        send_copy(l, copy, len);
        send_copy(l, copy, len);
    } else if (kind == F_GARBAGE) {
        send_copy(l, copy, len);
        size_t glen = 16 + randombytes_uniform(240);
        randombytes_buf(copy, glen);
        copy[0] = (uint8_t)(3 + randombytes_uniform(253)); /* any version but 2: never a frame */
        send_copy(l, copy, glen);
    } else if (kind == F_TRUNCATE) {
        send_copy(l, copy, len / 2);
        send_copy(l, rec->data, rec->len);
    } else if (kind == F_FOREIGN) {
        randombytes_buf(copy + SESSION_OFF, SESSION_LEN);
        send_copy(l, copy, len);
        send_copy(l, rec->data, rec->len);
    }
    free(copy); /* F_DROP: nothing forwarded */
}

static bool is_data_frame(const net_record *rec)
{
    return rec->len > FRAME_HEADER_DATA && rec->data[0] == FRAME_VERSION &&
           rec->data[1] == FRAME_TYPE_DATA;
}

static int hs_type(const net_record *rec)
{
    if (rec->len <= FRAME_HEADER_HS || rec->data[0] != FRAME_VERSION)
        return 0;
    return rec->data[1] >= 1 && rec->data[1] <= 3 ? rec->data[1] : 0;
}

/* Forged handshake records: new sessions' messages 1 of random bytes, or copies of a message
 * 2 or 3 with one body bit flipped (same session id). */
static void forge(route *l, const net_record *rec, int type, long n)
{
    uint8_t *copy = malloc(rec->len);
    if (!copy)
        return;
    for (long i = 0; i < n; i++) {
        memcpy(copy, rec->data, rec->len);
        if (type == 1) {
            randombytes_buf(copy + SESSION_OFF, rec->len - SESSION_OFF);
        } else {
            size_t pos =
                FRAME_HEADER_HS + randombytes_uniform((uint32_t)(rec->len - FRAME_HEADER_HS));
            copy[pos] ^= (uint8_t)(1u << randombytes_uniform(8));
        }
        send_copy(l, copy, rec->len);
    }
    free(copy);
    printf("forge hs%d x%ld offset=%lld\n", type, n, (long long)rec->offset);
    fflush(stdout);
}

static void forward(route *l, const relay_opts *faults, const net_record *rec)
{
    fault_kind kind;
    int type = faults && faults->forge > 0 ? hs_type(rec) : 0;
    if (type == 2 || type == 3)
        forge(l, rec, type, faults->forge); /* before the genuine one */
    if (type) {
        send_copy(l, rec->data, rec->len);
        if (type == 1)
            forge(l, rec, type, faults->forge); /* after it: they must not replace it */
        return;
    }
    if (faults && is_data_frame(rec)) {
        l->data_frames++;
        if (fault_for(faults, l->data_frames, &kind)) {
            apply_fault(l, kind, rec);
            return;
        }
    }
    send_copy(l, rec->data, rec->len);
}

static int pump(route *l, const relay_opts *faults)
{
    char err[512];
    for (int i = 0; i < 512; i++) {
        net_record rec;
        int rc = net_consumer_poll(l->in, 0, &rec, err, sizeof err);
        if (rc == 0)
            return 0;
        if (rc < 0) {
            fprintf(stderr, "kafka_relay: %s: %s\n", l->name, err);
            return -1;
        }
        forward(l, faults, &rec);
        net_record_release(&rec);
    }
    return 0;
}

static int open_link(route *l, const char *from, const char *to, const char *topic,
                     const char *name)
{
    char err[512];
    net_config in = {.brokers = from}, out = {.brokers = to};
    l->name = name;
    l->in = net_consumer_new(&in, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    if (l->in)
        l->out = net_producer_new(&out, topic, on_delivery, (void *)name, err, sizeof err);
    if (!l->in || !l->out) {
        fprintf(stderr, "kafka_relay: %s: %s\n", name, err);
        return -1;
    }
    return 0;
}

static void close_link(route *l)
{
    if (l->out) {
        if (net_producer_flush(l->out, 5000) != 0)
            fprintf(stderr, "kafka_relay: %s: records left unflushed\n", l->name);
        net_producer_free(l->out);
    }
    if (l->in)
        net_consumer_close(l->in);
}

static int relay_loop(route *a2b, route *b2a, const relay_opts *o)
{
    relay_opts b2a_opts = {.forge = o->forge}; /* data-frame faults apply to a2b only */
    while (!stop_flag) {
        struct pollfd fds[4] = {
            {.fd = net_consumer_fd(a2b->in), .events = POLLIN},
            {.fd = net_consumer_fd(b2a->in), .events = POLLIN},
            {.fd = net_producer_fd(a2b->out), .events = POLLIN},
            {.fd = net_producer_fd(b2a->out), .events = POLLIN},
        };
        if (poll(fds, 4, 100) > 0)
            for (int i = 0; i < 4; i++)
                sys_fd_drain(fds[i].fd);
        if (pump(a2b, o) != 0 || pump(b2a, o->forge ? &b2a_opts : NULL) != 0)
            return 1;
        net_producer_poll(a2b->out, 0);
        net_producer_poll(b2a->out, 0);
    }
    return 0;
}

static int cmd_relay(int argc, char **argv)
{
    relay_opts o;
    if (parse_relay(argc, argv, &o) != 0)
        return usage();
    char err[512];
    net_config src = {.brokers = o.from};
    if (net_topic_create(&src, o.a2b, 15000, err, sizeof err) != 0 ||
        net_topic_create(&src, o.b2a, 15000, err, sizeof err) != 0) {
        fprintf(stderr, "kafka_relay: %s\n", err);
        return 1;
    }
    route a2b = {0}, b2a = {0};
    int rc = 1;
    if (open_link(&a2b, o.from, o.to, o.a2b, "a2b") == 0 &&
        open_link(&b2a, o.to, o.from, o.b2a, "b2a") == 0) {
        puts("ready");
        fflush(stdout);
        rc = relay_loop(&a2b, &b2a, &o);
    }
    close_link(&a2b);
    close_link(&b2a);
    printf("copied a2b=%ld b2a=%ld data_frames=%ld\n", a2b.copied, b2a.copied, a2b.data_frames);
    return rc;
}

/* ---- dump (librdkafka directly: keys and headers too) ---- */

static void hex(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

static void print_record(const rd_kafka_message_t *m)
{
    printf("offset=%lld key=", (long long)m->offset);
    if (m->key)
        hex(m->key, m->key_len);
    else
        putchar('-');
    fputs(" value=", stdout);
    hex(m->payload, m->payload ? m->len : 0);
    fputs(" headers=", stdout);
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *val;
        size_t len;
        for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &len); i++) {
            printf("%s", i ? "," : "");
            hex(name, strlen(name));
            putchar(':');
            hex(val, val ? len : 0);
        }
    }
    putchar('\n');
}

static rd_kafka_t *dump_consumer(const char *brokers, char *err, size_t errlen)
{
    char group[64];
    snprintf(group, sizeof group, "kafka-relay-dump-%ld", (long)time(NULL));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, errlen) ||
        rd_kafka_conf_set(conf, "group.id", group, err, errlen) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) ||
        rd_kafka_conf_set(conf, "log_level", "0", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

static int dump_range(rd_kafka_t *rk, const char *topic, int64_t lo, int64_t hi)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = lo;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    long n = 0;
    int64_t next = lo;
    time_t deadline = time(NULL) + 30;
    while (next < hi && time(NULL) < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (!m->err) {
            print_record(m);
            next = m->offset + 1;
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    fprintf(stderr, "kafka_relay: %s: %ld records (offsets %lld..%lld)\n", topic, n, (long long)lo,
            (long long)hi - 1);
    return next >= hi ? 0 : 1;
}

/* "-b BROKERS -t TOPIC" after the subcommand; both required. */
static int parse_bt(int argc, char **argv, const char **brokers, const char **topic)
{
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-b"))
            *brokers = argv[i + 1];
        else if (!strcmp(argv[i], "-t"))
            *topic = argv[i + 1];
    }
    return *brokers && *topic && argc % 2 == 0 ? 0 : -1;
}

/* "-b BROKERS -t TOPIC": a client for it and partition 0's watermarks. NULL (said) on failure;
 * *rc is the exit status to return then. */
static rd_kafka_t *open_topic(int argc, char **argv, const char **topic, int64_t *lo, int64_t *hi,
                              int *rc)
{
    const char *brokers = NULL;
    *rc = 1;
    if (parse_bt(argc, argv, &brokers, topic) != 0) {
        *rc = usage();
        return NULL;
    }
    char err[512];
    rd_kafka_t *rk = dump_consumer(brokers, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kafka_relay: %s\n", err);
        return NULL;
    }
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, *topic, 0, lo, hi, 10000);
    if (e) {
        fprintf(stderr, "kafka_relay: %s: %s\n", *topic, rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

static int cmd_dump(int argc, char **argv)
{
    const char *topic = NULL;
    int64_t lo = 0, hi = 0;
    int rc;
    rd_kafka_t *rk = open_topic(argc, argv, &topic, &lo, &hi, &rc);
    if (!rk)
        return rc;
    rc = lo < hi ? dump_range(rk, topic, lo, hi) : 0;
    fflush(stdout);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* ---- expire: what retention does, at once ---- */

static int delete_before(rd_kafka_t *rk, const char *topic, int64_t hi)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = hi;
    rd_kafka_DeleteRecords_t *del = rd_kafka_DeleteRecords_new(l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteRecords(rk, &del, 1, NULL, q);
    rd_kafka_DeleteRecords_destroy(del);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = 1;
    if (!ev) {
        fprintf(stderr, "kafka_relay: %s: DeleteRecords timed out\n", topic);
    } else if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "kafka_relay: %s: %s\n", topic, rd_kafka_event_error_string(ev));
    } else {
        const rd_kafka_topic_partition_list_t *res =
            rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
        rc = res && res->cnt == 1 && !res->elems[0].err ? 0 : 1;
        if (rc)
            fprintf(stderr, "kafka_relay: %s: %s\n", topic,
                    res && res->cnt ? rd_kafka_err2str(res->elems[0].err) : "no result");
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int cmd_expire(int argc, char **argv)
{
    const char *topic = NULL;
    int64_t lo = 0, hi = 0;
    int rc;
    rd_kafka_t *rk = open_topic(argc, argv, &topic, &lo, &hi, &rc);
    if (!rk)
        return rc;
    rc = delete_before(rk, topic, hi);
    if (rc == 0)
        printf("expired %lld records (offsets %lld..%lld)\n", (long long)(hi - lo), (long long)lo,
               (long long)hi - 1);
    fflush(stdout);
    rd_kafka_destroy(rk);
    return rc;
}

/* ---- flip: tamper with a real record in place ---- */

static int last_data_frame(const net_config *cfg, const char *topic, uint8_t *buf, size_t *len,
                           int64_t *offset)
{
    char err[512];
    net_consumer *c = net_consumer_new(cfg, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    if (!c) {
        fprintf(stderr, "kafka_relay: %s\n", err);
        return -1;
    }
    int64_t end = net_consumer_end_offset(c, 10000), last = -1;
    *offset = -1;
    for (int idle = 0; last + 1 < end && idle < 100;) {
        net_record r;
        int rc = net_consumer_poll(c, 100, &r, err, sizeof err);
        if (rc <= 0) {
            idle++;
            continue;
        }
        last = r.offset;
        if (r.len > FRAME_HEADER_DATA + 16 && r.len <= 70000 && r.data[1] == FRAME_TYPE_DATA) {
            memcpy(buf, r.data, r.len);
            *len = r.len;
            *offset = r.offset;
        }
        net_record_release(&r);
    }
    net_consumer_close(c);
    return *offset >= 0 ? 0 : -1;
}

static int cmd_flip(int argc, char **argv)
{
    const char *brokers = NULL, *topic = NULL;
    if (parse_bt(argc, argv, &brokers, &topic) != 0)
        return usage();
    net_config cfg = {.brokers = brokers};
    static uint8_t buf[70000];
    size_t len = 0;
    int64_t offset = -1;
    if (last_data_frame(&cfg, topic, buf, &len, &offset) != 0) {
        fprintf(stderr, "kafka_relay: no data frame in %s\n", topic);
        return 1;
    }
    buf[FRAME_HEADER_DATA + 1] ^= 0x01;
    char err[512];
    net_producer *p = net_producer_new(&cfg, topic, NULL, NULL, err, sizeof err);
    int rc = p && net_producer_send(p, buf, len, 0, err, sizeof err) == 0 &&
                     net_producer_flush(p, 10000) == 0
                 ? 0
                 : 1;
    if (p)
        net_producer_free(p);
    if (rc)
        fprintf(stderr, "kafka_relay: cannot write the tampered copy: %s\n", err);
    else
        printf("flipped a copy of offset %lld\n", (long long)offset);
    return rc;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0 || argc < 2)
        return usage();
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (!strcmp(argv[1], "relay"))
        return cmd_relay(argc, argv);
    if (!strcmp(argv[1], "dump"))
        return cmd_dump(argc, argv);
    if (!strcmp(argv[1], "flip"))
        return cmd_flip(argc, argv);
    if (!strcmp(argv[1], "expire"))
        return cmd_expire(argc, argv);
    return usage();
}
