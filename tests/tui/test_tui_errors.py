"""Failures in the terminal UI explain themselves (issue 12, part 1): every fatal error is printed
on the restored terminal after the screen is gone (unreachable broker, missing topics, Bob
refusing Alice); Alice never shows "secure" before Bob confirmed her; a terminal that cannot
move the cursor (TERM=dumb) gets one clear line pointing to --batch instead of a garbled screen;
/quit with undelivered messages says how many and asks (a second /quit leaves); Alice waiting
for a Bob who does not answer says what may be wrong while she still tries; a wrong passphrase
for a sealed identity is asked for again.
The tests run in parallel, each in its own tmux server."""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402
from harness import check  # noqa: E402
from test_tui_invite import state_invitation  # noqa: E402
from tmux_driver import TmuxSession  # noqa: E402

KCHAT = harness.KCHAT
NOWHERE = "127.0.0.1:1"


def identities(tmp, *names):
    env, ids = {}, {}
    for name in names:
        env[name] = {"XDG_CONFIG_HOME": f"{tmp}/{name}/config",
                     "XDG_STATE_HOME": f"{tmp}/{name}/state"}
        out = subprocess.run([KCHAT, "id"], env={**os.environ, **env[name]},
                             capture_output=True, text=True, check=True)
        ids[name] = out.stdout.strip()
    return env, ids


def after_exit(t, win, pattern, code=r"[1-9]\d*", timeout=60):
    """Waits for the shell's EXIT=code line; returns the restored terminal's text."""
    t.wait(win, r"EXIT=" + code + r"\b", timeout=timeout)
    screen = t.screen(win)
    check(re.search(pattern, screen), f"/{pattern}/ not on the restored terminal:\n{screen}")
    return screen


def test_unreachable_broker_reason():
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, _ = identities(tmp, "alice")
        t = TmuxSession("unreach")
        try:
            t.window("alice", f"{KCHAT} connect -b {NOWHERE} --trust-any --a2b a --b2a b",
                     env["alice"])
            after_exit(t, "alice", r"kchat: cannot reach Kafka at 127\.0\.0\.1:1\b", code="1")
        finally:
            t.close()


def test_listen_says_it_is_creating_topics():
    """Before its screen, listen says it is creating the topics, so an unreachable Kafka is not
    a blank terminal for seconds; then the reason, after exit."""
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, _ = identities(tmp, "bob")
        t = TmuxSession("creating")
        try:
            t.window("bob", f"{KCHAT} listen -b {NOWHERE}", env["bob"])
            t.wait("bob", r"kchat: creating the topics on Kafka at 127\.0\.0\.1:1", timeout=10)
            after_exit(t, "bob", r"kchat: .*127\.0\.0\.1:1", code="1")
        finally:
            t.close()


def test_missing_topics_reason():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, ids = identities(tmp, "alice", "bob")
        tag = os.urandom(4).hex()
        inv = harness.make_invitation(f"kchat-gone{tag}-a2b", f"kchat-gone{tag}-b2a",
                                      ids["bob"], os.urandom(32))
        t = TmuxSession("gone")
        try:
            t.window("alice", f"{KCHAT} connect -b {brokers} '{inv}'", env["alice"])
            screen = after_exit(t, "alice", rf"kchat: .*kchat-gone{tag}-b2a.*does not exist")
            check(inv.split(":")[4] not in screen, "the invitation's secret is on the terminal")
        finally:
            t.close()


def test_refused_alice_never_secure():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, ids = identities(tmp, "alice", "bob", "other")
        t = TmuxSession("refused")
        try:
            # Bob trusts only "other": he refuses Alice after her third handshake message
            t.window("bob", f"{KCHAT} listen -b {brokers} --trust {ids['other']}", env["bob"],
                     width=260)
            inv = t.wait("bob", r"kchat1:[A-Za-z0-9._:-]+", joined=True).group(0)
            t.wait("bob", r"waiting for peer")
            t.window("alice", f"{KCHAT} connect -b {brokers} --handshake-timeout 8 '{inv}'",
                     env["alice"])
            deadline = time.monotonic() + 60
            seen_confirming = False
            while True:
                screen = t.screen("alice")
                check("Alice │ secure" not in screen and "✓ secure" not in screen,
                      f"Alice claims secure before Bob confirmed:\n{screen}")
                seen_confirming = seen_confirming or "Alice │ confirming" in screen
                if re.search(r"EXIT=\d+", screen):
                    break
                check(time.monotonic() < deadline, f"Alice did not end:\n{screen}")
                time.sleep(0.1)
            check(seen_confirming, "Alice's status bar never said 'confirming'")
            after_exit(t, "alice", r"kchat: handshake not confirmed by the peer")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


