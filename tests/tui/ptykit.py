"""Run ftmon in a real pseudo-terminal and count what it writes.

``run_test()`` is headless and writes nothing, so the bytes a terminal receives (the cost of a
repaint over SSH), idleness and hang-up behaviour are measured here, on the master side of a pty.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pyte

REPO = Path(__file__).resolve().parents[2]


class PtyRun:
    """A child process on a pty of ``cols`` x ``rows``; a thread drains and timestamps output."""

    def __init__(self, argv: Sequence[str], *, cols: int = 80, rows: int = 24) -> None:
        env = dict(os.environ)
        env.update(
            TERM="xterm-256color",
            COLORTERM="truecolor",
            TZ="UTC",
            PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
            FTMON_CONFIG=str(REPO / "tests" / "tui" / "no-such-config.toml"),
        )
        for name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "OPENAI_BASE_URL", "TMUX"):
            env.pop(name, None)
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - the child
            os.execvpe(argv[0], list(argv), env)
        self.pid = pid
        self.fd = fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.chunks: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self.status: int | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.chunks.append((time.monotonic(), data))
                self.stream.feed(data)

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def bytes_since(self, start: float) -> int:
        with self.lock:
            return sum(len(d) for t, d in self.chunks if t >= start)

    def output_since(self, start: float) -> bytes:
        with self.lock:
            return b"".join(d for t, d in self.chunks if t >= start)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared; the screen:\n{self.text()}")

    def wait_quiet(self, quiet: float = 0.5, timeout: float = 20.0) -> None:
        """Until nothing was written for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                last = self.chunks[-1][0] if self.chunks else 0.0
            if time.monotonic() - last >= quiet:
                return
            time.sleep(0.05)
        raise AssertionError("the app never went quiet")

    def poll_exit(self) -> int | None:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def wait_exit(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.poll_exit() is not None:
                return self.status
            time.sleep(0.02)
        return None

    def close(self) -> None:
        if self.poll_exit() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait_exit(5)
        try:
            os.close(self.fd)
        except OSError:
            pass


def ftmon_argv(*args: str) -> list[str]:
    """The installed entry point, run by this interpreter."""
    return [sys.executable, "-m", "ftmon", *args]


def probe_argv(*args: str) -> list[str]:
    return [sys.executable, str(REPO / "tests" / "tui" / "pty_probe.py"), *args]
