"""Back-pressure: Alice in batch mode is fed 64 MiB of lines on standard input while Bob is
frozen (SIGSTOP), so nothing can be acknowledged. kchat must stop reading its input once several
MiB wait (the session holds at most 4 MiB in its outbox and 2 MiB more in its input queue): the
writer stays blocked and Alice's memory bounded. Then Bob thaws and every line is delivered and
shown once, in order. Without back-pressure Alice would read the whole input: over 64 MiB."""
import os
import signal
import threading
import time

import harness
from harness import check

LINES = 16000
SIZE = 4096  # bytes per line with its newline: 64 MiB in all
# The bound: the process itself (about 19 MiB: the empty-lines case's peak) plus twice what the
# session may hold by design (4 MiB outbox, its 4 MiB copy in the journal, 2 MiB of input, 4 MiB
# in flight in librdkafka) for the allocator's slack; an Alice without back-pressure would hold
# the whole 64 MiB input on top. Seen: 32-35 MiB on a quiet machine, 43 MiB once in CI.
PEAK_LIMIT_KIB = 48 * 1024
FROZEN_S = 3.0


def line(i):
    head = f"line {i:06d} "
    return head + "x" * (SIZE - 1 - len(head))


def vm_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for row in f:
                if row.startswith(field + ":"):
                    return int(row.split()[1])
    except OSError:
        pass
    return None


def feed(alice, done):
    """Writes the input in 1 MiB chunks (a pipe write blocks while kchat does not read)."""
    chunk = 256
    for start in range(1, LINES + 1, chunk):
        alice.send(line(i) for i in range(start, min(start + chunk, LINES + 1)))
    alice.close_stdin()
    done.set()


def test_bounded_memory():
    with harness.Chat() as chat:
        bob = chat.bob()
        inv = bob.wait_event("invitation")
        alice = chat.alice(inv["invitation"], "--timeout", "240")
        alice.wait_event("state", 30, detail="confirmed by the peer")
        os.kill(bob.proc.pid, signal.SIGSTOP)
        done = threading.Event()
        writer = threading.Thread(target=feed, args=(alice, done), daemon=True)
        t0 = time.monotonic()
        writer.start()
        peak = 0
        while time.monotonic() - t0 < FROZEN_S:
            peak = max(peak, vm_kib(alice.proc.pid, "VmHWM") or 0)
            time.sleep(0.05)
        held_back = not done.is_set()
        os.kill(bob.proc.pid, signal.SIGCONT)
        while alice.proc.poll() is None:
            peak = max(peak, vm_kib(alice.proc.pid, "VmHWM") or 0)
            time.sleep(0.05)
        took = time.monotonic() - t0
        code = alice.wait_exit(10)  # and every event she wrote has been read
        check(code == 0, f"alice exited {code}: {alice.stderr}")
        check(held_back, f"alice read all {LINES * SIZE >> 20} MiB while Bob was frozen")
        check(done.is_set(), "the writer did not finish")
        harness.check_rss(peak, PEAK_LIMIT_KIB, "alice's peak RSS")
        delivered = sorted(e["seq"] for e in alice.of("delivered"))
        check(delivered == list(range(1, LINES + 1)), "not every line delivered exactly once")
        deadline = time.monotonic() + 60
        while len(bob.of("message")) < LINES and time.monotonic() < deadline:
            time.sleep(0.1)
        msgs = bob.of("message")
        check(len(msgs) == LINES, f"bob showed {len(msgs)} messages")
        check(all(m["text"] == line(i) for i, m in enumerate(msgs, 1)),
              "bob's messages differ from the input, or are out of order")
        print(f"{LINES} lines ({LINES * SIZE >> 20} MiB) in {took:.1f} s, Bob frozen for the first "
              f"{FROZEN_S:.0f} s; "
              f"alice peak RSS {peak / 1024:.1f} MiB (limit {PEAK_LIMIT_KIB >> 10} MiB)")


def frozen_chat(chat):
    """Bob listening and frozen (SIGSTOP) once Alice's channel is confirmed."""
    bob = chat.bob()
    inv = bob.wait_event("invitation")
    alice = chat.alice(inv["invitation"], "--timeout", "240")
    alice.wait_event("state", 30, detail="confirmed by the peer")
    os.kill(bob.proc.pid, signal.SIGSTOP)
    return bob, alice


def test_empty_lines_count():
    """Empty lines cost memory too: 4 million of them must not all be read while Bob is
    frozen (the input bound counts each queued line, not just its text)."""
    with harness.Chat() as chat:
        bob, alice = frozen_chat(chat)
        done = threading.Event()

        def feed_empty():
            for _ in range(16):
                alice.send([""] * 250000)
            alice.close_stdin()
            done.set()
        threading.Thread(target=feed_empty, daemon=True).start()
        time.sleep(FROZEN_S)
        peak = vm_kib(alice.proc.pid, "VmHWM") or 0
        held_back = not done.is_set()
        os.kill(bob.proc.pid, signal.SIGCONT)
        check(held_back, "alice read 4 million empty lines while Bob was frozen")
        harness.check_rss(peak, PEAK_LIMIT_KIB, "alice's peak RSS")
        print(f"empty lines: held back, alice peak RSS {peak / 1024:.1f} MiB")


def test_signal_while_held_back():
    """A held-back Alice still obeys SIGTERM at once: the front end never blocks on the
    session; she says how many lines were not delivered and exits 3."""
    with harness.Chat() as chat:
        bob, alice = frozen_chat(chat)
        threading.Thread(target=feed, args=(alice, threading.Event()), daemon=True).start()
        time.sleep(FROZEN_S)
        t0 = time.monotonic()
        alice.proc.send_signal(signal.SIGTERM)
        code = alice.wait_exit(15)
        took = time.monotonic() - t0
        os.kill(bob.proc.pid, signal.SIGCONT)
        # ended with lines Bob never acknowledged: said, and exit status 3
        check(code == 3, f"alice exited {code} on SIGTERM: {alice.stderr}")
        check(any("messages not delivered to the peer" in line for line in alice.stderr),
              f"alice did not say what was not delivered: {alice.stderr}")
        check(took < 8, f"alice took {took:.1f} s to end on SIGTERM")
        print(f"SIGTERM while held back: exit {code} after {took:.1f} s")


if __name__ == "__main__":
    harness.run([test_bounded_memory, test_empty_lines_count, test_signal_while_held_back])
