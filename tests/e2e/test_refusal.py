"""Handshakes that must fail: an invitation with the right topics and Bob identifier but another
secret (Bob refuses its message 1 by the invitation's mac and never answers), one with the right secret but another (valid) Bob identifier, and an Alice that Bob does
not trust (--trust another id). Each ends with exit status 4 and a clear message on stderr, and no
message is shown by anyone. A malformed invitation exits 2 with the parser's message."""
import os
import threading
import time

import harness
from harness import check

HS_TIMEOUT = "6"
SECRET_LINE = "this line must never be shown"


def no_text_shown(*peers):
    for p in peers:
        for e in p.events:
            check(e.get("event") not in ("message", "echo"), f"{p.name} showed {e}")
            check(SECRET_LINE not in str(e), f"{p.name} displayed the text: {e}")


def refused(chat, name, bob_extra, make_inv, alice_stderr, bob_check, results):
    """One failing case; the outcome (None or the exception) goes to results[name]."""
    try:
        bob = chat.bob("--echo", "--handshake-timeout", HS_TIMEOUT, *bob_extra, name=f"bob-{name}")
        inv = bob.wait_event("invitation")
        alice = chat.alice(make_inv(inv), "--handshake-timeout", HS_TIMEOUT, "--timeout", "60",
                           name=f"alice-{name}", stdin_lines=[SECRET_LINE])
        t0 = time.monotonic()
        code = alice.wait_exit(40)
        took = time.monotonic() - t0
        check(code == 4, f"{name}: alice exited {code}, want 4: {alice.stderr}")
        check(took < float(HS_TIMEOUT) + 4, f"{name}: took {took:.1f} s for a {HS_TIMEOUT} s "
              "handshake timeout")
        check(any(alice_stderr in line for line in alice.stderr),
              f"{name}: stderr lacks '{alice_stderr}': {alice.stderr}")
        check(all(line.startswith("kchat: ") for line in alice.stderr),
              f"{name}: unexpected stderr: {alice.stderr}")
        # Alice may count the channel as secure once she wrote message 3 (Bob authenticated, as
        # a WireGuard initiator does), but Bob never confirms it
        confirmed = [e for e in alice.of("state") if "confirmed" in e.get("detail", "")]
        check(not confirmed, f"{name}: alice reported a confirmed channel: {confirmed}")
        time.sleep(1)  # whatever Alice sent reaches Bob
        bob.stop()
        no_text_shown(alice, bob)
        check(not bob.of("established"), f"{name}: bob reported an established channel")
        bob_check(bob)
        print(f"{name}: exit 4 after {took:.1f} s: {alice.stderr[-1]}")
        results[name] = None
    except Exception as e:  # noqa: BLE001 - reported by the caller
        results[name] = e


def wrong_secret(inv):
    a2b, b2a, bob_id, _ = harness.split_invitation(inv["invitation"])
    return harness.make_invitation(a2b, b2a, bob_id, os.urandom(32))


def bob_refused_message1(bob):
    """A message 1 without the invitation's mac costs Bob nothing: refused, never answered."""
    reasons = {e["reason"] for e in bob.of("rejected")}
    check(reasons == {"unauthenticated"}, f"bob did not refuse message 1 by its mac: {reasons}")
    check(not bob.of("handshake"), f"bob answered: {bob.of('handshake')}")


def bob_saw_nothing_bad(bob):
    check(not bob.of("error"), f"bob: unexpected errors {bob.of('error')}")


def bob_refused_alice(bob):
    reasons = {e["reason"] for e in bob.of("rejected")}
    check("untrusted" in reasons, f"bob did not refuse alice as untrusted: {reasons}")
    check(any("not trusted" in line for line in bob.stderr), f"bob: {bob.stderr}")


def test_refused_handshakes():
    with harness.Chat() as chat:
        other_id = harness.kchat_id(chat.path("other.identity"))

        def wrong_bob(inv):
            a2b, b2a, _, secret = harness.split_invitation(inv["invitation"])
            return harness.make_invitation(a2b, b2a, other_id, secret)

        cases = [
            ("wrong-secret", [], wrong_secret, "handshake did not complete within 6 s",
             bob_refused_message1),
            ("wrong-bob", [], wrong_bob, f"not the trusted one (the invitation names {other_id})",
             bob_saw_nothing_bad),
            ("untrusted-alice", ["--trust", other_id], lambda inv: inv["invitation"],
             "handshake not confirmed by the peer within 6 s", bob_refused_alice),
        ]
        results = {}
        threads = [threading.Thread(target=refused, args=(chat, *c, results)) for c in cases]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        failures = [f"{n}: {e}" for n, e in results.items() if e is not None]
        check(len(results) == len(cases) and not failures, "; ".join(failures) or "a case hung")


def test_malformed_invitation():
    with harness.Chat() as chat:
        good = harness.make_invitation("kchat-x-a2b", "kchat-x-b2a",
                                       harness.kchat_id(chat.path("b.identity")), os.urandom(32))
        bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
        cases = [
            (bad_check, "invitation checksum mismatch"),
            ("kchat1:only:three", "invitation has 3 fields, expected 6"),
            ("hello", "not a kchat invitation"),
        ]
        for text, want in cases:
            t0 = time.monotonic()
            alice = chat.alice(text, name="alice-bad", brokers="127.0.0.1:1", stdin_lines=[])
            code = alice.wait_exit(20)
            check(code == 2, f"'{text[:20]}': exit {code}, want 2")
            check(alice.stderr == [f"kchat: {want}"] or
                  (len(alice.stderr) == 1 and want in alice.stderr[0]),
                  f"'{text[:20]}': stderr {alice.stderr}, want '{want}'")
            check(not alice.events, f"events printed: {alice.events}")
            check(time.monotonic() - t0 < 5, "a malformed invitation took long to refuse")


if __name__ == "__main__":
    harness.run([test_refused_handshakes, test_malformed_invitation])
