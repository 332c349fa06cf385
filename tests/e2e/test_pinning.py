"""An invitation admits one peer. Alice connects and leaves; Bob types two lines while she is away;
Mallory, who holds the same invitation but another identity, is refused (a `rejected other-peer`
event naming her, exit 4 on her side, nothing shown to her or from her); Alice comes back from a
new `kchat connect` process and receives Bob's two lines once each, without a gap. A plain
`listen` then refuses to replace the invitation in use and names the pinned peer; `listen --new`
makes a new one."""
import collections
import os

import harness
from harness import check

AWAY = ["typed while alice was away 1", "typed while alice was away 2"]


def identity_of(chat, name):
    return harness.kchat_id(os.path.join(chat.dir, name, "config", "kchat", "identity"))


def test_one_peer_per_invitation():
    with harness.Chat() as chat:
        bob = chat.bob("--echo")
        inv = bob.wait_event("invitation")["invitation"]
        alice = chat.alice(inv, "--timeout", "60", stdin_lines=["first visit"])
        check(alice.wait_exit(90) == 0, f"alice exited non-zero: {alice.stderr[-3:]}")
        bob.wait_event("peer-left", 20)
        alice_id = identity_of(chat, "alice")
        check(bob.of("established")[0]["peer"] == alice_id, "bob did not meet alice first")

        bob.send(AWAY)
        mallory = chat.alice(inv, "--handshake-timeout", "6", "--timeout", "30", name="mallory",
                             stdin_lines=["mallory was here"])
        check(mallory.wait_exit(40) == 4, f"mallory was not refused: {mallory.stderr[-3:]}")
        mallory_id = identity_of(chat, "mallory")
        refusal = bob.wait_event("rejected", 10, reason="other-peer")
        check(refusal.get("peer") == mallory_id, f"refusal names {refusal.get('peer')}")
        check(not mallory.of("message") and not mallory.of("echo"),
              f"mallory received something: {mallory.events}")
        check("mallory was here" not in bob.texts(), "bob showed mallory's line")
        check(len(bob.of("established")) == 1, "bob established a channel with mallory")

        back = chat.alice(inv, "--timeout", "60", stdin_lines=["second visit"])
        check(back.wait_exit(90) == 0, f"alice (new process) exited non-zero: {back.stderr[-3:]}")
        got = collections.Counter(back.texts())
        check(all(got[t] == 1 for t in AWAY), f"alice got {dict(got)}, want each of {AWAY} once")
        check(not back.of("gap"), f"alice reported gaps: {back.of('gap')}")
        check(back.texts("echo") == ["second visit"], f"echoes: {back.texts('echo')}")
        check(bob.texts().count("second visit") == 1, "bob did not show alice's line once")
        bob.wait_event("peer-left", 20)
        check(bob.stop() == 0, "bob did not exit 0 on SIGTERM")

        again = chat.bob(name="bob")
        check(again.wait_exit(30) != 0, "a plain listen replaced an invitation in use")
        check(any(alice_id in line and "--new" in line for line in again.stderr),
              f"the refusal does not name the peer and --new: {again.stderr}")
        fresh = chat.bob("--new", name="bob")
        new_inv = fresh.wait_event("invitation")["invitation"]
        check(new_inv != inv, "--new kept the old invitation")
        check(fresh.stop() == 0, "bob --new did not exit 0 on SIGTERM")


if __name__ == "__main__":
    harness.run([test_one_peer_per_invitation])
