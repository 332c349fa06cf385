"""Kafka unreachable at start: `kchat connect` and `kchat listen` against 127.0.0.1:1 (nothing
listens there) give up within a bounded time with exit status 1 and one clear error line on
stderr naming the broker; an invitation naming topics that do not exist fails fast on the real broker."""
import os
import threading
import time

import harness
from harness import check

BOUND_S = 20  # the session gives up after ~10 s (connect) and ~15 s (listen: topic creation)
NOWHERE = "127.0.0.1:1"


def timed_failure(chat, name, args, results):
    try:
        t0 = time.monotonic()
        peer = harness.Peer(name, args, chat.dir, stdin_lines=[])
        chat.add(peer)
        code = peer.wait_exit(BOUND_S + 15)
        took = time.monotonic() - t0
        results[name] = (code, took, list(peer.stderr), peer)
    except Exception as e:  # noqa: BLE001 - reported by the caller
        results[name] = e


def check_unreachable(name, result):
    check(not isinstance(result, Exception), f"{name}: {result}")
    code, took, stderr, peer = result
    check(code == 1, f"{name}: exit {code}, want 1: {stderr}")
    check(took <= BOUND_S, f"{name}: took {took:.1f} s (bound {BOUND_S} s)")
    check(len(stderr) == 1 and stderr[0].startswith("kchat: "),
          f"{name}: stderr is not one error line: {stderr}")
    check(any(NOWHERE in line for line in stderr), f"{name}: the broker is not named: {stderr}")
    check(not peer.of("established") and not peer.of("invitation"),
          f"{name}: went on as if connected")
    print(f"{name}: exit 1 after {took:.1f} s: {' | '.join(stderr)}")


def test_unreachable_broker():
    with harness.Chat() as chat:
        bob_id = harness.kchat_id(chat.path("bob.identity"))
        inv = harness.make_invitation("kchat-down-a2b", "kchat-down-b2a", bob_id, os.urandom(32))
        runs = {
            "connect": ["connect", "-b", NOWHERE, inv, "--timeout", "120"],
            "listen": ["listen", "-b", NOWHERE, "--state", chat.path("bob.state"),
                       "--identity", chat.path("bob.identity")],
        }
        results = {}
        threads = [threading.Thread(target=timed_failure, args=(chat, n, a, results))
                   for n, a in runs.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(BOUND_S + 30)
        for name in runs:
            check(name in results, f"{name}: no result")
            check_unreachable(name, results[name])


def test_missing_topics():
    with harness.Chat() as chat:
        bob_id = harness.kchat_id(chat.path("bob.identity"))
        tag = os.urandom(4).hex()
        inv = harness.make_invitation(f"kchat-gone{tag}-a2b", f"kchat-gone{tag}-b2a", bob_id,
                                      os.urandom(32))
        t0 = time.monotonic()
        alice = chat.alice(inv, "--timeout", "60", stdin_lines=["hello"])
        code = alice.wait_exit(BOUND_S + 15)
        took = time.monotonic() - t0
        check(code == 1, f"exit {code}, want 1: {alice.stderr}")
        check(took <= BOUND_S, f"took {took:.1f} s")
        check(any(f"kchat-gone{tag}-b2a" in line for line in alice.stderr),
              f"the missing topic is not named: {alice.stderr}")
        print(f"missing topics: exit 1 after {took:.1f} s: {' | '.join(alice.stderr)}")


if __name__ == "__main__":
    harness.run([test_unreachable_broker, test_missing_topics])
