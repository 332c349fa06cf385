"""Stale records: Bob keeps running while Alice 1 chats and leaves; Alice 2 (same identity, same
invitation) then connects. The topics still hold the first conversation, yet no stale message is
shown to anyone, nothing is refused or reported as an error, and the new chat works. Then the same
with Bob killed after Alice 1 left and resumed, so he re-reads records that predate him (below
his start-up end offset) and must skip them quietly."""
import harness
from harness import check


def chat_once(chat, inv, name, lines, identity):
    alice = chat.alice(inv["invitation"], "--timeout", "60", "--identity", identity, name=name,
                       stdin_lines=lines)
    code = alice.wait_exit(90)
    check(code == 0, f"{name} exited {code}: {alice.stderr[-3:]}")
    echoes = alice.of("echo")
    check([e["text"] for e in echoes] == lines, f"{name}: echoes {[e['text'] for e in echoes]}")
    check([e["seq"] for e in echoes] == list(range(1, len(lines) + 1)), f"{name}: echo seqs")
    check(not alice.of("error") and not alice.of("rejected") and not alice.stderr,
          f"{name}: errors {alice.of('error') + alice.of('rejected')} {alice.stderr}")
    return alice


def check_quiet(bob):
    check(not bob.of("rejected"), f"{bob.name} rejected: {bob.of('rejected')}")
    check(not bob.of("error") and not bob.stderr, f"{bob.name} errors: {bob.stderr}")


def check_no_stale(old_lines, *peers):
    for p in peers:
        for e in p.events:
            check(not any(line in str(e.get("text", "")) for line in old_lines),
                  f"{p.name} showed a stale message: {e}")


def test_second_alice_same_invitation():
    with harness.Chat() as chat:
        bob = chat.bob("--echo")
        inv = bob.wait_event("invitation")
        ident = chat.path("alice.identity")
        lines1 = [f"first conversation {i}" for i in range(1, 11)]
        chat_once(chat, inv, "alice1", lines1, ident)
        bob.wait_event("peer-left", 20)
        lines2 = [f"second conversation {i}" for i in range(1, 11)]
        alice2 = chat_once(chat, inv, "alice2", lines2, ident)
        bob.wait_for(lambda e: len(bob.of("peer-left")) >= 2, 20, "second peer-left")
        check(bob.stop() == 0, "bob did not exit 0")
        check(bob.texts() == lines1 + lines2, f"bob showed {bob.texts()}")
        check(len(bob.of("established")) == 2, "bob did not establish twice")
        check_quiet(bob)
        check_no_stale(lines1, alice2)


def test_resumed_bob_skips_stale_records():
    with harness.Chat() as chat:
        args = ["--echo", "--state", chat.path("bob.state"), "--identity", chat.path("bob.id")]
        bob1 = chat.bob(*args, name="bob1")
        inv = bob1.wait_event("invitation")
        ident = chat.path("alice.identity")
        lines1 = [f"before the restart {i}" for i in range(1, 11)]
        chat_once(chat, inv, "alice1", lines1, ident)
        bob1.wait_event("peer-left", 20)
        bob1.kill()  # SIGKILL: the last records may be read again by the next Bob
        bob2 = chat.bob(*args, "--resume", name="bob2")
        bob2.wait_event("state", detail="waiting for the peer")
        lines2 = [f"after the restart {i}" for i in range(1, 11)]
        alice2 = chat_once(chat, inv, "alice2", lines2, ident)
        bob2.wait_event("peer-left", 20)
        check(bob2.stop() == 0, "bob2 did not exit 0")
        check(bob1.texts() == lines1, f"bob1 showed {bob1.texts()}")
        check(bob2.texts() == lines2, f"bob2 showed {bob2.texts()}")
        check_quiet(bob1)
        check_quiet(bob2)
        check_no_stale(lines1, alice2, bob2)


if __name__ == "__main__":
    harness.run([test_second_alice_same_invitation, test_resumed_bob_skips_stale_records])
