"""Records deleted by retention while a side was away: Bob is SIGKILLed, Alice goes on typing,
then every record of both topics is deleted (kafka_relay expire: DeleteRecords up to the end, what
retention does when it catches up). Bob resumes past the deleted offsets; Alice's lines that he
never showed are still in her outbox (and journal), so she resends them in a new handshake: every
line is shown once and echoed once, and nothing waits for records that are gone."""
import collections
import subprocess
import time

import harness
from harness import check


def expire(brokers, topic):
    out = subprocess.run([harness.RELAY, "expire", "-b", brokers, "-t", topic],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"expire {topic}: {out.stderr}")
    print(out.stdout.strip())


def test_records_expired_while_bob_away():
    with harness.Chat() as chat:
        bob = chat.bob("--echo")
        inv = bob.wait_event("invitation")
        alice = chat.alice(inv["invitation"], "--timeout", "120")
        before = [f"before the expiry {i}" for i in range(1, 11)]
        alice.send(before)
        alice.wait_for(lambda e: len(alice.of("echo")) >= len(before), 60, "the first echoes")
        bob.kill()
        away = [f"while bob was away {i}" for i in range(1, 11)]
        alice.send(away)
        time.sleep(3)  # Alice's records are in Kafka
        expire(chat.brokers, inv["a2b"])
        expire(chat.brokers, inv["b2a"])
        t0 = time.monotonic()
        bob2 = chat.bob("--echo", "--resume", name="bob")
        alice.close_stdin()
        code = alice.wait_exit(120)
        took = time.monotonic() - t0
        check(code == 0, f"alice exited {code} {took:.0f} s after the resume: {alice.stderr[-3:]}")
        echoes = collections.Counter(e["text"] for e in alice.of("echo"))
        check(all(echoes[t] == 1 for t in before + away) and len(echoes) == 20,
              f"echoes: {dict(echoes)}")
        shown = collections.Counter(bob.texts() + bob2.texts())
        check(all(shown[t] == 1 for t in before + away) and len(shown) == 20,
              f"bob showed: {dict(shown)}")
        print(f"all 20 lines echoed once, {took:.1f} s after the resumed bob started")
        check(bob2.stop() == 0, "the resumed bob did not exit 0")


if __name__ == "__main__":
    harness.run([test_records_expired_while_bob_away])
