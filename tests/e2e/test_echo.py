"""Alice and Bob as two processes in batch mode through the real broker: handshake, 100 messages
echoed in order, each exactly once; messages of 200 KiB and of exactly 1 MiB travel in fragments
and come back intact; one byte more is refused with an error and never sent."""
import base64
import os

import harness
from harness import check

MAX_MESSAGE = 1024 * 1024


def random_text(n):
    """n printable bytes without newlines, different everywhere (a misplaced fragment shows)."""
    return base64.b64encode(os.urandom(n))[:n].decode()


def test_hundred_echoed_in_order():
    with harness.Chat() as chat:
        bob = chat.bob("--echo")
        inv = bob.wait_event("invitation")
        lines = [f"message {i} from alice" for i in range(1, 101)]
        alice = chat.alice(inv["invitation"], "--timeout", "60", stdin_lines=lines)
        code = alice.wait_exit(90)
        check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")
        est = alice.of("established")
        check(len(est) == 1 and est[0]["peer"] == inv["id"], f"established: {est}")
        check(est[0]["suite"] == "Noise_XXpsk3_25519_ChaChaPoly_SHA256", est[0]["suite"])
        steps = [(e["step"], e["dir"]) for e in alice.of("handshake")]
        check(steps == [(1, "out"), (2, "in"), (3, "out")], f"alice handshake: {steps}")
        confirmed = [e for e in alice.of("state") if e.get("detail") == "confirmed by the peer"]
        check(len(confirmed) == 1, f"alice: Bob's confirmation reported {len(confirmed)} times")
        est_at = alice.events.index(est[0])
        check(alice.events.index(confirmed[0]) > est_at, "confirmed before established")
        echoes = alice.of("echo")
        check([e["seq"] for e in echoes] == list(range(1, 101)), "echo seqs not 1..100 in order")
        check([e["text"] for e in echoes] == lines, "echo texts differ")
        check(sorted(e["seq"] for e in alice.of("delivered")) == list(range(1, 101)),
              "not every message delivered exactly once")
        msgs = bob.wait_for(lambda e: len(bob.of("message")) >= 100, 10, "100 messages") and \
            bob.of("message")
        check([m["text"] for m in msgs] == lines, "bob did not show each message once, in order")
        bsteps = [(e["step"], e["dir"]) for e in bob.of("handshake")]
        check(bsteps == [(1, "in"), (2, "out"), (3, "in")], f"bob handshake: {bsteps}")
        bob.wait_event("peer-left", 10)
        check(bob.stop() == 0, "bob did not exit 0 on SIGTERM")
        check(not bob.of("rejected") and not alice.of("rejected"), "unexpected rejections")


def test_large_messages():
    with harness.Chat() as chat:
        bob = chat.bob("--echo")
        inv = bob.wait_event("invitation")
        big = random_text(200 * 1024)
        full = random_text(MAX_MESSAGE)
        over = random_text(MAX_MESSAGE + 1)
        lines = ["before the big ones", big, full, over, "after the big ones"]
        sent = [lines[0], big, full, lines[4]]
        alice = chat.alice(inv["invitation"], "--timeout", "90", stdin_lines=lines)
        code = alice.wait_exit(120)
        check(code == 1, f"alice exited {code}, want 1 (a line not sent): {alice.stderr[-3:]}")
        check(any("1 line was over the" in line for line in alice.stderr), "no count at exit")
        errors = alice.of("error")
        check(len(errors) == 1 and f"{MAX_MESSAGE + 1} bytes" in errors[0]["message"]
              and "not sent" in errors[0]["message"], f"no clear refusal of the long line: {errors}")
        check(any("not sent" in line for line in alice.stderr), "refusal not on stderr")
        check(sorted(e["seq"] for e in alice.of("sent")) == [1, 2, 3, 4],
              f"sent seqs: {[e['seq'] for e in alice.of('sent')]}")
        echoes = alice.of("echo")
        check([e["seq"] for e in echoes] == [1, 2, 3, 4], f"echo seqs {[e['seq'] for e in echoes]}")
        for e, want in zip(echoes, sent):
            check(e["text"] == want, f"echo {e['seq']} differs ({len(e['text'])} bytes, "
                                     f"want {len(want)})")
        bob.wait_for(lambda e: len(bob.of("message")) >= 4, 20, "4 messages")
        bob.wait_event("peer-left", 20)
        check(bob.stop() == 0, "bob did not exit 0 on SIGTERM")
        got = bob.texts()
        check(len(got) == 4, f"bob showed {len(got)} messages: {[len(t) for t in got]}")
        for i, (g, want) in enumerate(zip(got, sent)):
            check(g == want, f"bob message {i + 1}: {len(g)} bytes, want {len(want)}")
        check(not any(over[:1000] in (t or "") for t in got), "part of the refused line shown")
        check(not bob.of("error") and not bob.of("rejected"), f"bob errors: {bob.of('error')}")


