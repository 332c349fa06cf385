"""A chat through broker failover on the 3-node cluster (fixture "cluster"): Alice streams lines to
an echoing Bob while the leader of a2b, then of b2a, is SIGKILLed and restarted
(KCHAT_FAILOVER_ROUNDS rounds; unset, KCHAT_FAILOVER_ROUNDS_DEFAULT, which CTest sets: 10, 1 in a
sanitized build; else 1). Every line is shown by Bob once
and echoed to Alice once, in order; nobody mistakes the election for a silent peer (Alice sends
message 1 once, never "no answer from the peer"); the sides say Kafka is being waited for; the
chat flows again soon after the new leader is elected (figures printed: from the kill to the new
leader, and from the new leader to the next echo). Then Bob is SIGKILLed together with a2b's
leader and resumes: nothing lost, nothing shown twice. Last, Bob is SIGKILLed together with the
coordinator of his consumer group and resumes while that node stays down: he is ready within
READY_AFTER_COORD_S of the new coordinator, nothing lost, nothing shown twice."""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402
from harness import check  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
KAFKA_LOCAL = os.path.join(ROOT, "scripts", "kafka-local")
LEADERS = os.path.join(ROOT, "scripts", "kafka", "leaders.py")
CDIR = os.environ["KCHAT_CLUSTER_DIR"]
ROUNDS = int(os.environ.get("KCHAT_FAILOVER_ROUNDS") or
             os.environ.get("KCHAT_FAILOVER_ROUNDS_DEFAULT") or "1")
FLOW_AFTER_LEADER_S = 5.0  # the target is 2 s; CI shares two cores with the brokers (figures printed)
# A resumed Bob whose group coordinator was killed: ready (state secure) this soon after the new
# coordinator is elected. Measured: 3 to 7 s from the kill to the new coordinator
# (broker.session.timeout.ms=3000), then about 4 s to ready (the coordinator loads the offsets
# partition, a2b's end offset, the handshake); before the fix, never (over 150 s).
READY_AFTER_COORD_S = 15.0
DEBUG_ARGS = os.environ.get("KCHAT_FAILOVER_BOB_ARGS", "").split()  # e.g. "--log FILE -X debug=all"
OFFSETS = "__consumer_offsets"  # kafka-local: one partition, its leader coordinates every group


def bootstrap():
    with open(os.path.join(CDIR, "bootstrap")) as f:
        return f.read().strip()


def leader(brokers, topic):
    """The node leading partition 0 of topic, or None (no leader, or no broker answered)."""
    out = subprocess.run([sys.executable, LEADERS, brokers, "--internal"], capture_output=True,
                         text=True, timeout=20)
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == topic and parts[1] == "0":
            n = int(parts[2].split("=")[1])
            return n if n >= 0 else None
    return None


def kafka_local(*args):
    out = subprocess.run([KAFKA_LOCAL, *args, "--dir", CDIR], capture_output=True, text=True,
                         timeout=240)
    check(out.returncode == 0, f"kafka-local {args}: {out.stderr[-500:]}")


def fail_over(alice, brokers, topic, figures, sent):
    """Kills topic's leader mid-chat, waits for the new leader and for the echo of a line sent
    after the kill, restarts the node."""
    old = None
    deadline = time.monotonic() + 30
    while old is None and time.monotonic() < deadline:
        old = leader(brokers, topic)
    check(old is not None, f"no leader for {topic}")
    mark = len(sent)
    t_kill = time.monotonic()
    kafka_local("kill", str(old))
    new = None
    while time.monotonic() - t_kill < 60:
        new = leader(brokers, topic)
        if new is not None and new != old:
            break
        time.sleep(0.2)
    t_leader = time.monotonic()
    check(new is not None and new != old, f"{topic}: no new leader within 60 s of the kill")
    after_kill = set(sent[mark:mark + 1000])
    alice.wait_for(lambda e: e.get("event") == "echo" and e.get("text") in after_kill, 60,
                   "the echo of a line sent after the kill")
    t_flow = time.monotonic()
    figures.append((topic, t_leader - t_kill, t_flow - t_leader))
    kafka_local("restart", str(old))
    # on the clock of KCHAT_E2E_KEEP's logs
    print(f"{topic}: node {old} killed at {t_kill:.3f}, node {new} led at {t_leader:.3f}, "
          f"echo at {t_flow:.3f}, node {old} back at {time.monotonic():.3f}", flush=True)


