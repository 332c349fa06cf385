"""Alice and Bob as two processes in batch mode through the real broker: handshake, 100 messages
echoed in order, each exactly once; the invitation binds trust; plaintext never reaches Kafka."""
import harness
from harness import check


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


if __name__ == "__main__":
    harness.run([test_hundred_echoed_in_order])