def test_dumb_terminal():
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, _ = identities(tmp, "alice")
        t = TmuxSession("dumb")
        try:
            t.window("alice", f"env TERM=dumb {KCHAT} connect -b {NOWHERE} --trust-any "
                     "--a2b a --b2a b", env["alice"])
            after_exit(t, "alice", r"kchat: the terminal 'dumb' \(TERM\) cannot move the cursor"
                       r"[\s\S]*--batch", code="2", timeout=20)
        finally:
            t.close()


def test_quit_with_undelivered():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, _ = identities(tmp, "bob")
        t = TmuxSession("quit")
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers}", env["bob"], width=260)
            t.wait("bob", r"waiting for peer")
            t.type("bob", "nobody is here to read this")
            t.type("bob", "/quit")
            t.wait("bob", r"1 message not delivered to the peer yet; /quit again")
            check("EXIT=" not in t.screen("bob"), "the first /quit left with a message undelivered")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


def test_no_answer_from_bob():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, _ = identities(tmp, "alice", "bob")
        t = TmuxSession("noanswer")
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers}", env["bob"], width=260)
            t.wait("bob", r"waiting for peer")
            inv = state_invitation(env["bob"]["XDG_STATE_HOME"])
            t.type("bob", "/quit")  # the topics stay, Bob is gone
            t.wait("bob", r"EXIT=0")
            t.window("alice", f"{KCHAT} connect -b {brokers} --handshake-timeout 14 '{inv}'",
                     env["alice"])
            t.wait("alice", r"handshaking 1/3")
            t.wait("alice", r"no answer from Bob for \d+ s: is his `kchat listen` running",
                   timeout=12)
            check("EXIT=" not in t.screen("alice"), "Alice ended before saying why")
            after_exit(t, "alice", r"kchat: handshake did not complete within 14 s", timeout=30)
        finally:
            t.close()


def test_wrong_passphrase_asks_again():
    brokers = harness.brokers()
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, _ = identities(tmp, "bob")
        sealed = f"{tmp}/sealed.identity"
        subprocess.run([KCHAT, "id", "--seal", "--identity", sealed], check=True,
                       capture_output=True, env={**os.environ, "KCHAT_PASSPHRASE": "right horse"})
        t = TmuxSession("pass")
        try:
            t.window("bob", f"{KCHAT} listen -b {brokers} --identity {sealed}", env["bob"])
            t.wait("bob", r"identity passphrase:")
            t.type("bob", "wrong horse")
            t.wait("bob", r"wrong passphrase.*; try again")
            check("EXIT=" not in t.screen("bob"), "a wrong passphrase ended kchat")
            t.type("bob", "right horse")
            t.wait("bob", r"waiting for peer")
            t.type("bob", "/quit")
            t.wait("bob", r"EXIT=0")
        finally:
            t.close()


def test_bad_ssl_config_restores_terminal():
    """A configuration librdkafka refuses: a one-line error naming it and a restored terminal.
    Until net/ stops crashing on it (SIGSEGV), the crash at least leaves the screen restored."""
    with tempfile.TemporaryDirectory(prefix="kchat-tui-err-") as tmp:
        env, _ = identities(tmp, "alice")
        t = TmuxSession("ssl")
        try:
            t.window("alice", f"{KCHAT} connect -b {NOWHERE} --trust-any --a2b a --b2a b "
                     "-X security.protocol=SSL -X ssl.ca.location=/nonexistent", env["alice"])
            code = int(t.wait("alice", r"EXIT=(\d+)", timeout=40, joined=True).group(1))
            alt = t.tmux("display-message", "-p", "-t", f"{t.name}:alice",
                         "#{alternate_on}").stdout.strip()
            check(alt == "0", f"the terminal is left in the alternate screen (exit {code})")
            if code != 139:  # fixed in net/: then a clean error
                check(code in (1, 2), f"exit {code}")
                after_exit(t, "alice", r"kchat: .*(ssl\.ca\.location|/nonexistent)", code=str(code))
        finally:
            t.close()


def run_parallel(tests):
    """Runs the tests in threads (each has its own tmux server); then reports like harness.run."""
    failures = {}

    def one(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - report every failure
            failures[fn.__name__] = e

    threads = [threading.Thread(target=one, args=(fn,)) for fn in tests]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for fn in tests:
        if fn.__name__ in failures:
            print(f"FAIL {fn.__name__}: {failures[fn.__name__]}", flush=True)
        else:
            print(f"ok   {fn.__name__}", flush=True)
    print(f"{len(tests) - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    run_parallel([test_unreachable_broker_reason, test_listen_says_it_is_creating_topics,
                  test_missing_topics_reason,
                  test_refused_alice_never_secure, test_dumb_terminal,
                  test_quit_with_undelivered, test_no_answer_from_bob,
                  test_wrong_passphrase_asks_again, test_bad_ssl_config_restores_terminal])
