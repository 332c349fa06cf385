"""harness: runs kchat processes in batch --json mode against the real broker, for CTest.

Each Peer is one `kchat listen` or `kchat connect` process with its own identity and state under a
temporary directory; its stdout events are read by a thread into a list that tests wait on.
Also: a second broker (brokers2()), the kafka_relay tool (Relay, dump()), invitations built by
hand (make_invitation()) and identity files read back (identity_secret()). Standard library only.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback

KCHAT = os.environ.get("KCHAT_BIN", "kchat")
RELAY = os.environ.get("KCHAT_RELAY", "kafka_relay")


def _broker_from(var):
    env = os.environ.get(var)
    if env:
        return env
    path = os.environ.get(var + "_FILE")
    if path and os.path.exists(path):
        with open(path) as f:
            return f.readline().strip()
    sys.exit(f"no broker: set {var} or run through CTest's broker fixture")


SANITIZED = os.environ.get("KCHAT_SANITIZED") == "1"  # ASan build: RSS figures are meaningless


def check_rss(peak_kib, limit_kib, what):
    """Checks a peak RSS against its limit, except in a sanitizer build (shadow memory)."""
    if SANITIZED:
        print(f"(sanitizer build: {what} {peak_kib} KiB not checked against {limit_kib} KiB)")
        return
    check(0 < peak_kib < limit_kib, f"{what} {peak_kib} KiB, limit {limit_kib} KiB")


def brokers():
    return _broker_from("KCHAT_TEST_BROKERS")


def brokers2():
    """The second, independent broker (fixture broker2)."""
    return _broker_from("KCHAT_TEST_BROKERS2")


class Peer:
    """One kchat process in batch --json mode."""

    def __init__(self, name, args, workdir, stdin_lines=None, env=None):
        self.name = name
        self.events = []
        self.times = []  # time.monotonic() when each event was read (kept logs show them)
        self.stderr = []
        self.cond = threading.Condition()
        penv = dict(os.environ)
        penv["XDG_CONFIG_HOME"] = os.path.join(workdir, name, "config")
        penv["XDG_STATE_HOME"] = os.path.join(workdir, name, "state")
        penv.update(env or {})
        self.cmd = [KCHAT] + args + ["--batch", "--json"]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=penv)
        self.out_eof = False
        self.readers = [threading.Thread(target=self._read_out, daemon=True),
                        threading.Thread(target=self._read_err, daemon=True)]
        for t in self.readers:
            t.start()
        if stdin_lines is not None:
            self.send(stdin_lines)
            self.close_stdin()

    def _read_out(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {"event": "unparsable", "line": line}
            with self.cond:
                self.events.append(ev)
                self.times.append(time.monotonic())
                self.cond.notify_all()
        with self.cond:
            self.out_eof = True
            self.cond.notify_all()

    def _read_err(self):
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def send(self, lines):
        data = "".join(line + "\n" for line in lines).encode()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send_slowly(self, lines, interval, close=True):
        """Feeds lines one at a time from a thread; returns the thread."""
        def feed():
            try:
                for line in lines:
                    self.send([line])
                    time.sleep(interval)
                if close:
                    self.close_stdin()
            except (BrokenPipeError, ValueError):
                pass
        t = threading.Thread(target=feed, daemon=True)
        t.start()
        return t

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass

    def texts(self, kind="message"):
        return [e.get("text") for e in self.of(kind)]

    def err_text(self):
        return "\n".join(self.stderr)

    def of(self, kind):
        with self.cond:
            return [e for e in self.events if e.get("event") == kind]

    def wait_for(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0 or self.out_eof:
                    self.dump()
                    raise AssertionError(f"{self.name}: no {what} within {timeout} s")
                self.cond.wait(min(left, 0.2))

    def wait_event(self, kind, timeout=30, **fields):
        def match(e):
            return e.get("event") == kind and all(e.get(k) == v for k, v in fields.items())
        return self.wait_for(match, timeout, f"{kind} {fields}")

    def wait_exit(self, timeout=60):
        """The exit status, once every line the process wrote has been read."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.dump()
            raise AssertionError(f"{self.name} did not exit within {timeout} s")
        for t in self.readers:
            t.join(10)
        return code

    def stop(self, sig=15, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait_exit(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def dump(self):
        print(f"--- {self.name}: {' '.join(self.cmd)}", file=sys.stderr)
        for e in self.events[-60:]:
            print(f"  {json.dumps(e)}", file=sys.stderr)
        for line in self.stderr[-20:]:
            print(f"  stderr: {line}", file=sys.stderr)


class Chat:
    """A temporary directory, the broker address and the peers started in it."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="kchat-e2e-")
        self.dir = self.tmp.name
        self.brokers = brokers()
        self.peers = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def add(self, proc):
        """Registers another process (e.g. a Relay) to be killed on close."""
        self.peers.append(proc)
        return proc

    @staticmethod
    def ensure_identity(extra):
        """An explicit --identity must exist for listen and connect: create it (kchat id)."""
        extra = list(extra)
        if "--identity" in extra:
            path = extra[extra.index("--identity") + 1]
            if not os.path.exists(path):
                kchat_id(path)
        return extra

    def bob(self, *extra, name="bob", brokers=None, **kw):
        args = ["listen", "-b", brokers or self.brokers] + self.ensure_identity(extra)
        p = Peer(name, args, self.dir, **kw)
        self.peers.append(p)
        return p

    def alice(self, invitation, *extra, name="alice", brokers=None, **kw):
        args = ["connect", "-b", brokers or self.brokers] + ([invitation] if invitation else [])
        p = Peer(name, args + self.ensure_identity(extra), self.dir, **kw)
        self.peers.append(p)
        return p

    def close(self):
        for p in self.peers:
            p.kill()
        keep = os.environ.get("KCHAT_E2E_KEEP")  # a directory: every peer's events and stderr
        if keep:
            os.makedirs(keep, exist_ok=True)
            where = tempfile.mkdtemp(prefix="chat-", dir=keep)  # one directory per chat
            for i, p in enumerate(self.peers):
                if isinstance(p, Peer):
                    with open(os.path.join(where, f"{i:02d}-{p.name}.jsonl"), "w") as f:
                        f.writelines(f"{t:.3f} {json.dumps(e)}\n"
                                     for t, e in zip(p.times, p.events))
                        f.writelines(f"stderr: {line}\n" for line in p.stderr)
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Relay:
    """kafka_relay relay between two brokers; its stdout lines are collected."""

    def __init__(self, from_brokers, to_brokers, a2b, b2a, faults=()):
        self.lines = []
        self.cond = threading.Condition()
        self.cmd = [RELAY, "relay", "--from", from_brokers, "--to", to_brokers, "--a2b", a2b,
                    "--b2a", b2a] + list(faults)
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr = []
        self.readers = [threading.Thread(target=self._read, daemon=True),
                        threading.Thread(target=self._read_err, daemon=True)]
        for t in self.readers:
            t.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()

    def _read_err(self):
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while "ready" not in self.lines:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"relay not ready: {self.stderr[-5:]}")
                self.cond.wait(min(left, 0.2))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(30)
        for t in self.readers:
            t.join(10)
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def dump(brokers_, topic):
    """Every record of topic as {"offset", "key", "value", "headers": [(name, value)]}, bytes."""
    out = subprocess.run([RELAY, "dump", "-b", brokers_, "-t", topic], capture_output=True,
                         timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"dump {topic} failed: {out.stderr.decode()[-300:]}")
    records = []
    for line in out.stdout.decode().splitlines():
        f = dict(part.split("=", 1) for part in line.split(" "))
        headers = []
        for h in filter(None, f["headers"].split(",")):
            name, val = h.split(":")
            headers.append((bytes.fromhex(name), bytes.fromhex(val)))
        records.append({"offset": int(f["offset"]),
                        "key": None if f["key"] == "-" else bytes.fromhex(f["key"]),
                        "value": bytes.fromhex(f["value"]), "headers": headers})
    return records


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def make_invitation(a2b, b2a, bob_id, secret):
    """An invitation as kchat formats it: the check is 8 hex digits of SHA-256 over everything
    before it, the last colon included (crypto/invitation.c)."""
    body = f"kchat1:{a2b}:{b2a}:{bob_id}:{b64url(secret)}:"
    return body + hashlib.sha256(body.encode()).hexdigest()[:8]


def split_invitation(text):
    """(a2b, b2a, bob_id, secret bytes) of an invitation (six fields, or seven with brokers)."""
    parts = text.split(":")
    check(len(parts) in (6, 7) and parts[0] == "kchat1", f"unexpected invitation form: {text}")
    return parts[1], parts[2], parts[3], b64url_decode(parts[4])


def identity_secret(path):
    """The 32-byte secret key of a plain identity file (crypto/identity_file.c), and its text."""
    with open(path) as f:
        lines = f.read().split("\n")
    check(lines[0] == "kchat-identity-v1 plain", f"{path}: not a plain identity file")
    return b64url_decode(lines[1]), lines[1], b64url_decode(lines[2])


def kchat_id(identity_path):
    """Creates (if needed) an identity file and returns its identifier."""
    out = subprocess.run([KCHAT, "id", "--identity", identity_path], capture_output=True,
                         timeout=30)
    check(out.returncode == 0, f"kchat id failed: {out.stderr.decode()}")
    return out.stdout.decode().strip().split()[0]


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def run(tests):
    """Runs test functions; prints 'N passed, N failed' last; exits non-zero on failure."""
    passed = failed = 0
    for t in tests:
        t0 = time.monotonic()
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - t0:.1f} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            traceback.print_exc()
            failed += 1
            print(f"FAIL {t.__name__}: {e}", flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)
