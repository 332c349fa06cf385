#!/usr/bin/env python3
"""The delay proxy of kchat-bench alone (no broker): `kchat-bench --proxy-only` in front of a TCP
echo server. Checks that bytes come back intact and in order over several connections at once,
and that each round trip takes at least 2 x the one-way delay (the first one of a connection,
with the emulated TCP handshake, at least 4 x). Prints the measured round trips; asserts no upper
bound (the machine may be loaded).

usage: delay_proxy_test.py KCHAT_BENCH [--delay-ms MS] [--connections N] [--trips N]"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time


def echo_server():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def serve(conn):
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    def accept():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return srv


PATTERN = bytes(k % 251 for k in range(300000 + 251))


def recv_exactly(s, n):
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise RuntimeError("connection closed early")
        out += chunk
    return bytes(out)


def client(addr, idx, trips, results, errors):
    try:
        host, port = addr.rsplit(":", 1)
        t0 = time.monotonic()
        s = socket.create_connection((host, int(port)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rtts = []
        for t in range(trips):
            size = 1 if t % 3 == 0 else (100 if t % 3 == 1 else 300000)
            msg = PATTERN[(idx * 7 + t) % 251:][:size]
            start = time.monotonic() if t else t0
            s.sendall(msg)
            if recv_exactly(s, size) != msg:
                raise RuntimeError(f"connection {idx}: bytes changed or reordered")
            rtts.append((size, (time.monotonic() - start) * 1000))
        s.close()
        results[idx] = rtts
    except Exception as e:  # reported by the main thread
        errors.append(f"connection {idx}: {e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench")
    ap.add_argument("--delay-ms", type=int, default=20)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--trips", type=int, default=6)
    a = ap.parse_args()
    srv = echo_server()
    up = "127.0.0.1:%d" % srv.getsockname()[1]
    px = subprocess.Popen([a.bench, "--proxy-only", up, "--delay-ms", str(a.delay_ms)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        addr = px.stdout.readline().strip()
        if not addr:
            print("FAIL: the proxy did not start", file=sys.stderr)
            return 1
        results, errors = {}, []
        threads = [threading.Thread(target=client, args=(addr, i, a.trips, results, errors))
                   for i in range(a.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        if errors or len(results) != a.connections:
            print("FAIL: " + "; ".join(errors or ["a connection hung"]), file=sys.stderr)
            return 1
        first = [r[0][1] for r in results.values()]
        rest = [x for r in results.values() for (size, x) in r[1:] if size <= 100]
        big = [x for r in results.values() for (size, x) in r[1:] if size > 100]
        d = a.delay_ms
        print(f"delay {d} ms one way, {a.connections} connections x {a.trips} round trips")
        print(f"first round trip (connect + echo): min {min(first):.2f} median "
              f"{statistics.median(first):.2f} ms (netem-like floor {4 * d} ms)")
        print(f"later round trips: min {min(rest):.2f} median {statistics.median(rest):.2f} "
              f"max {max(rest):.2f} ms (1 or 100 bytes; floor {2 * d} ms)")
        print(f"300 kB round trips: min {min(big):.2f} median {statistics.median(big):.2f} ms")
        if min(rest + big) < 2 * d or min(first) < 4 * d:
            print("FAIL: a round trip shorter than the delay", file=sys.stderr)
            return 1
        return 0
    finally:
        px.stdin.close()
        px.wait(30)
        srv.close()


if __name__ == "__main__":
    sys.exit(main())