def test_chat_through_leader_failover():
    brokers = bootstrap()
    os.environ["KCHAT_TEST_BROKERS"] = brokers  # harness.Chat's default brokers
    with harness.Chat() as chat:
        bob = chat.bob("--echo", brokers=brokers)
        inv = bob.wait_event("invitation")
        alice = chat.alice(inv["invitation"], "--timeout", "900", brokers=brokers)
        alice.wait_event("state", 60, state="secure")
        done = threading.Event()
        sent = []

        def feed():
            i = 0
            while not done.is_set():
                i += 1
                line = f"through the failover {i:05d}"
                alice.send([line])
                sent.append(line)
                time.sleep(0.05)
            alice.close_stdin()

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        figures = []
        for _ in range(ROUNDS):
            for topic in (inv["a2b"], inv["b2a"]):
                fail_over(alice, brokers, topic, figures, sent)
        time.sleep(2)
        done.set()
        feeder.join(10)
        code = alice.wait_exit(300)
        for topic, to_leader, to_flow in figures:
            print(f"{topic}: new leader {to_leader:.1f} s after the kill, "
                  f"next echo {to_flow:.1f} s after the new leader")
        check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")
        got = [e["text"] for e in alice.of("echo")]
        check(got == sent, f"echoes: {len(got)} of {len(sent)}, in order: "
              f"{got == sorted(got)}; missing {sorted(set(sent) - set(got))[:5]}")
        shown = bob.texts()
        check(shown == sent, f"bob showed {len(shown)} of {len(sent)} (each once, in order)")
        hs1 = [e for e in alice.of("handshake") if e.get("step") == 1 and e.get("dir") == "out"]
        check(len(hs1) == 1, f"alice handshook {len(hs1)} times: the election was taken for a "
              "silent peer")
        silent = [e for e in alice.of("state") if "no answer" in e.get("detail", "")]
        check(not silent, f"alice took Kafka's election for a silent peer: {silent}")
        said = [e for p in (alice, bob) for e in p.of("state")
                if "Kafka" in e.get("detail", "") and ("waiting" in e.get("detail", "") or
                                                      "again" in e.get("detail", ""))]
        check(said, "neither side said it was waiting for Kafka")
        for topic, to_leader, to_flow in figures:
            check(to_flow < FLOW_AFTER_LEADER_S,
                  f"{topic}: the chat flowed {to_flow:.1f} s after the new leader")
        check(bob.stop() == 0, "bob did not exit 0")


def test_bob_killed_during_failover():
    """Bob is SIGKILLed together with the leader of a2b and comes back with --resume while the
    cluster elects a new leader: every line is shown once and echoed once."""
    brokers = bootstrap()
    os.environ["KCHAT_TEST_BROKERS"] = brokers
    with harness.Chat() as chat:
        bob, inv, alice, first = chat_under_way(chat, brokers, "before the crash")
        old = leader(brokers, inv["a2b"])
        check(old is not None, "no leader for a2b")
        bob.kill()
        kafka_local("kill", str(old))
        later = [f"after the crash {i:03d}" for i in range(1, 41)]
        alice.send(later)
        bob2 = chat.bob("--echo", "--resume", brokers=brokers, name="bob")
        try:  # the node stays down until the resumed Bob is ready (if it was the coordinator of
            # his group too, he fetches his committed position from the new one)
            bob2.wait_event("state", 60, state="secure")
        finally:
            kafka_local("restart", str(old))
        finish_resumed(alice, bob, bob2, first + later)
        check(bob2.stop() == 0, "the resumed bob did not exit 0")




