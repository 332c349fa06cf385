/* delay_proxy: a wide-area link for kchat-bench (--delay-ms MS). A thread of the bench's parent
 * process listens on the broker's own host (an ephemeral port) and relays every connection to the
 * broker, holding each direction's bytes for MS milliseconds: a queue of timestamped chunks per
 * direction, written in order once due, so byte order is kept and nothing waits longer than MS
 * (plus the loop's wake-up). A new connection's first request is also held until 3 x MS after
 * the accept, as if the TCP handshake (SYN, SYN-ACK) had crossed the link first, as netem would.
 *
 * Kafka clients learn where the broker is from the broker itself (Metadata, FindCoordinator,
 * DescribeCluster responses), so a plain relay would be bypassed after bootstrap. The proxy reads
 * the Kafka framing of both directions: each request's api key and correlation id, and in the
 * responses of those three APIs, every broker address equal to the upstream's (host string, then
 * its big-endian int32 port) gets the proxy's port instead. The host is the same (the proxy binds
 * it), so the rewrite keeps every length: it works for every protocol version, flexible or not.
 * One broker (the bench's single-node broker); other brokers of a cluster would be reached
 * directly. The controller listener is not client traffic and never goes through here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, pipe2, ppoll, memrchr */
#endif
#include "bench/kchat_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (256u * 1024u)
#define QUEUE_CAP (64u * 1024u * 1024u) /* bytes queued per direction before reading pauses */
#define HOLD_MAX (16u * 1024u * 1024u)  /* larger responses are passed through, not rewritten */
#define REQ_RING 256

typedef struct chunk {
    struct chunk *next;
    int64_t due;
    size_t len, off;
    bool eof;
    uint8_t data[];
} chunk;

typedef struct pdir { /* one direction of one connection */
    chunk *head, *tail;
    size_t queued;
    int64_t last_due;
    bool src_eof, done, blocked; /* blocked: the destination refused more (wait for POLLOUT) */
    /* Kafka framing: the header of the current frame, the bytes left in it */
    uint8_t hdr[12];
    size_t hdr_have;
    uint64_t remaining;
    uint8_t *hold; /* a response being held whole for the rewrite */
    size_t hold_len;
    bool holding;
} pdir;

typedef struct pconn {
    struct pconn *next;
    int fd[2]; /* 0: client, 1: broker */
    pdir d[2]; /* d[0]: client -> broker (requests), d[1]: broker -> client (responses) */
    int64_t accepted;
    bool drop; /* an error: closed at the next turn */
    struct {
        int32_t corr;
        int16_t key;
    } req[REQ_RING];
    unsigned nreq;
} pconn;

