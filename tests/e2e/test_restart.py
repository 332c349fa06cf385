"""Bob restarted mid-chat with the same identity and state: first killed (SIGKILL), then stopped
cleanly (SIGTERM), each time brought back with `kchat listen --resume`. Alice keeps sending a
line every 50 ms, handshakes again by herself, and in the end every message is delivered and
echoed, and across Bob's three runs each message is shown exactly once."""
import collections
import time

import harness
from harness import check

N = 240


def bob_args(chat, resume):
    args = ["--echo", "--state", chat.path("bob.state"), "--identity", chat.path("bob.identity")]
    return args + (["--resume"] if resume else [])


def max_seq(peer):
    return max((e["seq"] for e in peer.of("message")), default=0)


def wait_until(pred, timeout, what, *peers):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            for p in peers:
                p.dump()
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.05)


def test_kill_and_clean_restart():
    with harness.Chat() as chat:
        bob1 = chat.bob(*bob_args(chat, False), name="bob1")
        inv = bob1.wait_event("invitation")
        lines = [f"restart line {i:03d}" for i in range(1, N + 1)]
        alice = chat.alice(inv["invitation"], "--timeout", "90")
        feeder = alice.send_slowly(lines, 0.05)

        wait_until(lambda: max_seq(bob1) >= 30, 30, "30 messages at bob1", bob1, alice)
        bob1.kill()  # SIGKILL: no close frame, offsets and state as they were
        time.sleep(0.5)
        bob2 = chat.bob(*bob_args(chat, True), name="bob2")
        e2 = bob2.wait_event("invitation")
        check(e2["invitation"] == inv["invitation"], "--resume printed another invitation")

        wait_until(lambda: len(alice.of("established")) >= 2, 30, "re-handshake", bob2, alice)
        wait_until(lambda: max_seq(bob2) >= max_seq(bob1) + 20, 30, "messages at bob2", bob2)
        check(bob2.stop() == 0, f"bob2 did not exit 0 on SIGTERM: {bob2.stderr[-3:]}")
        bob3 = chat.bob(*bob_args(chat, True), name="bob3")
        bob3.wait_event("invitation")

        feeder.join(60)
        code = alice.wait_exit(90)
        check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")
        bob3.wait_event("peer-left", 20)
        check(bob3.stop() == 0, "bob3 did not exit 0")

        check(len(alice.of("established")) >= 3, "alice did not handshake again after the "
              f"clean restart: {len(alice.of('established'))} established")
        check(any(e["event"] == "peer-left" for e in alice.events),
              "alice saw no peer-left from the clean stop")
        check(sorted(e["seq"] for e in alice.of("delivered")) == list(range(1, N + 1)),
              "alice: not every message delivered exactly once")
        echoes = alice.of("echo")
        check(sorted(e["seq"] for e in echoes) == list(range(1, N + 1)),
              f"alice: echoes missing or twice: {len(echoes)} echoes")
        check(all(e["text"] == lines[e["seq"] - 1] for e in echoes), "echo text differs")

        shown = [m for b in (bob1, bob2, bob3) for m in b.of("message")]
        count = collections.Counter(m["seq"] for m in shown)
        missing = [s for s in range(1, N + 1) if s not in count]
        twice = [s for s, c in count.items() if c > 1]
        check(not missing and not twice and len(count) == N,
              f"across bob's runs: missing {missing}, shown twice {twice}")
        check(all(m["text"] == lines[m["seq"] - 1] for m in shown), "bob showed a wrong text")
        # After SIGKILL, Alice goes on sending in the old session until she notices; bob1 saved
        # that session's id in the listen state, so bob2 skips those frames as his own stale
        # ones. Nothing may be refused by any Bob.
        for b in (bob1, bob2, bob3):
            check(not b.of("rejected"), f"{b.name} rejected: {b.of('rejected')}")
        print(f"bob1 showed {len(bob1.of('message'))}, bob2 {len(bob2.of('message'))}, "
              f"bob3 {len(bob3.of('message'))}; alice established {len(alice.of('established'))}"
              " times")


if __name__ == "__main__":
    harness.run([test_kill_and_clean_restart])
