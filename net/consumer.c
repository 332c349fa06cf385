/* consumer: partition 0 of one topic by rd_kafka_assign (no group membership, no rebalances).
 * Offsets are stored only through net_consumer_done and committed every second and on close.
 * The consumer queue (into which the main queue, logs included, is forwarded) has an IO event
 * on a pipe so the caller can poll() net_consumer_fd.
 *
 * A group's committed offset is fetched here (rd_kafka_committed, retried through coordinator
 * elections) and assigned as a concrete offset, never as RD_KAFKA_OFFSET_STORED: librdkafka
 * can leave a partition assigned at STORED waiting for good when its OffsetFetch gets a
 * request-level NOT_COORDINATOR from a coordinator that just lost the group (it refreshes the
 * coordinator but never sends the OffsetFetch again; librdkafka issue #5586), and the wait is
 * bounded and said here, not hidden in librdkafka. */
#include "net/consumer.h"
#include "net/admin.h"
#include "net/net_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Bounds on the waits for the cluster: a commit, and closing (its final commit). */
#define NET_COMMIT_WAIT_MS 3000
#define NET_CLOSE_WAIT_MS 3000
#define NET_END_WAIT_MS 10000 /* finding the end offset for NET_START_END */
#define NET_TRY_MS 2000       /* one try of a wait that retries through elections */
/* A poll's try at the committed offset while none is known: a coordinator lookup and an offset
 * fetch must fit in it across a wide-area link (at 20 ms one way, 100 ms never did). */
#define NET_STORED_POLL_MS 1000
#define NET_LEADER_CHECK_MS 1000     /* while "electing" is said: how often the leader is asked */
#define NET_LEADER_CHECK_WAIT_MS 200 /* and how long its answer is waited for */
/* A topic just created may take this long to be known to every broker of a cluster: missing
 * until then is waited for (a wrong topic name is reported after it). */
#define NET_NEW_TOPIC_GRACE_MS 5000

struct net_consumer {
    net_client cl;
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int wake[2];
    bool group;          /* a caller's group: offsets are stored and committed */
    bool assigned;       /* the queue may hold records: never drained blindly */
    bool stored_pending; /* NET_START_STORED with a group: the committed offset not known yet */
    double leader_checked_ms; /* the last check_leader_back */
    char topic[256];
};

static int64_t start_offset(net_start start)
{
    switch (start) {
    case NET_START_BEGINNING:
        return RD_KAFKA_OFFSET_BEGINNING;
    case NET_START_END:
        return RD_KAFKA_OFFSET_END;
    default: /* NET_START_STORED without a group: a fresh group has committed nothing */
        return RD_KAFKA_OFFSET_BEGINNING;
    }
}

/* Serves queued errors and logs (nothing is assigned yet, so no records can come). */
static void serve_errors(net_consumer *c)
{
    rd_kafka_message_t *m;
    while ((m = rd_kafka_consumer_poll(c->rk, 0)) != NULL)
        rd_kafka_message_destroy(m);
}

/* A pause between tries. The queue is not served here: once assigned it holds records. */
static void pause_ms(int ms)
{
    nanosleep(&(struct timespec){.tv_nsec = (long)ms * 1000000}, NULL);
}

/* Serves errors and logs for ms (before anything is assigned). */
static void serve_errors_for(net_consumer *c, int ms)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, ms);
    if (m)
        rd_kafka_message_destroy(m);
    serve_errors(c);
}

/* Asks a broker for the topic's metadata (at most wait_ms): a leader elected since is then
 * known, even while the topic is not assigned yet (nothing else refreshes it then). */
static void refresh_leader(net_consumer *c, int wait_ms)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(c->rk, c->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (t && rd_kafka_metadata(c->rk, 0, t, &md, wait_ms) == RD_KAFKA_RESP_ERR_NO_ERROR)
        rd_kafka_metadata_destroy(md);
    if (t)
        rd_kafka_topic_destroy(t);
}

/* The high watermark of partition 0, retried through leader elections and broker restarts
 * until timeout_ms is spent (each try waits at most 2 s, so a dead leader that metadata still
 * names does not use up the whole wait). Says once, through on_error, that Kafka is electing. */
