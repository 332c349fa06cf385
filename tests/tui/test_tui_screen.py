"""The screen (issue 12, part 5), in tmux against the real broker: Alice's status bar shows the
topic pair and the counters include received messages; the channel pane does not repeat a state
in its detail ("connecting to Kafka: connecting to Kafka"); a message that arrives while Bob is
scrolled back rings the bell once, shows "N unread" in the status bar and the terminal title and
an unread marker line, and scrolling back down clears the count; /bell off is understood."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402
from harness import check  # noqa: E402
from test_tui_invite import state_invitation  # noqa: E402
from tmux_driver import TmuxSession  # noqa: E402

KCHAT = harness.KCHAT


def fmt(t, win, what):
    return t.tmux("display-message", "-p", "-t", f"{t.name}:{win}", what).stdout.strip()


def test_status_and_unread():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-screen-") as tmp:
        env = {name: {"XDG_CONFIG_HOME": f"{tmp}/{name}/config",
                      "XDG_STATE_HOME": f"{tmp}/{name}/state"} for name in ("bob", "alice")}
        t = TmuxSession("screen", width=200, height=30)
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers}", env["bob"])
            t.wait("bob", r"waiting for peer")
            inv = state_invitation(env["bob"]["XDG_STATE_HOME"])
            a2b, b2a = inv.split(":")[1:3]
            t.window("alice", f"{KCHAT} connect -b {brokers} '{inv}'", env["alice"])
            t.tmux("select-window", "-t", f"{t.name}:alice")
            t.wait("alice", r"Alice │ secure")
            t.wait("alice", re.escape(f"{a2b} ⇄ {b2a}"))
            screen = t.screen("alice")
            check("connecting to Kafka: connecting to Kafka" not in screen,
                  "the channel pane repeats the state in its detail")
            t.wait("bob", r"Bob │ secure")
            for _ in range(3):  # more than a screen of conversation, so Bob can scroll back
                t.type("bob", "/help")
            t.keys("bob", "PPage")
            time.sleep(0.5)
            t.type("alice", "a message while Bob reads old ones")
            t.wait("bob", r"1 unread")
            t.wait("bob", r"recv 1")
            check(fmt(t, "bob", "#{pane_title}") == "kchat (1 unread)",
                  f"title: {fmt(t, 'bob', '#{pane_title}')!r}")
            check(fmt(t, "bob", "#{window_bell_flag}") == "1", "no bell in Bob's window")
            for _ in range(6):
                t.keys("bob", "NPage")
            t.wait("bob", r"── unread ──")
            t.wait("bob", r"‹ \S+ +a message while Bob reads old ones")
            deadline = time.monotonic() + 10
            while "unread" in fmt(t, "bob", "#{pane_title}") and time.monotonic() < deadline:
                time.sleep(0.2)
            check(fmt(t, "bob", "#{pane_title}") == "kchat", "the title still counts unread")
            check(not re.search(r"│ \d+ unread", t.screen("bob")), "the status bar still counts")
            t.type("bob", "/bell off")
            t.wait("bob", r"bell off")
            t.type("alice", "/quit")
            t.wait("alice", r"EXIT=0")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


def test_channel_scrollback_and_ctrl_d():
    """On 80x24 the channel pane (below) holds fewer rows than Alice's channel log: Alt-PgUp
    shows its start again, Alt-PgDn returns; Ctrl-D on an empty line is /quit."""
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-screen-") as tmp:
        env = {name: {"XDG_CONFIG_HOME": f"{tmp}/{name}/config",
                      "XDG_STATE_HOME": f"{tmp}/{name}/state"} for name in ("bob", "alice")}
        t = TmuxSession("chanscroll", width=80, height=24)
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers}", env["bob"], width=200)
            t.wait("bob", r"waiting for peer")
            inv = state_invitation(env["bob"]["XDG_STATE_HOME"])
            t.window("alice", f"{KCHAT} connect -b {brokers} '{inv}'", env["alice"])
            t.wait("alice", r"Alice │ secure")
            t.wait("alice", r"confirmed by the peer")
            check("kchat 0.1" not in t.screen("alice").split("── channel")[-1],
                  "the channel pane shows its first line: nothing to scroll")
            t.keys("alice", "M-PPage")
            t.wait("alice", r"kchat \S+ · Alice")
            t.wait("alice", r"more below \(Alt-PgDn\)")
            for _ in range(5):
                t.keys("alice", "M-NPage")
            t.wait("alice", r"confirmed by the peer")
            check("more below" not in t.screen("alice"), "still scrolled back")
            t.keys("alice", "C-d")
            t.wait("alice", r"EXIT=0")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


def test_nul_byte_not_truncated():
    """A message with a NUL byte (from a batch-mode Alice) shows whole on Bob's screen."""
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-screen-") as tmp:
        env = {"XDG_CONFIG_HOME": f"{tmp}/bob/config", "XDG_STATE_HOME": f"{tmp}/bob/state"}
        t = TmuxSession("nul")
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers} --echo", env, width=200)
            t.wait("bob", r"waiting for peer")
            inv = state_invitation(env["XDG_STATE_HOME"])
            aenv = {**os.environ, "XDG_CONFIG_HOME": f"{tmp}/alice/config",
                    "XDG_STATE_HOME": f"{tmp}/alice/state"}
            out = subprocess.run([KCHAT, "connect", "-b", brokers, inv, "--batch", "--timeout",
                                  "30"], input=b"before\x00after the NUL\n", env=aenv,
                                 capture_output=True, timeout=60)
            check(out.returncode == 0, f"alice: {out.stderr.decode()}")
            t.wait("bob", r"‹ \S+ +before\ufffdafter the NUL")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


def test_display_name_labels_messages():
    """Alice's --name travels in the handshake: Bob's conversation pane labels her message with
    it, and the channel pane and /whois still show her identifier."""
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-screen-") as tmp:
        env = {"XDG_CONFIG_HOME": f"{tmp}/bob/config", "XDG_STATE_HOME": f"{tmp}/bob/state"}
        t = TmuxSession("name")
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers}", env, width=200)
            t.wait("bob", r"waiting for peer")
            inv = state_invitation(env["XDG_STATE_HOME"])
            aenv = {**os.environ, "XDG_CONFIG_HOME": f"{tmp}/alice/config",
                    "XDG_STATE_HOME": f"{tmp}/alice/state"}
            out = subprocess.run([KCHAT, "connect", "-b", brokers, inv, "--batch", "--timeout",
                                  "30", "--name", "Zoë"], input=b"hello from zoe\n", env=aenv,
                                 capture_output=True, timeout=60)
            check(out.returncode == 0, f"alice: {out.stderr.decode()}")
            alice_id = harness.kchat_id(f"{tmp}/alice/config/kchat/identity")
            t.wait("bob", r"‹ Zoë +hello from zoe")
            t.wait("bob", re.escape(f'who calls themself "Zoë"'))
            t.type("bob", "/whois")
            t.wait("bob", re.escape(alice_id))
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


if __name__ == "__main__":
    harness.run([test_status_and_unread, test_channel_scrollback_and_ctrl_d,
                 test_nul_byte_not_truncated, test_display_name_labels_messages])
