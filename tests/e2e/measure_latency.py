"""Latency on a broker (not a CTest test): with Bob running `kchat listen --echo`,
  - handshake: the `established` ms Alice reports, median (and min/max) of CONNECTS connects,
    each a new `kchat connect` process;
  - echo round trip: one Alice sends ROUNDS single messages one at a time (feed a line, wait for its
    echo, then the next); p50/p99 of the echo events' rtt_ms (Alice's clock: first transmission
    of the message to its echo arriving).

    KCHAT_BIN=build/kchat KCHAT_TEST_BROKERS=127.0.0.1:9092 python3 tests/e2e/measure_latency.py \\
        [--connects 20] [--rounds 1000]
"""
import argparse
import statistics
import time

import harness
from harness import check


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def handshakes(chat, inv, n):
    times = []
    for i in range(n):
        alice = chat.alice(inv["invitation"], "--timeout", "30", name=f"hs{i}", stdin_lines=[])
        check(alice.wait_exit(40) == 0, f"connect {i} failed: {alice.stderr[-3:]}")
        est = alice.of("established")
        check(len(est) == 1, f"connect {i}: {len(est)} established events")
        times.append(est[0]["ms"])
    return times


def round_trips(chat, inv, n):
    alice = chat.alice(inv["invitation"], "--timeout", str(60 + n))
    alice.wait_event("established", 30)
    rtts = []
    t0 = time.monotonic()
    for i in range(1, n + 1):
        alice.send([f"ping {i}"])
        e = alice.wait_event("echo", 30, seq=i)
        check(e["text"] == f"ping {i}", f"echo {i} text {e['text']}")
        rtts.append(e["rtt_ms"])
    wall = time.monotonic() - t0
    alice.close_stdin()
    check(alice.wait_exit(60) == 0, f"alice failed: {alice.stderr[-3:]}")
    return rtts, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connects", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1000)
    args = ap.parse_args()
    with harness.Chat() as chat:
        bob = chat.bob("--echo")
        inv = bob.wait_event("invitation")
        hs = handshakes(chat, inv, args.connects)
        print(f"handshake (established at alice, {len(hs)} connects): "
              f"median {statistics.median(hs):.1f} ms, min {min(hs):.1f} ms, "
              f"max {max(hs):.1f} ms")
        rtts, wall = round_trips(chat, inv, args.rounds)
        print(f"echo round trip ({len(rtts)} messages one at a time, {wall:.1f} s): "
              f"p50 {percentile(rtts, 50):.2f} ms, p99 {percentile(rtts, 99):.2f} ms, "
              f"mean {statistics.mean(rtts):.2f} ms, max {max(rtts):.2f} ms")
        bob.stop()


if __name__ == "__main__":
    main()