def test_overlong_line_without_holding_it():
    """A 6 MiB line is refused with one error and dropped as it streams in (batch mode never
    holds it whole); the lines around it go through."""
    with harness.Chat() as chat:
        bob = chat.bob("--echo")
        inv = bob.wait_event("invitation")
        alice = chat.alice(inv["invitation"], "--timeout", "60")
        alice.send(["before"])
        chunk = "y" * (1024 * 1024)
        for _ in range(6):
            alice.proc.stdin.write(chunk.encode())
        alice.send(["", "after"])
        alice.wait_event("echo", 30, text="after")
        with open(f"/proc/{alice.proc.pid}/status") as f:
            peak = next(int(row.split()[1]) for row in f if row.startswith("VmHWM:"))
        harness.check_rss(peak, 16 * 1024, "alice's peak RSS (the long line held whole?)")
        alice.close_stdin()
        code = alice.wait_exit(90)
        check(code == 1, f"alice exited {code}, want 1 (a line not sent): {alice.stderr[-3:]}")
        errors = alice.of("error")
        check(len(errors) == 1 and "not sent" in errors[0]["message"], f"errors: {errors}")
        check([e["text"] for e in alice.of("echo")] == ["before", "after"],
              f"echoes: {[len(e['text']) for e in alice.of('echo')]}")


def test_topic_prefix():
    """listen --topic-prefix names the topics (and Bob's group) under the operator's prefix."""
    with harness.Chat() as chat:
        bob = chat.bob("--echo", "--topic-prefix", "team1.bob.")
        inv = bob.wait_event("invitation")
        check(inv["a2b"].startswith("team1.bob.") and inv["a2b"].endswith("-a2b") and
              inv["b2a"].startswith("team1.bob."), f"topics {inv['a2b']} {inv['b2a']}")
        alice = chat.alice(inv["invitation"], "--timeout", "60", stdin_lines=["prefixed"])
        check(alice.wait_exit(90) == 0, f"alice: {alice.stderr[-3:]}")
        check(alice.texts("echo") == ["prefixed"], f"echoes: {alice.texts('echo')}")
        check(bob.stop() == 0, "bob did not exit 0")


def test_brokers_from_the_invitation():
    """Alice names no brokers (no -b, no KCHAT_BROKERS): the invitation's, Bob's, serve."""
    with harness.Chat() as chat:
        bob = chat.bob("--echo")
        inv = bob.wait_event("invitation")["invitation"]
        check(len(inv.split(":")) == 7, f"the invitation carries no brokers: {inv}")
        alice = chat.add(harness.Peer("alice", ["connect", inv, "--timeout", "60"], chat.dir,
                                      stdin_lines=["found you"], env={"KCHAT_BROKERS": ""}))
        code = alice.wait_exit(90)
        check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")
        check(alice.texts("echo") == ["found you"], f"echoes: {alice.texts('echo')}")
        check(bob.stop() == 0, "bob did not exit 0")


if __name__ == "__main__":
    harness.run([test_hundred_echoed_in_order, test_large_messages, test_brokers_from_the_invitation, test_topic_prefix,
                 test_overlong_line_without_holding_it])
