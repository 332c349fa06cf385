"""The terminal UI in a real terminal (tmux) against the real broker: Bob with --echo and Alice in
two tmux windows; the invitation is read off Bob's screen; Alice types; the screens must show the
secure state with the peer identifier, the handshake steps, the message and its echo, survive a
resize, warn about a tampered record, and /quit must exit cleanly."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402
from harness import check  # noqa: E402
from tmux_driver import TmuxSession  # noqa: E402

KCHAT = harness.KCHAT
TAMPER = os.environ.get("KCHAT_TAMPER_BIN")


def short(identifier):
    return "-".join(identifier[i:i + 4] for i in range(0, 12, 4))


def test_chat_in_tmux():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-") as tmp:
        env = {name: {"XDG_CONFIG_HOME": f"{tmp}/{name}/config",
                      "XDG_STATE_HOME": f"{tmp}/{name}/state"} for name in ("bob", "alice")}
        ids = {}
        for name in env:
            out = subprocess.run([KCHAT, "id"], env={**os.environ, **env[name]},
                                 capture_output=True, text=True, check=True)
            ids[name] = out.stdout.strip()
        t = TmuxSession("tui")
        try:
            # wide enough that the invitation fits on one line of the conversation pane
            t.window("bob", f"{KCHAT} listen -b {brokers} --echo", env["bob"], width=260)
            inv = t.wait("bob", r"kchat1:[A-Za-z0-9._:-]+", joined=True).group(0)
            t.wait("bob", r"waiting for peer")
            t.window("alice", f"{KCHAT} connect -b {brokers} '{inv}'", env["alice"])
            # status bar: secure, with the peer's short identifier
            t.wait("alice", r"Alice │ secure │.*peer " + short(ids["bob"]))
            screen = t.screen("alice")
            for step in ("1/3 sent", "2/3 received", "3/3 sent"):
                check(step in screen, f"handshake step '{step}' not in the channel pane")
            check("Noise_XXpsk3_25519_ChaChaP" in screen, "suite not shown")
            t.wait("bob", r"Bob │ secure │.*peer " + short(ids["alice"]))
            t.type("alice", "hello from the tmux test ✓")
            t.wait("alice", r"› you +hello from the tmux test ✓")
            t.wait("alice", r"↳ echoed back in \d+ ms")
            t.wait("alice", r"sent 1 dlvd 1 echo 1")
            t.wait("bob", r"‹ \S+ +hello from the tmux test ✓")
            print("Alice's screen after the echo:\n" + t.screen("alice"), flush=True)
            t.resize("alice", 80, 24)
            t.wait("alice", r"── channel")  # narrow: the channel pane moves below
            screen = t.screen("alice")
            check("hello from the tmux test" in screen, "message lost from the screen on resize")
            check(screen.rstrip().splitlines()[-1].startswith("›"), "input line not last on resize")
            t.resize("alice", 160, 40)
            t.wait("alice", r"Alice │ secure")
            # a tampered copy of a real record from Bob shows as a warning, never as a message
            check(TAMPER, "KCHAT_TAMPER_BIN (tests/e2e/kafka_relay) is not set")
            b2a = t.wait("bob", r"kchat-[0-9a-f]+-b2a", joined=True).group(0)
            subprocess.run([TAMPER, "flip", "-b", brokers, "-t", b2a], check=True,
                           capture_output=True)
            t.wait("alice", r"⚠ rejected a record at offset \d+")
            t.wait("alice", r"rej 1")
            t.type("alice", "/quit")
            t.wait("alice", r"EXIT=0")
            t.wait("bob", r"left the channel")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


if __name__ == "__main__":
    harness.run([test_chat_in_tmux])