static rd_kafka_resp_err_t query_end(net_consumer *c, int timeout_ms, int64_t *hi)
{
    double deadline = sys_now_ms() + timeout_ms;
    bool told = false;
    for (;;) {
        int64_t lo = -1;
        double left = deadline - sys_now_ms();
        int wait = left > 2000 ? 2000 : left > 0 ? (int)left : 1;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(c->rk, c->topic, 0, &lo, hi, wait);
        if (c->cl.log && e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            char line[512];
            snprintf(line, sizeof line, "kchat: end offset of %s: %s", c->topic,
                     rd_kafka_err2str(e));
            c->cl.log(c->cl.log_ctx, LOG_DEBUG, line);
        }
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && told)
            net_client_success(&c->cl); /* "records flow again": the wait said is over */
        bool retry = net_err_retriable(e) || net_topic_missing_in_grace(&c->cl, e);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR || !retry || c->cl.auth_err[0] ||
            deadline - sys_now_ms() <= 100)
            return e;
        if (!told && e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN &&
            e != RD_KAFKA_RESP_ERR__TRANSPORT) {
            char line[512];
            snprintf(line, sizeof line, "Kafka: topic '%s' has no leader yet (%s), waiting",
                     c->topic, rd_kafka_err2str(e));
            net_client_report(&c->cl, LOG_NOTICE, line);
            c->cl.partial_reported = true; /* ended by net_client_success */
            told = true;
        }
        if (c->assigned)
            pause_ms(100);
        else
            serve_errors_for(c, 100); /* nothing assigned yet: only errors and logs queued */
        refresh_leader(c, 500);
    }
}

/* One try at the group's committed offset of partition 0 (RD_KAFKA_OFFSET_BEGINNING when the
 * group has committed nothing), waiting at most wait_ms. */
static rd_kafka_resp_err_t committed_once(net_consumer *c, int wait_ms, int64_t *offset)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, c->topic, 0);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, l, wait_ms);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        e = l->elems[0].err;
    int64_t o = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    *offset = o >= 0 ? o : RD_KAFKA_OFFSET_BEGINNING;
    if (c->cl.log && e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        char line[512];
        snprintf(line, sizeof line, "kchat: committed offset of %s: %s", c->topic,
                 rd_kafka_err2str(e));
        c->cl.log(c->cl.log_ctx, LOG_DEBUG, line);
    }
    return e;
}

static void report_no_coordinator(net_consumer *c, rd_kafka_resp_err_t e)
{
    char line[512];
    snprintf(line, sizeof line,
             "Kafka: the group coordinator of topic '%s' is not available yet (%s), waiting",
             c->topic, rd_kafka_err2str(e));
    net_client_report(&c->cl, LOG_NOTICE, line);
}

/* The committed offset, retried through coordinator elections and broker restarts until
 * timeout_ms is spent (each try at most NET_TRY_MS). Says once, through on_error, that the
 * coordinator is being waited for. Nothing is assigned yet: the queue holds only errors. */
static rd_kafka_resp_err_t query_committed(net_consumer *c, int timeout_ms, int64_t *offset)
{
    double deadline = sys_now_ms() + timeout_ms;
    bool told = false;
    for (;;) {
        double left = deadline - sys_now_ms();
        int wait = left > NET_TRY_MS ? NET_TRY_MS : left > 0 ? (int)left : 1;
        rd_kafka_resp_err_t e = committed_once(c, wait, offset);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && told)
            net_client_success(&c->cl); /* "records flow again": the wait said is over */
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR || !net_err_retriable(e) || c->cl.auth_err[0] ||
            deadline - sys_now_ms() <= 100)
            return e;
        if (!told && e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN &&
            e != RD_KAFKA_RESP_ERR__TRANSPORT) {
            report_no_coordinator(c, e);
            c->cl.partial_reported = true; /* ended by net_client_success */
            told = true;
        }
        serve_errors_for(c, 100);
    }
}

