#!/usr/bin/env python3
"""leaders.py HOST:PORT[,...] [--internal]: prints each partition's leader and in-sync replicas,
one line per partition ("topic partition leader=N isr=[..] replicas=[..]"), from a Metadata v4
request (plain sockets: no Kafka client needed). Internal topics are skipped unless --internal is
given (the leader of __consumer_offsets 0 is every group's coordinator on a kafka-local cluster,
which has one offsets partition). Exit 1 if no broker answers."""
import socket
import struct
import sys


def request(host, port):
    client = b"kchat-status"
    # api key 3 (Metadata), version 4, correlation id 1, client id; topics: null (all);
    # allow_auto_topic_creation: false
    body = struct.pack(">hhih", 3, 4, 1, len(client)) + client + struct.pack(">ib", -1, 0)
    with socket.create_connection((host, port), timeout=3) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", recv(s, 4))[0]
        return recv(s, size)


def recv(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf


class Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.buf[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def ints(self):
        return [self.take(">i") for _ in range(self.take(">i"))]


def parse(buf):
    r = Reader(buf)
    r.take(">i")  # correlation id
    r.take(">i")  # throttle time
    brokers = {}
    for _ in range(r.take(">i")):
        node, host, port = r.take(">i"), r.string(), r.take(">i")
        r.string()  # rack
        brokers[node] = f"{host}:{port}"
    r.string()  # cluster id
    controller = r.take(">i")
    topics = []
    for _ in range(r.take(">i")):
        err, name, internal = r.take(">h"), r.string(), r.take(">b")
        parts = []
        for _ in range(r.take(">i")):
            perr, idx, leader = r.take(">h"), r.take(">i"), r.take(">i")
            replicas, isr = r.ints(), r.ints()
            parts.append((idx, leader, isr, replicas, perr))
        topics.append((name, internal, err, parts))
    return brokers, controller, topics


def main():
    internal_too = "--internal" in sys.argv[2:]
    for addr in sys.argv[1].split(","):
        host, port = addr.rsplit(":", 1)
        try:
            brokers, controller, topics = parse(request(host, int(port)))
        except (OSError, struct.error):
            continue
        print("brokers in metadata: " + " ".join(f"{n}={a}" for n, a in sorted(brokers.items())))
        for name, internal, err, parts in sorted(topics):
            if (internal or name.startswith("__")) and not internal_too:
                continue
            for idx, leader, isr, replicas, perr in sorted(parts):
                print(f"{name} {idx} leader={leader} isr={isr} replicas={replicas}"
                      + (f" error={perr}" if perr else ""))
        return 0
    print("no broker answered", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
