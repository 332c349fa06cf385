"""A secured Kafka (scripts/kafka-local start --secure: SASL_SSL, SCRAM-SHA-512, ACLs): Bob and
Alice chat with the least privileges their ACLs give; a client without ACLs, Alice trying to
create topics and a wrong password each end with one line saying what Kafka said, a non-zero exit
and no crash, within seconds. KCHAT_SECURE_DIR: the kafka-local directory (users, CA, args)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import check  # noqa: E402

SECURE_DIR = os.environ["KCHAT_SECURE_DIR"]
with open(os.path.join(SECURE_DIR, "bootstrap")) as f:
    os.environ["KCHAT_TEST_BROKERS"] = f.readline().strip()


def client_args(user, password=None):
    with open(os.path.join(SECURE_DIR, f"client-{user}.args")) as f:
        args = f.read().split("\n")[:-1]
    if password is not None:
        args = [f"sasl.password={password}" if a.startswith("sasl.password=") else a
                for a in args]
    return args


def test_chat_with_least_privilege():
    with harness.Chat() as chat:
        bob = chat.bob("--echo", *client_args("bob"))
        inv = bob.wait_event("invitation")
        lines = [f"secure line {i}" for i in range(1, 21)]
        alice = chat.alice(inv["invitation"], "--timeout", "60", *client_args("alice"),
                           stdin_lines=lines)
        code = alice.wait_exit(90)
        check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")
        check([e["text"] for e in alice.of("echo")] == lines, "echoes differ")
        check([m["text"] for m in bob.of("message")] == lines, "bob's messages differ")
        check(bob.stop() == 0, "bob did not exit 0 on SIGTERM")


def refused(who, args, want):
    """A listen that must fail: one line on stderr containing want, non-zero exit, fast."""
    with harness.Chat() as chat:
        t0 = time.monotonic()
        p = chat.bob(*args, name=who)
        code = p.wait_exit(30)
        took = time.monotonic() - t0
        lines = [line for line in p.stderr if line.strip()]
        print(f"{who}: exit {code} after {took:.1f} s: {lines}")
        check(code not in (0, None) and code > 0, f"{who}: exit {code} (crash or success)")
        check(len(lines) == 1 and want in lines[0], f"{who}: stderr {lines}")
        check(took < 10, f"{who}: took {took:.1f} s")


def test_no_acl_is_not_authorized():
    refused("eve", client_args("eve"), "not authorized")


def test_alice_cannot_create_topics():
    refused("alice-listens", client_args("alice"), "not authorized")


def test_wrong_password_is_refused_login():
    refused("bob-wrong-password", client_args("bob", "not-the-password"),
            "Authentication failed")


if __name__ == "__main__":
    harness.run([test_chat_with_least_privilege, test_no_acl_is_not_authorized,
                 test_alice_cannot_create_topics, test_wrong_password_is_refused_login])