static int assign_at(net_consumer *c, int64_t offset, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, c->topic, 0)->offset = offset;
    rd_kafka_resp_err_t e = rd_kafka_assign(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    c->assigned = e == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        errf(err, errlen, "cannot read topic '%s': %s", c->topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Assigns partition 0 at the group's committed offset once it is known, trying for at most
 * timeout_ms. 0: assigned (or already was); -1: not yet (the error code in *why). */
static int resolve_stored(net_consumer *c, int timeout_ms, rd_kafka_resp_err_t *why)
{
    if (!c->stored_pending)
        return 0;
    int64_t offset = RD_KAFKA_OFFSET_BEGINNING;
    *why = query_committed(c, timeout_ms, &offset);
    if (*why != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    char err[256];
    if (assign_at(c, offset, err, sizeof err) != 0) {
        *why = RD_KAFKA_RESP_ERR__STATE;
        return -1;
    }
    c->stored_pending = false;
    return 0;
}

/* NET_START_END is resolved here, before returning: a lazily resolved "end" could land after
 * a reply that arrives right away, and that reply would be skipped. */
static int resolve_end(net_consumer *c, int64_t *offset, char *err, size_t errlen)
{
    int64_t hi = 0;
    rd_kafka_resp_err_t e = query_end(c, NET_END_WAIT_MS, &hi);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        *offset = hi;
        return 0;
    }
    serve_errors(c); /* the connection failure behind it, for the message */
    if (e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || e == RD_KAFKA_RESP_ERR__TRANSPORT ||
        e == RD_KAFKA_RESP_ERR__TIMED_OUT || e == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE ||
        c->cl.auth_err[0])
        net_client_unreachable(&c->cl, NET_END_WAIT_MS, err, errlen);
    else if (e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
             e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        errf(err, errlen, "cannot read topic '%s': it does not exist on %s", c->topic,
             c->cl.brokers);
    else
        net_kafka_error(e, NULL, "find the end of", "topic", c->topic, err, errlen);
    return -1;
}

/* A group's NET_START_STORED is resolved later (resolve_stored), by the first wait that may
 * take long (net_consumer_end_offset) or, a short try each, by net_consumer_poll. */
static int assign_partition(net_consumer *c, net_start start, char *err, size_t errlen)
{
    if (start == NET_START_STORED && c->group) {
        c->stored_pending = true;
        return 0;
    }
    int64_t offset = start_offset(start);
    if (start == NET_START_END && resolve_end(c, &offset, err, errlen) != 0)
        return -1;
    return assign_at(c, offset, err, errlen);
}

static int consumer_start(net_consumer *c, const net_config *cfg, const char *group_id,
                          net_start start, char *err, size_t errlen)
{
    char rnd[96];
    snprintf(rnd, sizeof rnd, "kchat-reader-%ld-%llu-%lx", (long)getpid(),
             (unsigned long long)sys_now_ns(), (unsigned long)(uintptr_t)c);
    const char *with_group[] = {"group.id", group_id, NULL};
    const char *no_group[] = {"group.id", rnd, "enable.auto.commit", "false", NULL};
    if (sys_pipe_open(c->wake) != 0) {
        errf(err, errlen, "cannot create a pipe for the Kafka consumer");
        return -1;
    }
    c->cl.wake_wfd = c->wake[1];
    rd_kafka_conf_t *conf = net_conf_build(cfg, &c->cl, NET_ROLE_CONSUMER,
                                           c->group ? with_group : no_group, err, errlen);
    if (!conf)
        return -1;
    c->rk = net_client_new(&c->cl, RD_KAFKA_CONSUMER, conf, err, errlen);
    if (!c->rk) {
        return -1;
    }
    rd_kafka_poll_set_consumer(c->rk); /* main queue (errors, logs) -> consumer queue */
    c->q = rd_kafka_queue_get_consumer(c->rk);
    rd_kafka_queue_io_event_enable(c->q, c->wake[1], "1", 1);
    sys_fd_signal(c->wake[1]); /* serve whatever was queued before the IO event was set */
    return assign_partition(c, start, err, errlen);
}

net_consumer *net_consumer_new(const net_config *cfg, const char *topic, const char *group_id,
                               net_start start, char *err, size_t errlen)
{
    if (!net_topic_name_valid(topic)) {
        errf(err, errlen, "invalid topic name '%s'", topic ? topic : "");
        return NULL;
    }
    net_consumer *c = calloc(1, sizeof *c);
    if (!c) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    net_client_init(&c->cl, cfg, c);
    c->wake[0] = c->wake[1] = -1;
    c->cl.topic_errors_final = true;
    c->cl.topic_grace_until = sys_now_ms() + NET_NEW_TOPIC_GRACE_MS;
    c->group = group_id && *group_id;
    snprintf(c->topic, sizeof c->topic, "%s", topic);
    if (consumer_start(c, cfg, group_id, start, err, errlen) != 0) {
        net_consumer_close(c);
        return NULL;
    }
    return c;
}

static bool is_final(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__FATAL:
        return true;
    default:
        return false;
    }
}

/* "cannot read topic 'T': why", without librdkafka's "T [0]: " prefix on why. */
static void final_error(const net_consumer *c, const char *why, char *err, size_t errlen)
{
    size_t n = strlen(c->topic);
    if (strncmp(why, c->topic, n) == 0 && strncmp(why + n, " [0]: ", 6) == 0)
        why += n + 6;
    errf(err, errlen, "cannot read topic '%s': %s", c->topic, why);
}

/* An error event: -1 (err filled) when reading cannot go on, else 0 (reported, retried). */
static int consumer_error(net_consumer *c, const rd_kafka_message_t *m, char *err, size_t errlen)
{
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        return 0;
    if (m->err == RD_KAFKA_RESP_ERR__FATAL && net_client_fatal(c->rk, err, errlen))
        return -1;
    if (is_final(m->err) && !net_topic_missing_in_grace(&c->cl, m->err)) {
        final_error(c, rd_kafka_message_errstr(m), err, errlen);
        return -1;
    }
    char line[512];
    snprintf(line, sizeof line, "Kafka consumer: %s", rd_kafka_message_errstr(m));
    net_client_report(&c->cl, LOG_WARNING, line);
    return 0;
}

static void fill_record(net_record *rec, rd_kafka_message_t *m)
{
    static const uint8_t empty[1];
    rec->offset = m->offset;
    rec->data = m->payload ? (const uint8_t *)m->payload : empty;
    rec->len = m->len;
    rec->handle_ = m;
}

/* True and err filled when reading cannot go on: a fatal error or a missing topic. */
static bool reading_failed(net_consumer *c, char *err, size_t errlen)
{
    if (net_client_fatal(c->rk, err, errlen))
        return true;
    if (c->cl.auth_err[0]) { /* a refused login is a configuration error: final */
        net_client_unreachable(&c->cl, 0, err, errlen);
        return true;
    }
    if (!c->cl.final_err[0])
        return false;
    final_error(c, c->cl.final_err, err, errlen);
    return true;
}

/* While this client says the cluster is electing and no record has come to say it is over (the
 * peer may be waiting for us, not writing): once a second, asks partition 0's leader for its
 * end offset; an answer means the partition has a live leader, and that is said as records
 * flowing again. Without it a reader whose partition never lost its leader (another node was
 * killed) would say "waiting" until the next record, and the session would excuse a silent
 * peer for that long. */
static void check_leader_back(net_consumer *c)
{
    double now = sys_now_ms();
    if (!c->cl.partial_reported || !c->assigned || now - c->leader_checked_ms < NET_LEADER_CHECK_MS)
        return;
    c->leader_checked_ms = now;
    int64_t lo = -1, hi = -1;
    if (rd_kafka_query_watermark_offsets(c->rk, c->topic, 0, &lo, &hi, NET_LEADER_CHECK_WAIT_MS) ==
        RD_KAFKA_RESP_ERR_NO_ERROR)
        net_client_success(&c->cl);
}

int net_consumer_poll(net_consumer *c, int timeout_ms, net_record *rec, char *err, size_t errlen)
{
    rd_kafka_resp_err_t why;
    int try_ms = timeout_ms < 0                    ? NET_TRY_MS
                 : timeout_ms > NET_STORED_POLL_MS ? timeout_ms
                                                   : NET_STORED_POLL_MS;
    if (c->stored_pending && resolve_stored(c, try_ms, &why) != 0) {
        serve_errors(c); /* nothing assigned: only errors and logs are queued */
        if (reading_failed(c, err, errlen))
            return -1;
        net_client_check_up(&c->cl);
        return 0;
    }
    double deadline = sys_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (reading_failed(c, err, errlen))
            return -1;
        double left = deadline - sys_now_ms();
        int wait = timeout_ms < 0 ? -1 : left > 0 ? (int)left : 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, wait);
        if (!m)
            break;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            fill_record(rec, m);
            net_client_success(&c->cl);
            return 1;
        }
        int rc = consumer_error(c, m, err, errlen);
        rd_kafka_message_destroy(m);
        if (rc < 0)
            return -1;
        if (timeout_ms >= 0 && sys_now_ms() >= deadline)
            break;
    }
    if (reading_failed(c, err, errlen)) /* the error callback ran inside the poll */
        return -1;
    net_client_check_up(&c->cl);
    check_leader_back(c);
    return 0;
}

