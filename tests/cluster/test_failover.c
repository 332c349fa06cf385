/* Leader failover on a 3-node cluster (scripts/kafka-local start --nodes 3): while records flow
 * through a topic with replication factor 3, the partition leader is SIGKILLed and later
 * restarted, twice. Nothing is lost and nothing is read twice: every send gets one delivery
 * report (no error), the reader (a consumer group, so its coordinator may move too) sees every
 * record once and in order, and the end offset of the topic can be read while Kafka is still
 * electing the new leader (net_consumer_end_offset retries within its timeout).
 * Arguments: the kafka-local script and the cluster's directory. */
#include "../net/net_util.h"
#include "support/check.h"
#include "support/test_broker.h"
#include "sys/wake.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NRECORDS 3000
#define SEND_EVERY_MS 15

static const char *script, *dir;
static char brokers[512];

static int run(const char *fmt, int node)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, script, node, dir);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc;
}

/* The node that leads partition 0 of topic, from scripts/kafka/leaders.py; -1 if none. */
static int leader_of(const char *topic)
{
    char cmd[1024], line[512];
    snprintf(cmd, sizeof cmd, "python3 \"$(dirname '%s')/kafka/leaders.py\" '%s'", script, brokers);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    int leader = -1;
    size_t n = strlen(topic);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, topic, n) == 0 && strncmp(line + n, " 0 leader=", 10) == 0)
            leader = atoi(line + n + 10);
    }
    pclose(f);
    return leader;
}

typedef struct flow {
    net_producer *p;
    net_consumer *c;
    int sent, next_read, dups, out_of_order;
    int delivered, failed, twice, wrong_offset;
    unsigned char reports[NRECORDS];
    int64_t sent_at[NRECORDS], max_delay;
} flow;

static void on_delivery(void *ctx, uint64_t token, int64_t offset, const char *err)
{
    flow *f = ctx;
    if (err) {
        fprintf(stderr, "record %llu failed: %s\n", (unsigned long long)token, err);
        f->failed++;
        return;
    }
    if (token >= NRECORDS)
        return;
    if (f->reports[token]++)
        f->twice++;
    f->wrong_offset += offset != (int64_t)token;
    f->delivered++;
}

static void send_next(flow *f)
{
    char buf[32], err[256] = "";
    int n = snprintf(buf, sizeof buf, "r%d", f->sent);
    if (net_producer_send(f->p, buf, (size_t)n, (uint64_t)f->sent, err, sizeof err) != 0) {
        fprintf(stderr, "send %d: %s\n", f->sent, err);
        CHECK(0);
    }
    f->sent_at[f->sent++] = now_ms();
}

static void read_ready(flow *f)
{
    net_record rec;
    char err[256] = "";
    int rc;
    while ((rc = net_consumer_poll(f->c, 0, &rec, err, sizeof err)) == 1) {
        int i = rec.len > 1 && rec.data[0] == 'r' ? atoi((const char *)rec.data + 1) : -1;
        if (i < f->next_read)
            f->dups++;
        else if (i > f->next_read)
            f->out_of_order++;
        if (i >= f->next_read && i < NRECORDS) {
            int64_t delay = now_ms() - f->sent_at[i];
            f->max_delay = delay > f->max_delay ? delay : f->max_delay;
            f->next_read = i + 1;
        }
        net_consumer_done(f->c, rec.offset);
        net_record_release(&rec);
    }
    if (rc < 0) {
        fprintf(stderr, "read: %s\n", err);
        CHECK(0);
    }
}

/* Serves both clients for ms, sending on schedule while records are left to send. */
static void serve(flow *f, int ms, bool sending)
{
    int64_t end = now_ms() + ms, next_send = now_ms();
    while (now_ms() < end) {
        if (sending && f->sent < NRECORDS && now_ms() >= next_send) {
            send_next(f);
            next_send += SEND_EVERY_MS;
        }
        struct pollfd pfd[2] = {{.fd = net_producer_fd(f->p), .events = POLLIN},
                                {.fd = net_consumer_fd(f->c), .events = POLLIN}};
        poll(pfd, 2, 5);
        sys_fd_drain(pfd[0].fd);
        sys_fd_drain(pfd[1].fd);
        net_producer_poll(f->p, 0);
        read_ready(f);
    }
}

