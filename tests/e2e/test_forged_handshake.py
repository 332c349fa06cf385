"""A Kafka writer without the invitation secret cannot stop a handshake. Bob listens on broker 2,
Alice talks to broker 1, and kafka_relay copies between them while forging handshake records:
after Alice's message 1, 20 messages 1 of new sessions (random bytes); before Bob's message 2 and
before Alice's message 3, 20 copies with one bit flipped. The handshake completes at Alice's first
try, every line is delivered and echoed once, and each forgery is reported as rejected."""
import collections

import harness
from harness import check

N = 10
FORGE = "20"


def test_forged_handshake_records():
    b1, b2 = harness.brokers(), harness.brokers2()
    with harness.Chat() as chat:
        bob = chat.bob("--echo", brokers=b2)
        inv = bob.wait_event("invitation")
        relay = chat.add(harness.Relay(b1, b2, inv["a2b"], inv["b2a"],
                                       ["--forge-handshakes", FORGE]))
        relay.wait_ready()
        lines = [f"line through forgeries {i}" for i in range(1, N + 1)]
        alice = chat.alice(inv["invitation"], "--timeout", "60", brokers=b1, stdin_lines=lines)
        code = alice.wait_exit(90)
        check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")
        check(sorted(e["seq"] for e in alice.of("echo")) == list(range(1, N + 1)),
              f"alice: echoes {[e['seq'] for e in alice.of('echo')]}")
        sent1 = [e for e in alice.of("handshake") if e.get("step") == 1 and e.get("dir") == "out"]
        check(len(sent1) == 1, f"alice needed {len(sent1)} handshakes, want 1")
        bob.wait_event("peer-left", 20)
        relay.stop()
        check(any(line.startswith("forge hs1") for line in relay.lines) and
              any(line.startswith("forge hs2") for line in relay.lines) and
              any(line.startswith("forge hs3") for line in relay.lines),
              f"relay did not forge all three: {relay.lines}")
        msgs = collections.Counter(bob.texts())
        check(all(msgs[t] == 1 for t in lines) and len(msgs) == N, f"bob showed {dict(msgs)}")
        check(len(bob.of("established")) == 1, "bob established more than one channel")

        bob_reasons = collections.Counter(e["reason"] for e in bob.of("rejected"))
        alice_reasons = collections.Counter(e["reason"] for e in alice.of("rejected"))
        # Forged messages 1 fail the invitation's mac (20), forged messages 3 fail Noise (20).
        check(bob_reasons["unauthenticated"] == int(FORGE), f"bob: {dict(bob_reasons)}")
        check(bob_reasons["tampered"] == int(FORGE), f"bob: {dict(bob_reasons)}")
        check(alice_reasons["tampered"] == int(FORGE), f"alice: {dict(alice_reasons)}")
        check(bob.stop() == 0, "bob did not exit 0 on SIGTERM")


if __name__ == "__main__":
    harness.run([test_forged_handshake_records])