def chat_under_way(chat, brokers, label):
    """Bob (--echo) and Alice chatting: 40 lines sent, 20 of them echoed."""
    bob = chat.bob("--echo", brokers=brokers)
    inv = bob.wait_event("invitation")
    first = [f"{label} {i:03d}" for i in range(1, 41)]
    alice = chat.alice(inv["invitation"], "--timeout", "600", brokers=brokers)
    alice.send(first)
    alice.wait_for(lambda e: len(alice.of("echo")) >= 20, 60, "20 echoes")
    return bob, inv, alice, first

def finish_resumed(alice, bob, bob2, lines):
    """Alice's input ends; she exits 0 with every line echoed once, and Bob's two processes
    showed every line once between them."""
    alice.close_stdin()
    code = alice.wait_exit(300)
    check(code == 0, f"alice exited {code}: {alice.stderr[-3:]}")
    got = [e["text"] for e in alice.of("echo")]
    check(sorted(got) == sorted(lines) and len(set(got)) == len(got),
          f"echoes: {len(got)} of {len(lines)}, each once: {len(set(got))}")
    shown = bob.texts() + bob2.texts()
    check(sorted(shown) == sorted(lines) and len(set(shown)) == len(shown),
          f"bob showed {len(shown)} lines ({len(set(shown))} different) of {len(lines)}")

def wait_new_leader(brokers, topic, old, t_kill):
    """The time at which topic gets a leader other than old (checked within 60 s)."""
    while time.monotonic() - t_kill < 60:
        new = leader(brokers, topic)
        if new is not None and new != old:
            return time.monotonic()
        time.sleep(0.2)
    check(False, f"{topic}: no new leader within 60 s of the kill")


def test_bob_resumes_without_his_coordinator():
    """Bob is SIGKILLed together with the coordinator of his consumer group and resumes while that
    node is down: he fetches his committed position from the new coordinator (retried within
    his wait), is ready soon after it is elected, and every line is shown once and echoed once."""
    brokers = bootstrap()
    os.environ["KCHAT_TEST_BROKERS"] = brokers
    with harness.Chat() as chat:
        bob, inv, alice, first = chat_under_way(chat, brokers, "before the coordinator")
        time.sleep(1.5)  # Bob's group has committed (every second): the coordinator knows it
        coord = leader(brokers, OFFSETS)
        check(coord is not None, "no coordinator (no leader for __consumer_offsets)")
        bob.kill()
        t_kill = time.monotonic()
        kafka_local("kill", str(coord))
        try:
            later = [f"after the coordinator {i:03d}" for i in range(1, 41)]
            alice.send(later)
            bob2 = chat.bob("--echo", "--resume", *DEBUG_ARGS, brokers=brokers, name="bob")
            t_coord = wait_new_leader(brokers, OFFSETS, coord, t_kill)
            bob2.wait_event("state", 120, state="secure")
            t_ready = time.monotonic()
            print(f"coordinator {coord} killed: new coordinator after {t_coord - t_kill:.1f} s, "
                  f"the resumed Bob ready {t_ready - t_coord:.1f} s after it")
            check(t_ready - t_coord < READY_AFTER_COORD_S,
                  f"the resumed Bob was ready {t_ready - t_coord:.1f} s after the new coordinator")
            alice.wait_for(lambda e: len(alice.of("echo")) >= len(first) + len(later), 60,
                           "every echo with the coordinator down")
        finally:
            kafka_local("restart", str(coord))
        finish_resumed(alice, bob, bob2, first + later)
        said = [e for e in bob2.of("state") if "Kafka" in e.get("detail", "")]
        check(said, "the resumed Bob did not say he was waiting for Kafka")
        check(bob2.stop() == 0, "the resumed bob did not exit 0")


if __name__ == "__main__":
    ALL = [test_chat_through_leader_failover, test_bob_killed_during_failover,
           test_bob_resumes_without_his_coordinator]
    harness.run([t for t in ALL if not sys.argv[1:] or t.__name__ in sys.argv[1:]])
