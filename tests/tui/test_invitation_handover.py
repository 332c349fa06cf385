"""Handing the invitation over (issue 12, part 3), against the real broker:
- `kchat listen --invitation-file FILE` writes it to FILE (mode 0600) for Alice's
  `kchat connect --invitation-file FILE`, and they chat; a FILE that others may read is refused
  (it holds the secret), with the fix (chmod 600) and without showing the secret;
- `kchat connect` without an invitation, on a terminal (tmux), asks for it, says why a wrong paste
  is wrong without echoing it, and goes on with the right one."""
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402
from harness import check  # noqa: E402
from tmux_driver import TmuxSession  # noqa: E402

KCHAT = harness.KCHAT


def test_invitation_file():
    with harness.Chat() as chat:
        path = chat.path("invitation")
        bob = chat.bob("--echo", "--invitation-file", path)
        inv = bob.wait_event("invitation")["invitation"]
        mode = stat.S_IMODE(os.stat(path).st_mode)
        check(mode == 0o600, f"invitation file mode {oct(mode)}, want 0600")
        with open(path) as f:
            check(f.read() == inv + "\n", "the invitation file does not hold the invitation")
        alice = chat.alice(None, "--invitation-file", path, "--timeout", "60",
                           stdin_lines=["hello through the file"])
        check(alice.wait_exit(90) == 0, f"alice failed: {alice.stderr[-3:]}")
        check([e["text"] for e in alice.of("echo")] == ["hello through the file"], "no echo")
        os.chmod(path, 0o644)
        out = subprocess.run([KCHAT, "connect", "--batch", "-b", chat.brokers,
                              "--invitation-file", path], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
        check(out.returncode == 2, f"a readable invitation file: exit {out.returncode}")
        check("chmod 600" in out.stderr, f"no chmod hint: {out.stderr}")
        check(inv.split(":")[4] not in out.stderr, "the secret is in the error")
        check(bob.stop() == 0, "bob did not exit 0")


def test_connect_asks_for_the_invitation():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-ask-") as tmp:
        env = {name: {"XDG_CONFIG_HOME": f"{tmp}/{name}/config",
                      "XDG_STATE_HOME": f"{tmp}/{name}/state"} for name in ("bob", "alice")}
        t = TmuxSession("ask")
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers} --invitation-file {tmp}/inv",
                     env["bob"], width=260)
            t.wait("bob", r"waiting for peer")
            with open(f"{tmp}/inv") as f:
                inv = f.read().strip()
            t.window("alice", f"{KCHAT} connect -b {brokers}", env["alice"])
            t.wait("alice", r"Paste the invitation")
            t.wait("alice", r"(?m)^invitation:")
            t.type("alice", "kchat1:not-an-invitation-sekrit")
            t.wait("alice", r"not a valid invitation")
            check("sekrit" not in t.screen("alice"), "the pasted text was echoed")
            t.type("alice", f"  '{inv}'  ")  # as pasted with the quotes of a shell line
            t.wait("alice", r"Alice │ secure")
            t.wait("bob", r"Bob │ secure")
            t.type("alice", "/quit")
            t.wait("alice", r"EXIT=0")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


if __name__ == "__main__":
    harness.run([test_invitation_file, test_connect_asks_for_the_invitation])
