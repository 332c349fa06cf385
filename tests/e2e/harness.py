"""harness: runs kchat processes in batch --json mode against the real broker, for CTest.

Each Peer is one `kchat listen` or `kchat connect` process with its own identity and state under a
temporary directory; its stdout events are read by a thread into a list that tests wait on.
Standard library only.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

KCHAT = os.environ.get("KCHAT_BIN", "kchat")


def brokers():
    env = os.environ.get("KCHAT_TEST_BROKERS")
    if env:
        return env
    path = os.environ.get("KCHAT_TEST_BROKERS_FILE")
    if path and os.path.exists(path):
        with open(path) as f:
            return f.readline().strip()
    sys.exit("no broker: set KCHAT_TEST_BROKERS or run through CTest's broker fixture")


class Peer:
    """One kchat process in batch --json mode."""

    def __init__(self, name, args, workdir, stdin_lines=None, env=None):
        self.name = name
        self.events = []
        self.stderr = []
        self.cond = threading.Condition()
        penv = dict(os.environ)
        penv["XDG_CONFIG_HOME"] = os.path.join(workdir, name, "config")
        penv["XDG_STATE_HOME"] = os.path.join(workdir, name, "state")
        penv.update(env or {})
        self.cmd = [KCHAT] + args + ["--batch", "--json"]
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=penv)
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
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
                self.cond.notify_all()

    def _read_err(self):
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def send(self, lines):
        data = "".join(line + "\n" for line in lines).encode()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

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
                if left <= 0 or self.proc.poll() is not None and not self._pending(pred):
                    self.dump()
                    raise AssertionError(f"{self.name}: no {what} within {timeout} s")
                self.cond.wait(min(left, 0.2))

    def _pending(self, pred):
        return any(pred(e) for e in self.events)

    def wait_event(self, kind, timeout=30, **fields):
        def match(e):
            return e.get("event") == kind and all(e.get(k) == v for k, v in fields.items())
        return self.wait_for(match, timeout, f"{kind} {fields}")

    def wait_exit(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.dump()
            raise AssertionError(f"{self.name} did not exit within {timeout} s")

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

    def bob(self, *extra, name="bob", brokers=None, **kw):
        args = ["listen", "-b", brokers or self.brokers] + list(extra)
        p = Peer(name, args, self.dir, **kw)
        self.peers.append(p)
        return p

    def alice(self, invitation, *extra, name="alice", brokers=None, **kw):
        args = ["connect", "-b", brokers or self.brokers] + ([invitation] if invitation else [])
        p = Peer(name, args + list(extra), self.dir, **kw)
        self.peers.append(p)
        return p

    def close(self):
        for p in self.peers:
            p.kill()
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
            failed += 1
            print(f"FAIL {t.__name__}: {e}", flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)
