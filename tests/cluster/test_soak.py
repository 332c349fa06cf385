"""Soak (label soak, only with cmake -DKCHAT_SOAK=ON): 50,000 lines from Alice to an echoing Bob
on the 3-node cluster (fixture "cluster"), so 50,000 messages each way, while a node is SIGKILLed
and restarted over and over (the next kill once the last node is back, at least 20 s apart) and
Bob is SIGKILLed and resumed twice. Every line is shown by Bob once (across his three processes)
and echoed to Alice once; Alice's RSS stays flat (the last third's peak at most 1.25 times the
middle third's, once warmed up). Prints the figures. KCHAT_SOAK_LINES changes the count. The
lines are fed in blocks paced over KCHAT_SOAK_SECONDS (default 180): a chat, not a bulk copy, so
that the node kills (every 20 s) and Bob's kills land while messages flow."""
import collections
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402
from harness import check  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
KAFKA_LOCAL = os.path.join(ROOT, "scripts", "kafka-local")
CDIR = os.environ["KCHAT_CLUSTER_DIR"]
LINES = int(os.environ.get("KCHAT_SOAK_LINES", "50000"))
SECONDS = float(os.environ.get("KCHAT_SOAK_SECONDS", "180"))
BLOCK = 100  # lines fed at once


def feed(alice, lines):
    """Alice's lines in blocks of BLOCK, paced to take SECONDS, then the end of input."""
    t0 = time.monotonic()
    for i in range(0, len(lines), BLOCK):
        alice.send(lines[i:i + BLOCK])
        wait = t0 + SECONDS * (i + BLOCK) / len(lines) - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    alice.close_stdin()


def kafka_local(*args):
    out = subprocess.run([KAFKA_LOCAL, *args, "--dir", CDIR], capture_output=True, text=True,
                         timeout=240)
    check(out.returncode == 0, f"kafka-local {args}: {out.stderr[-500:]}")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def test_soak():
    with open(os.path.join(CDIR, "bootstrap")) as f:
        brokers = f.read().strip()
    os.environ["KCHAT_TEST_BROKERS"] = brokers
    stop = threading.Event()
    kills = []

    def chaos():
        while not stop.wait(20):
            n = random.randint(1, 3)
            kafka_local("kill", str(n))
            kills.append(n)
            kafka_local("restart", str(n))

    with harness.Chat() as chat:
        bob = chat.bob("--echo", brokers=brokers)
        inv = bob.wait_event("invitation")
        alice = chat.alice(inv["invitation"], "--timeout", "3000", brokers=brokers)
        lines = [f"soak {i:06d}" for i in range(1, LINES + 1)]
        threading.Thread(target=feed, args=(alice, lines), daemon=True).start()
        chaos_thread = threading.Thread(target=chaos, daemon=True)
        chaos_thread.start()
        bobs, samples, t0 = [bob], [], time.monotonic()
        for third in (1, 2):
            while len(alice.of("echo")) < LINES * third // 3 and alice.proc.poll() is None:
                samples.append((time.monotonic() - t0, rss_kib(alice.proc.pid),
                                rss_kib(bobs[-1].proc.pid)))
                time.sleep(1)
            bobs[-1].kill()
            bobs.append(chat.bob("--echo", "--resume", brokers=brokers, name="bob"))
        while alice.proc.poll() is None:
            samples.append((time.monotonic() - t0, rss_kib(alice.proc.pid),
                            rss_kib(bobs[-1].proc.pid)))
            time.sleep(1)
        code = alice.wait_exit(60)
        stop.set()
        chaos_thread.join(300)
        took = time.monotonic() - t0
        echoes = collections.Counter(e["text"] for e in alice.of("echo"))
        shown = collections.Counter(t for b in bobs for t in b.texts())
        lost_e = sum(1 for t in lines if echoes[t] == 0)
        twice_e = sum(1 for t in lines if echoes[t] > 1)
        lost_s = sum(1 for t in lines if shown[t] == 0)
        twice_s = sum(1 for t in lines if shown[t] > 1)
        third = max(1, len(samples) // 3)
        first, middle, last = samples[:third], samples[third:2 * third], samples[-third:]
        peak = lambda s, i: max(x[i] for x in s) if s else 0  # noqa: E731
        print(f"soak: {LINES} lines each way in {took:.0f} s; {len(kills)} node kills "
              f"{kills}; Bob killed and resumed twice")
        print(f"soak: echoes lost {lost_e}, twice {twice_e}; Bob shown lost {lost_s}, twice "
              f"{twice_s}")
        print(f"soak: peak RSS MiB by thirds: Alice {peak(first, 1) / 1024:.1f} / "
              f"{peak(middle, 1) / 1024:.1f} / {peak(last, 1) / 1024:.1f}, Bob "
              f"{peak(first, 2) / 1024:.1f} / {peak(middle, 2) / 1024:.1f} / "
              f"{peak(last, 2) / 1024:.1f} ({len(samples)} samples)")
        check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")
        check(lost_e == 0 and twice_e == 0 and lost_s == 0 and twice_s == 0, "lost or doubled")
        if len(samples) >= 30:  # a run of half a minute or more says something about growth
            check(peak(last, 1) <= 1.25 * peak(middle, 1) + 2048, "Alice's memory grew")
        check(bobs[-1].stop() == 0, "the last bob did not exit 0")


if __name__ == "__main__":
    harness.run([test_soak])