void net_record_release(net_record *rec)
{
    if (!rec || !rec->handle_)
        return;
    rd_kafka_message_destroy(rec->handle_);
    rec->handle_ = NULL;
    rec->data = NULL;
    rec->len = 0;
}

int net_consumer_done(net_consumer *c, int64_t offset)
{
    if (!c->group)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, c->topic, 0)->offset = offset + 1;
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, l);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        e = l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    return e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

/* Commits the stored position and waits at most timeout_ms for the answer. */
static rd_kafka_resp_err_t commit_wait(net_consumer *c, int timeout_ms)
{
    rd_kafka_queue_t *rq = rd_kafka_queue_new(c->rk);
    rd_kafka_resp_err_t e = rd_kafka_commit_queue(c->rk, NULL, rq, NULL, NULL);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(rq, timeout_ms);
        e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(rq);
    if (e == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return RD_KAFKA_RESP_ERR_NO_ERROR; /* nothing new to commit */
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        char line[512];
        snprintf(line, sizeof line, "cannot commit the read position of topic '%s': %s", c->topic,
                 rd_kafka_err2str(e));
        net_client_report(&c->cl, LOG_WARNING, line);
    }
    return e;
}

int net_consumer_commit(net_consumer *c)
{
    if (!c->group)
        return 0;
    return commit_wait(c, NET_COMMIT_WAIT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

/* The end first: it is the position when the call began (a session takes the records below it
 * for ones from before its start), not after the wait for the coordinator. */
int64_t net_consumer_end_offset(net_consumer *c, int timeout_ms)
{
    double deadline = sys_now_ms() + timeout_ms;
    int64_t hi = -1;
    if (query_end(c, timeout_ms, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    double left = deadline - sys_now_ms();
    rd_kafka_resp_err_t why;
    if (resolve_stored(c, left > 1 ? (int)left : 1, &why) != 0)
        return -1;
    return hi;
}

int net_consumer_fd(net_consumer *c)
{
    return c->wake[0];
}

/* rd_kafka_consumer_close, but giving up after timeout_ms (a cluster that is down would keep
 * it waiting for the final commit for minutes). True when closed. */
static bool close_bounded(net_consumer *c, int timeout_ms)
{
    rd_kafka_queue_t *cq = rd_kafka_queue_new(c->rk);
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(c->rk, cq);
    if (e)
        rd_kafka_error_destroy(e);
    double deadline = sys_now_ms() + timeout_ms;
    while (!e && !rd_kafka_consumer_closed(c->rk) && sys_now_ms() < deadline) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(cq, 50);
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    bool closed = !e && rd_kafka_consumer_closed(c->rk);
    rd_kafka_queue_destroy(cq);
    return closed;
}

void net_consumer_close(net_consumer *c)
{
    if (!c)
        return;
    bool closed = false;
    if (c->rk) {
        /* With the cluster down the commit cannot succeed: the next start re-reads a little. */
        int wait = c->cl.down_reported ? NET_COMMIT_WAIT_MS / 6 : NET_COMMIT_WAIT_MS;
        bool committed = !c->group || commit_wait(c, wait) == 0;
        closed = close_bounded(c, committed ? NET_CLOSE_WAIT_MS : NET_CLOSE_WAIT_MS / 3);
    }
    if (c->q) {
        rd_kafka_queue_io_event_enable(c->q, -1, NULL, 0);
        rd_kafka_queue_destroy(c->q);
    }
    if (c->rk)
        rd_kafka_destroy_flags(c->rk, closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    sys_pipe_close(c->wake);
    net_client_destroy(&c->cl);
    free(c);
}
