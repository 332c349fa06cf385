"""A hostile intermediary: Bob listens on broker 2, Alice talks to broker 1, and kafka_relay copies
between them while flipping a bit, replaying, injecting garbage, truncating, re-labelling and
withholding Alice's data frames. Bob must refuse each forgery for the right reason, report the
withheld message as a gap until retransmission fills it, show each of the 30 messages once and
nothing Alice did not send; Alice must end with all 30 delivered and echoed."""
import collections

import harness
from harness import check

FAULTS = ["--flip", "5", "--replay", "8", "--garbage-after", "10", "--truncate", "12",
          "--foreign", "14", "--drop", "16"]
N = 30
LINE_LEN = 129000  # two such lines exceed CHANNEL_MAX_BODY (258,010) with their entry headers


def covers(gaps, seq):
    return any(g["from"] <= seq <= g["to"] for g in gaps)


def test_hostile_relay():
    b1, b2 = harness.brokers(), harness.brokers2()
    with harness.Chat() as chat:
        bob = chat.bob("--echo", brokers=b2)
        inv = bob.wait_event("invitation")
        relay = chat.add(harness.Relay(b1, b2, inv["a2b"], inv["b2a"], FAULTS))
        relay.wait_ready()
        # Each line too long to share a record with another (two would not fit one batch
        # record), so frame N of Alice's data frames is message N, as the plan assumes.
        lines = [f"hostile test line {i:02d} ".ljust(LINE_LEN, ".") for i in range(1, N + 1)]
        alice = chat.alice(inv["invitation"], "--timeout", "60", brokers=b1, stdin_lines=lines)
        code = alice.wait_exit(90)
        check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")

        # Alice: everything delivered and echoed, once each, nothing refused on her side.
        check(sorted(e["seq"] for e in alice.of("delivered")) == list(range(1, N + 1)),
              "alice: not every message delivered exactly once")
        echoes = alice.of("echo")
        check(sorted(e["seq"] for e in echoes) == list(range(1, N + 1)),
              f"alice: echo seqs {[e['seq'] for e in echoes]}")
        check(all(e["text"] == lines[e["seq"] - 1] for e in echoes), "alice: echo text differs")
        check(not alice.of("rejected"), f"alice rejected: {alice.of('rejected')}")

        bob.wait_event("peer-left", 20)
        check(bob.stop() == 0, "bob did not exit 0 on SIGTERM")
        relay.stop()

        actions = [line.split()[0] for line in relay.lines if line.split()[0] in
                   ("flip", "replay", "garbage", "truncate", "foreign", "drop")]
        check(actions == ["flip", "replay", "garbage", "truncate", "foreign", "drop"],
              f"relay did not apply the plan: {relay.lines}")

        # Bob: each of the 30 shown exactly once, and nothing that Alice did not send.
        msgs = bob.of("message")
        seqs = collections.Counter(m["seq"] for m in msgs)
        check(sorted(seqs) == list(range(1, N + 1)) and max(seqs.values()) == 1,
              f"bob message seqs: {sorted(seqs.elements())}")
        check(all(m["text"] == lines[m["seq"] - 1] for m in msgs), "bob showed a forged text")

        # Bob refused each forgery for its reason.
        reasons = collections.Counter(e["reason"] for e in bob.of("rejected"))
        want = collections.Counter(["tampered", "replayed", "malformed", "unknown-session"])
        check(not want - reasons, f"bob's rejections {dict(reasons)} lack {dict(want - reasons)}")
        truncated = reasons - want
        check(sum(truncated.values()) == 1 and set(truncated) <= {"tampered", "malformed"},
              f"truncated frame: expected one more tampered or malformed, got {dict(reasons)}")
        gaps = bob.of("gap")
        check(covers(gaps, 16), f"no gap reported for the withheld message 16: {gaps}")
        check(covers(gaps, 5), f"no gap reported for message 5 (only a flipped copy): {gaps}")
        check(not any(covers(gaps, s) for s in range(17, N + 1)), f"spurious gaps: {gaps}")
        order = bob.events
        gap16 = next(i for i, e in enumerate(order) if e["event"] == "gap" and covers([e], 16))
        msg16 = next(i for i, e in enumerate(order) if e["event"] == "message" and e["seq"] == 16)
        check(gap16 < msg16, "message 16 shown before its gap was reported: was it withheld?")
        detected = sum(reasons.values()) + (1 if covers(gaps, 16) else 0)
        print(f"faults injected: {len(actions)}, detected: {detected} "
              f"(rejected {dict(reasons)}, gaps {[(g['from'], g['to']) for g in gaps]})")


if __name__ == "__main__":
    harness.run([test_hostile_relay])