struct bench_proxy {
    pthread_t thread;
    bool started;
    int lfd, wake[2];
    int64_t delay_ns;
    struct sockaddr_storage up;
    socklen_t uplen;
    char host[256];
    uint16_t up_port, port;
    pconn *conns;
    atomic_bool stop;
    atomic_ullong n_conns, n_rewrites, n_bytes;
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int nodelay_nonblock(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

/* Appends len bytes (or the end of the stream) to the direction's queue, due delay after now. */
static int enqueue(bench_proxy *px, pconn *c, int di, const uint8_t *buf, size_t len, bool eof,
                   int64_t now)
{
    pdir *d = &c->d[di];
    if (!len && !eof)
        return 0;
    chunk *k = malloc(sizeof *k + len);
    if (!k)
        return -1;
    k->next = NULL;
    k->len = len;
    k->off = 0;
    k->eof = eof;
    if (len)
        memcpy(k->data, buf, len);
    int64_t due = now + px->delay_ns;
    if (di == 0 && due < c->accepted + 3 * px->delay_ns)
        due = c->accepted + 3 * px->delay_ns; /* the TCP handshake's round trip first */
    if (due < d->last_due)
        due = d->last_due;
    k->due = d->last_due = due;
    if (d->tail)
        d->tail->next = k;
    else
        d->head = k;
    d->tail = k;
    d->queued += len;
    return 0;
}

static int16_t req_key(const pconn *c, int32_t corr)
{
    for (unsigned i = 0; i < REQ_RING && i < c->nreq; i++) {
        unsigned j = (c->nreq - 1 - i) % REQ_RING;
        if (c->req[j].corr == corr)
            return c->req[j].key;
    }
    return -1;
}

/* Requests: noted (api key by correlation id), passed on unchanged. */
static int on_requests(bench_proxy *px, pconn *c, const uint8_t *buf, size_t len, int64_t now)
{
    pdir *d = &c->d[0];
    for (size_t p = 0; p < len;) {
        if (d->remaining) {
            size_t n = len - p < d->remaining ? len - p : (size_t)d->remaining;
            p += n;
            d->remaining -= n;
            continue;
        }
        d->hdr[d->hdr_have++] = buf[p++];
        if (d->hdr_have < 12)
            continue;
        uint32_t size = be32(d->hdr);
        unsigned j = c->nreq++ % REQ_RING;
        c->req[j].key = (int16_t)(d->hdr[4] << 8 | d->hdr[5]);
        c->req[j].corr = (int32_t)be32(d->hdr + 8);
        d->remaining = size > 8 ? size - 8 : 0;
        d->hdr_have = 0;
    }
    return enqueue(px, c, 0, buf, len, false, now);
}

/* Every "host" + int32 upstream port in a held response becomes "host" + the proxy's port; the
 * byte before the host must be its length (int16's low byte, or a compact string's length + 1). */
static void rewrite(bench_proxy *px, uint8_t *b, size_t len)
{
    size_t hl = strlen(px->host);
    for (size_t i = 1; i + hl + 4 <= len; i++) {
        if (b[i] != (uint8_t)px->host[0] || memcmp(b + i, px->host, hl) != 0 ||
            be32(b + i + hl) != px->up_port)
            continue;
        if (b[i - 1] != hl && b[i - 1] != hl + 1)
            continue;
        put_be32(b + i + hl, px->port);
        atomic_fetch_add(&px->n_rewrites, 1);
        i += hl + 3;
    }
}

static bool wants_rewrite(int16_t key)
{
    return key == 3 || key == 10 || key == 60; /* Metadata, FindCoordinator, DescribeCluster */
}

/* Responses: passed on as they come, except the body of a response to rewrite, held whole. */
static int on_responses(bench_proxy *px, pconn *c, const uint8_t *buf, size_t len, int64_t now)
{
    pdir *d = &c->d[1];
    size_t s = 0; /* start of the bytes passed on unchanged */
    for (size_t p = 0; p < len;) {
        if (d->holding) {
            size_t n = len - p < d->remaining ? len - p : (size_t)d->remaining;
            memcpy(d->hold + d->hold_len, buf + p, n);
            d->hold_len += n;
            p += n;
            s = p;
            d->remaining -= n;
            if (d->remaining)
                continue;
            rewrite(px, d->hold, d->hold_len);
            int rc = enqueue(px, c, 1, d->hold, d->hold_len, false, now);
            free(d->hold);
            d->hold = NULL;
            d->holding = false;
            if (rc != 0)
                return -1;
            continue;
        }
        if (d->remaining) {
            size_t n = len - p < d->remaining ? len - p : (size_t)d->remaining;
            p += n;
            d->remaining -= n;
            continue;
        }
        d->hdr[d->hdr_have++] = buf[p++];
        if (d->hdr_have < 8)
            continue;
        uint32_t size = be32(d->hdr);
        d->remaining = size > 4 ? size - 4 : 0;
        d->hdr_have = 0;
        if (d->remaining && d->remaining <= HOLD_MAX &&
            wants_rewrite(req_key(c, (int32_t)be32(d->hdr + 4)))) {
            if (enqueue(px, c, 1, buf + s, p - s, false, now) != 0 ||
                !(d->hold = malloc((size_t)d->remaining)))
                return -1;
            d->hold_len = 0;
            d->holding = true;
            s = p;
        }
    }
    return enqueue(px, c, 1, buf + s, len - s, false, now);
}

static void conn_free(pconn *c)
{
    for (int i = 0; i < 2; i++) {
        if (c->fd[i] >= 0)
            close(c->fd[i]);
        for (chunk *k = c->d[i].head, *n; k; k = n) {
            n = k->next;
            free(k);
        }
        free(c->d[i].hold);
    }
    free(c);
}

static void on_accept(bench_proxy *px)
{
    for (;;) {
        int cfd = accept4(px->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0)
            return;
        int ufd = socket(px->up.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        pconn *c = calloc(1, sizeof *c);
        /* loopback: the connect is immediate (or refused) */
        if (ufd < 0 || !c || connect(ufd, (struct sockaddr *)&px->up, px->uplen) != 0 ||
            nodelay_nonblock(cfd) != 0 || nodelay_nonblock(ufd) != 0) {
            close(cfd);
            if (ufd >= 0)
                close(ufd);
            free(c);
            continue;
        }
        c->fd[0] = cfd;
        c->fd[1] = ufd;
        c->accepted = bench_now_ns();
        c->next = px->conns;
        px->conns = c;
        atomic_fetch_add(&px->n_conns, 1);
    }
}

/* Reads what fd i has; -1 when the connection is to be dropped. */
static int on_readable(bench_proxy *px, pconn *c, int i, uint8_t *buf)
{
    pdir *d = &c->d[i]; /* d[i] is the direction whose source is fd[i] */
    while (!d->src_eof && d->queued < QUEUE_CAP) {
        ssize_t n = read(c->fd[i], buf, READ_CHUNK);
        int64_t now = bench_now_ns();
        if (n > 0) {
            atomic_fetch_add(&px->n_bytes, (unsigned long long)n);
            int rc = i == 0 ? on_requests(px, c, buf, (size_t)n, now)
                            : on_responses(px, c, buf, (size_t)n, now);
            if (rc != 0)
                return -1;
            if ((size_t)n < READ_CHUNK)
                return 0;
        } else if (n == 0) {
            d->src_eof = true;
            if (d->holding && /* the stream ended inside a held response: pass on what came */
                enqueue(px, c, i, d->hold, d->hold_len, false, now) != 0)
                return -1;
            d->holding = false;
            return enqueue(px, c, i, NULL, 0, true, now);
        } else {
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        }
    }
    return 0;
}

/* Writes the due chunks of direction i (to fd[1 - i]); -1 when the connection is to be dropped. */
static int flush(pconn *c, int i, int64_t now)
{
    pdir *d = &c->d[i];
    int dst = c->fd[1 - i];
    d->blocked = false;
    while (d->head && d->head->due <= now) {
        chunk *k = d->head;
        if (k->eof) {
            shutdown(dst, SHUT_WR);
            d->done = true;
        } else {
            while (k->off < k->len) {
                ssize_t n = write(dst, k->data + k->off, k->len - k->off);
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    d->blocked = true;
                    return 0;
                }
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0)
                    return -1;
                k->off += (size_t)n;
            }
        }
        d->head = k->next;
        if (!d->head)
            d->tail = NULL;
        d->queued -= k->len;
        free(k);
    }
    return 0;
}

static void *proxy_main(void *arg)
{
    bench_proxy *px = arg;
    uint8_t *buf = malloc(READ_CHUNK);
    size_t cap = 0;
    struct pollfd *pf = NULL;
    pconn **owner = NULL;
    while (buf && !atomic_load(&px->stop)) {
        int64_t now = bench_now_ns(), next = -1;
        size_t n = 0, want = 2;
        /* due chunks out, closed connections away */
        for (pconn **pp = &px->conns; *pp;) {
            pconn *c = *pp;
            int bad = !c->drop && (flush(c, 0, now) || flush(c, 1, now));
            if (c->drop || bad || (c->d[0].done && c->d[1].done)) {
                *pp = c->next;
                conn_free(c);
                continue;
            }
            for (int i = 0; i < 2; i++)
                if (c->d[i].head && !c->d[i].blocked && (next < 0 || c->d[i].head->due < next))
                    next = c->d[i].head->due;
            want += 2;
            pp = &c->next;
        }
        if (want > cap) {
            size_t ncap = want * 2;
            struct pollfd *npf = realloc(pf, ncap * sizeof *pf);
            if (npf)
                pf = npf;
            pconn **nown = npf ? realloc(owner, ncap * sizeof *owner) : NULL;
            if (!npf || !nown)
                break;
            owner = nown;
            cap = ncap;
        }
        pf[n++] = (struct pollfd){.fd = px->wake[0], .events = POLLIN};
        pf[n++] = (struct pollfd){.fd = px->lfd, .events = POLLIN};
        for (pconn *c = px->conns; c; c = c->next) {
            for (int i = 0; i < 2; i++) {
                short ev = 0;
                if (!c->d[i].src_eof && c->d[i].queued < QUEUE_CAP)
                    ev |= POLLIN; /* fd[i] is the source of d[i] */
                if (c->d[1 - i].blocked)
                    ev |= POLLOUT; /* and the destination of d[1 - i] */
                owner[n] = c;
                pf[n++] = (struct pollfd){.fd = ev ? c->fd[i] : -1, .events = ev};
            }
        }
        struct timespec ts, *tp = NULL;
        if (next >= 0) {
            int64_t wait = next > now ? next - now : 0;
            ts.tv_sec = (time_t)(wait / 1000000000);
            ts.tv_nsec = (long)(wait % 1000000000);
            tp = &ts;
        }
        if (ppoll(pf, (nfds_t)n, tp, NULL) < 0 && errno != EINTR)
            break;
        if (pf[1].revents & POLLIN)
            on_accept(px);
        for (size_t j = 2; j < n; j += 2) {
            pconn *c = owner[j];
            for (int i = 0; i < 2; i++) {
                short re = pf[j + (size_t)i].revents;
                if ((re & (POLLIN | POLLHUP | POLLERR)) && !c->d[i].src_eof && !c->drop &&
                    on_readable(px, c, i, buf) != 0)
                    c->drop = true;
            }
        }
    }
    free(buf);
    free(pf);
    free(owner);
    return NULL;
}

bench_proxy *bench_proxy_start(const char *brokers, int delay_ms, char *addr, size_t cap, char *err,
                               size_t errlen)
{
    bench_proxy *px = calloc(1, sizeof *px);
    if (!px) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    px->lfd = px->wake[0] = px->wake[1] = -1;
    px->delay_ns = (int64_t)delay_ms * 1000000;
    /* the first bootstrap broker, HOST:PORT */
    size_t blen = strcspn(brokers, ",");
    const char *colon = memrchr(brokers, ':', blen);
    if (!colon || colon == brokers || (size_t)(colon - brokers) >= sizeof px->host) {
        snprintf(err, errlen, "--delay-ms: cannot read HOST:PORT from '%s'", brokers);
        free(px);
        return NULL;
    }
    memcpy(px->host, brokers, (size_t)(colon - brokers));
    char port[16];
    snprintf(port, sizeof port, "%.*s", (int)(brokers + blen - colon - 1), colon + 1);
    px->up_port = (uint16_t)atoi(port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int gai = getaddrinfo(px->host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, errlen, "--delay-ms: cannot resolve %s: %s", brokers, gai_strerror(gai));
        free(px);
        return NULL;
    }
    memcpy(&px->up, ai->ai_addr, ai->ai_addrlen);
    px->uplen = ai->ai_addrlen;
    freeaddrinfo(ai);
    /* listen on the same address, another port */
    struct sockaddr_storage me = px->up;
    if (me.ss_family == AF_INET)
        ((struct sockaddr_in *)&me)->sin_port = 0;
    else
        ((struct sockaddr_in6 *)&me)->sin6_port = 0;
    socklen_t mlen = px->uplen;
    px->lfd = socket(me.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (px->lfd < 0 || bind(px->lfd, (struct sockaddr *)&me, mlen) != 0 ||
        listen(px->lfd, 128) != 0 || getsockname(px->lfd, (struct sockaddr *)&me, &mlen) != 0 ||
        pipe2(px->wake, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "delay proxy: %s", strerror(errno));
        bench_proxy_stop(px);
        return NULL;
    }
    px->port = ntohs(me.ss_family == AF_INET ? ((struct sockaddr_in *)&me)->sin_port
                                             : ((struct sockaddr_in6 *)&me)->sin6_port);
    if (pthread_create(&px->thread, NULL, proxy_main, px) != 0) {
        snprintf(err, errlen, "delay proxy: cannot start its thread");
        bench_proxy_stop(px);
        return NULL;
    }
    px->started = true;
    snprintf(addr, cap, "%s:%u", px->host, px->port);
    return px;
}

void bench_proxy_stats(const bench_proxy *px, bench_proxy_counts *out)
{
    bench_proxy *p = (bench_proxy *)px;
    out->connections = atomic_load(&p->n_conns);
    out->rewrites = atomic_load(&p->n_rewrites);
    out->bytes = atomic_load(&p->n_bytes);
}

void bench_proxy_stop(bench_proxy *px)
{
    if (!px)
        return;
    if (px->started) {
        atomic_store(&px->stop, true);
        if (write(px->wake[1], "x", 1) < 0) {
            /* the thread still sees stop at its next wake-up */
        }
        pthread_join(px->thread, NULL);
    }
    for (pconn *c = px->conns, *n; c; c = n) {
        n = c->next;
        conn_free(c);
    }
    if (px->lfd >= 0)
        close(px->lfd);
    for (int i = 0; i < 2; i++)
        if (px->wake[i] >= 0)
            close(px->wake[i]);
    free(px);
}
