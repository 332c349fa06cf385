/* The Kafka binding of the session's transport without a broker: it opens (librdkafka connects
 * lazily), queues records, reports no end offset and an unfinished flush, and closes. The
 * binding's work with a broker is proven end to end by the integration tests. */
#include "src/transport.h"
#include "support/check.h"

#include <stdio.h>
#include <string.h>

static int reports;
static void on_delivery(void *ctx, uint64_t token, int64_t offset, const char *err)
{
    (void)ctx;
    (void)token;
    (void)offset;
    (void)err;
    reports++;
}

int main(void)
{
    const char *props[] = {"socket.connection.setup.timeout.ms=1000"};
    net_config net = {.brokers = "127.0.0.1:1", .props = props, .nprops = 1};
    transport_params p = {.net = &net,
                          .in_topic = "kchat-nowhere-a2b",
                          .out_topic = "kchat-nowhere-b2a",
                          .group = "kchat-kchat-nowhere-a2b",
                          .from_stored = true,
                          .on_delivery = on_delivery};
    transport t;
    char err[512];
    CHECK(transport_kafka_open(NULL, &p, &t, err, sizeof err) == 0);
    CHECK(t.ops->send(t.ctx, "record", 6, 3, err, sizeof err) == 0);
    transport_record rec;
    CHECK(t.ops->poll(t.ctx, &rec, err, sizeof err) == 0);
    CHECK(t.ops->serve(t.ctx) >= 0);
    int fds[2] = {-1, -1};
    CHECK(t.ops->fds(t.ctx, fds) == 2 && fds[0] >= 0 && fds[1] >= 0);
    t.ops->drain(t.ctx, fds[0]);
    t.ops->done(t.ctx, 0);
    CHECK(t.ops->end_offset(t.ctx, 200) == -1);
    CHECK(t.ops->flush(t.ctx, 200) != 0);
    t.ops->close(t.ctx);
    t.ops->free(t.ctx);
    net_config bad = {
        .brokers = "127.0.0.1:1", .props = (const char *[]){"no.such=1"}, .nprops = 1};
    p.net = &bad;
    CHECK(transport_kafka_open(NULL, &p, &t, err, sizeof err) != 0 && err[0]);
    return check_summary();
}
