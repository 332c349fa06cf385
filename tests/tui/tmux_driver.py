"""tmux_driver: drives kchat's terminal UI in a real terminal (tmux) for CTest.

A TmuxSession owns one tmux server (its own socket, so tests never touch the user's tmux) with
named windows; screen() returns what capture-pane shows. Standard library only.
"""
import os
import re
import subprocess
import time


class TmuxSession:
    def __init__(self, name, width=160, height=40):
        self.socket = f"kchat-test-{os.getpid()}-{name}"
        self.name = name
        self.width, self.height = width, height
        self.started = False

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.socket] + list(args), check=check,
                              capture_output=True, text=True)

    def window(self, win, command, env, width=None):
        envs = " ".join(f"{k}={v}" for k, v in env.items())
        shell = f"env {envs} TERM=xterm-256color {command}; echo EXIT=$?; sleep 30"
        if not self.started:
            self.tmux("new-session", "-d", "-s", self.name, "-n", win, "-x", str(self.width),
                      "-y", str(self.height), shell)
            self.started = True
        else:
            r = self.tmux("new-window", "-d", "-t", self.name, "-n", win, shell, check=False)
            if r.returncode:
                raise AssertionError(f"tmux new-window: {r.stderr}")
        self.tmux("resize-window", "-t", f"{self.name}:{win}", "-x", str(width or self.width),
                  "-y", str(self.height), check=False)

    def screen(self, win):
        r = self.tmux("capture-pane", "-p", "-t", f"{self.name}:{win}", check=False)
        if r.returncode:
            windows = self.tmux("list-windows", "-a", check=False).stdout
            raise AssertionError(f"no window {win} ({r.stderr.strip()}); windows:\n{windows}")
        return r.stdout

    def joined(self, win):
        """The screen with wrapped lines joined, for finding long strings."""
        return self.tmux("capture-pane", "-p", "-J", "-t", f"{self.name}:{win}").stdout

    def keys(self, win, *keys):
        self.tmux("send-keys", "-t", f"{self.name}:{win}", *keys)

    def type(self, win, text):
        self.tmux("send-keys", "-t", f"{self.name}:{win}", "-l", text)
        self.keys(win, "Enter")

    def resize(self, win, width, height):
        self.tmux("resize-window", "-t", f"{self.name}:{win}", "-x", str(width), "-y",
                  str(height))

    def wait(self, win, pattern, timeout=30, joined=False):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            text = self.joined(win) if joined else self.screen(win)
            m = rx.search(text)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"window {win}: /{pattern}/ not seen in {timeout} s; "
                                     f"screen:\n{text}")
            time.sleep(0.2)

    def close(self):
        self.tmux("kill-server", check=False)
