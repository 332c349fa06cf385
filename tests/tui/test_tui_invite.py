"""Bob's invitation in the terminal UI (issue 12, part 3): on a narrow terminal (80 columns) it
stands as one unbroken string on full-width rows of its own, so that tmux (capture-pane -J, as a
mouse selection) gets it whole; /copy puts it on the clipboard with OSC 52 (tmux with
set-clipboard on keeps it as a paste buffer); it makes room once Alice is there, and /invite
shows it again."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402
from harness import check  # noqa: E402
from tmux_driver import TmuxSession  # noqa: E402

KCHAT = harness.KCHAT


def state_invitation(state_home):
    """The invitation as kchat listen saved it (the state file's header)."""
    with open(os.path.join(state_home, "kchat", "listen.state"), "rb") as f:
        for line in f.read().split(b"\n"):
            if line.startswith(b"invitation="):
                return line[len(b"invitation="):].decode()
    raise AssertionError("no invitation in the listen state")


def whole_lines(t, win):
    return [line.rstrip() for line in t.joined(win).splitlines()]


def test_invitation_unbroken_and_copied():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-inv-") as tmp:
        env = {name: {"XDG_CONFIG_HOME": f"{tmp}/{name}/config",
                      "XDG_STATE_HOME": f"{tmp}/{name}/state"} for name in ("bob", "alice")}
        t = TmuxSession("invite", width=80, height=30)
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers}", env["bob"])
            t.tmux("set-option", "-g", "set-clipboard", "on")
            t.wait("bob", r"waiting for peer")
            inv = state_invitation(env["bob"]["XDG_STATE_HOME"])
            check(len(inv) > 80, f"invitation shorter than the terminal: {inv}")
            t.wait("bob", "/copy copies it")
            check(inv in whole_lines(t, "bob"),
                  "the invitation is not one unbroken line on Bob's 80-column screen:\n"
                  + t.joined("bob"))
            t.type("bob", "/copy")
            t.wait("bob", r"invitation sent to the clipboard")
            buf = t.tmux("show-buffer", check=False).stdout
            check(buf == inv, f"/copy: the clipboard holds {buf!r}, not the invitation")
            t.window("alice", f"{KCHAT} connect -b {brokers} '{inv}'", env["alice"])
            t.wait("bob", r"Bob │ secure")
            t.wait("alice", r"Alice │ secure")
            check(inv not in t.joined("bob"), "the invitation still takes Bob's screen")
            t.type("bob", "/invite")
            t.wait("bob", "/copy copies it")
            check(inv in whole_lines(t, "bob"), "/invite: not one unbroken line")
            t.type("alice", "/quit")
            t.wait("alice", r"EXIT=0")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


if __name__ == "__main__":
    harness.run([test_invitation_unbroken_and_copied])