/* Kills the leader of topic mid-flow; a new reader finds the end offset meanwhile. */
static int kill_leader(flow *f, const net_config *cfg, const char *topic, test_sinks *s)
{
    int leader = leader_of(topic);
    printf("leader of %s: node %d\n", topic, leader);
    CHECK(leader >= 1 && leader <= 3);
    if (leader < 1)
        return -1;
    CHECK(run("'%s' kill %d --dir '%s'", leader) == 0);
    int64_t t0 = now_ms();
    char err[256] = "";
    net_consumer *c = net_consumer_new(cfg, topic, NULL, NET_START_BEGINNING, err, sizeof err);
    CHECK(c != NULL);
    if (c) {
        int64_t end = net_consumer_end_offset(c, 30000);
        printf("end offset %lld read %lld ms after the kill\n", (long long)end,
               (long long)(now_ms() - t0));
        CHECK(end >= 0);
        for (long i = sink_find(&s->log, "kchat: end offset", 0); i >= 0;
             i = sink_find(&s->log, "kchat: end offset", (size_t)i + 1))
            printf("  %s\n", s->log.lines[i]);
        net_consumer_close(c);
    }
    serve(f, 50, true);
    return leader;
}

/* Restarts node in the background while the records keep flowing. */
static void restart_serving(flow *f, int node)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' restart %d --dir '%s' >/dev/null", script, node, dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, WNOHANG) == 0)
        serve(f, 100, true);
    CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void round_trip(const net_config *cfg, const char *topic, test_sinks *s)
{
    char err[256] = "";
    flow *f = calloc(1, sizeof *f);
    f->p = net_producer_new(cfg, topic, on_delivery, f, err, sizeof err);
    f->c = net_consumer_new(cfg, topic, "kchat-failover-test", NET_START_STORED, err, sizeof err);
    CHECK(f->p && f->c);
    if (!f->p || !f->c)
        return;
    serve(f, 1500, true);
    for (int round = 0; round < 2; round++) {
        int killed = kill_leader(f, cfg, topic, s);
        serve(f, 2500, true);
        if (killed > 0)
            restart_serving(f, killed);
        serve(f, 500, true);
    }
    int64_t deadline = now_ms() + 60000;
    while ((f->sent < NRECORDS || f->next_read < NRECORDS || f->delivered < NRECORDS) &&
           now_ms() < deadline)
        serve(f, 100, true);
    printf("sent %d, delivered %d (failed %d, twice %d, offset != token %d), read %d, "
           "duplicates %d, out of order %d, max send-to-read delay %lld ms, producer restarts %u\n",
           f->sent, f->delivered, f->failed, f->twice, f->wrong_offset, f->next_read, f->dups,
           f->out_of_order, (long long)f->max_delay, net_producer_restarts(f->p));
    sink_print(&s->errors, "reported");
    /* Both clients said what happened: a broker lost, the cluster electing, records flowing. */
    CHECK(sink_find(&s->errors, "the cluster is electing new leaders, waiting", 0) >= 0);
    CHECK(sink_find(&s->errors, "Kafka: records flow again", 0) >= 0);
    CHECK(sink_find(&s->errors, "all brokers down", 0) < 0);
    CHECK(f->delivered == NRECORDS && f->failed == 0 && f->twice == 0 && f->wrong_offset == 0);
    CHECK(f->next_read == NRECORDS && f->dups == 0 && f->out_of_order == 0);
    net_producer_free(f->p);
    net_consumer_close(f->c);
    free(f);
}

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    if (argc != 3)
        return check_summary();
    script = argv[1];
    dir = argv[2];
    char path[1024];
    snprintf(path, sizeof path, "%s/bootstrap", dir);
    FILE *bf = fopen(path, "r");
    CHECK(bf != NULL);
    if (!bf || !fgets(brokers, sizeof brokers, bf))
        return check_summary();
    fclose(bf);
    brokers[strcspn(brokers, "\r\n")] = '\0';
    printf("cluster: %s\n", brokers);

    test_sinks s;
    sinks_init(&s);
    net_config cfg = test_config(brokers, NULL, 0, &s);
    char *topic = test_unique_name("kchat-failover");
    char err[256] = "";
    CHECK(net_topic_create(&cfg, topic, 30000, err, sizeof err) == 0);
    round_trip(&cfg, topic, &s);
    net_topic_delete(&cfg, topic, 15000, err, sizeof err);
    free(topic);
    sinks_free(&s);
    return check_summary();
}
