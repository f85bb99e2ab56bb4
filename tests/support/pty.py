"""Run a program in a real pseudo-terminal and watch it as a user and as a profiler would.

The one pty driver of the repository: the pty tests (``tests/tui/test_pty.py``,
``tests/headless``, ``tests/reliability/test_rel_pty.py``, ``tests/e2e``), the benchmarks in
``bench/`` (which import it as ``tests.support.pty``) and ``scripts/reliability.py`` all use it.

Textual's headless ``run_test()`` writes nothing, so what a terminal receives (bytes), what it
shows (a ``pyte`` screen) and what the program costs (CPU, RSS of its process tree) can only be
measured on a real pty. One reader thread drains the master side continuously, so the child never
blocks on a full pty buffer, and timestamps every chunk: that is what the byte counts, the
"first paint" time and the quiet-wait are computed from.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import pyte
from wcwidth import wcwidth

#: Names for the keys the benchmarks and the pty tests press, as a terminal sends them.
KEYS: dict[str, bytes] = {
    "enter": b"\r",
    "tab": b"\t",
    "shift+tab": b"\x1b[Z",
    "escape": b"\x1b",
    "esc": b"\x1b",
    "backspace": b"\x7f",
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "space": b" ",
    "ctrl+c": b"\x03",
    "ctrl+p": b"\x10",
    "ctrl+q": b"\x11",
}


class PtyTimeout(AssertionError):
    """A wait on the screen ran out; the message holds what the screen showed."""


@dataclass(frozen=True)
class Chunk:
    """One read from the master side: when it arrived and how many bytes it held."""

    at: float
    size: int


def _set_winsize(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _make_controlling_tty() -> None:  # pragma: no cover - runs in the child between fork and exec
    # start_new_session already called setsid(); stdin is the pty's slave side.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # A shell starts a program at a terminal with Ctrl-C's SIGINT at its default; a suite run in
    # the background (``nohup pytest &``) would hand it SIGINT ignored, and Ctrl-C would do nothing.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def screen_lines(screen: pyte.Screen) -> list[str]:
    """``screen.display``, also when pyte cannot render it: a cell left holding no character (a
    lone combining mark from hostile text) makes pyte's own rendering raise ``IndexError``, in
    the reader thread, which then stops reading (and the program, its output no longer read,
    stalls). Such a cell reads as a space here."""
    try:
        return list(screen.display)
    except IndexError:
        lines = []
        for y in range(screen.lines):
            row, skip = [], False
            line = screen.buffer[y]
            for x in range(screen.columns):
                if skip:
                    skip = False
                    continue
                data = line[x].data or " "
                row.append(data)
                skip = wcwidth(data[0]) == 2
            lines.append("".join(row))
        return lines


def tree_processes(pid: int) -> list[psutil.Process]:
    """The process and every live descendant (gone ones are skipped)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, reaped children included) used by the process tree so far."""
    total = 0.0
    for proc in tree_processes(pid):
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def close_pty_without_sighup(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    ready: bytes,
    wait: float,
    startup: float = 30.0,
) -> tuple[float | None, float]:
    """Run ``argv`` on a pty that is *not* its controlling terminal (a new session without
    ``TIOCSCTTY``, as under a supervisor), wait until it shows ``ready``, then close the pty:
    no SIGHUP comes at all. Returns the seconds until it exited (None if it still ran after
    ``wait``) and, if it did not exit, the CPU seconds it burned in the next second (a busy
    loop on end-of-file shows here). Raises ``RuntimeError`` if ``ready`` never showed."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        list(argv),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(env),
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    try:
        seen = b""
        deadline = time.monotonic() + startup
        while ready not in seen and time.monotonic() < deadline:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
        if ready not in seen:
            raise RuntimeError(f"{ready!r} never shown; last output: {seen[-300:]!r}")
        start = time.monotonic()
        os.close(master)
        master = -1
        try:
            proc.wait(wait)
            return time.monotonic() - start, 0.0
        except subprocess.TimeoutExpired:
            cpu0 = tree_cpu_seconds(proc.pid)
            time.sleep(1.0)
            return None, tree_cpu_seconds(proc.pid) - cpu0
    finally:
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def tree_rss(pid: int) -> int:
    """Resident bytes of the process tree now."""
    total = 0
    for proc in tree_processes(pid):
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def peak_rss(pid: int) -> int | None:
    """The kernel's high-water mark of resident memory (Linux ``VmHWM``) of one process."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


class PtyProcess:
    """A command running in a pseudo-terminal of ``cols`` x ``rows``, with ``TERM=xterm-256color``.

    The pty is the program's controlling terminal, so Ctrl-C (``"\\x03"``) is a real SIGINT and
    closing the master side (:meth:`hang_up`) a real SIGHUP. ``env`` is the program's whole
    environment (default: this process's); ``COLUMNS``/``LINES`` follow the size unless set, and
    no colour depth is guessed from the parent's terminal: ``truecolor=True`` sets
    ``COLORTERM=truecolor``, as a modern terminal does. Use as a context manager, or call
    :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = 80,
        rows: int = 24,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        keep_raw: bool = True,
        truecolor: bool = False,
    ) -> None:
        self.argv = list(argv)
        self.cols = cols
        self.rows = rows
        self.cwd = cwd
        base = dict(os.environ if env is None else env)
        base["TERM"] = "xterm-256color"
        base.setdefault("COLUMNS", str(cols))
        base.setdefault("LINES", str(rows))
        # Ours is the terminal: no colour-depth (or multiplexer) guess from the parent's terminal.
        for name in ("COLORTERM", "TEXTUAL", "TMUX"):
            base.pop(name, None)
        if truecolor:
            base["COLORTERM"] = "truecolor"
        self.env = base
        self.keep_raw = keep_raw

        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)
        # Re-entrant: a wait_for predicate may itself read the screen.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._chunks: list[Chunk] = []
        self._raw = bytearray()
        self._total = 0
        self._watch: list[tuple[Callable[[str], bool], list[float]]] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self._master = -1
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()
        self._eof = threading.Event()

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> PtyProcess:
        master, slave = os.openpty()
        _set_winsize(slave, self.rows, self.cols)
        self._master = master
        self.started_at = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_make_controlling_tty,  # only an ioctl, then exec
                close_fds=True,
            )
        finally:
            os.close(slave)
        self._reader = threading.Thread(target=self._read_loop, name="pty-reader", daemon=True)
        self._reader.start()
        return self

    def __enter__(self) -> PtyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
            except (OSError, ValueError):
                break
            if not ready:
                continue
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO: every slave side is closed
                data = b""
            now = time.monotonic()
            if not data:
                break
            with self._changed:
                self._chunks.append(Chunk(now, len(data)))
                self._total += len(data)
                if self.keep_raw:
                    self._raw += data
                self._stream.feed(data)
                if self._watch:
                    text = self._text_locked()
                    for predicate, hit in self._watch:
                        if not hit and _safely(predicate, text):
                            hit.append(now)
                self._changed.notify_all()
        self._eof.set()
        with self._changed:
            self._changed.notify_all()

    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def exit_report(self) -> str:
        """How the program ended, and its last screen: what a test says when it should not have
        (an exit code is ftmon's own quit or crash; a signal is something else killing it)."""
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            how = "still running"
        elif code < 0:
            how = f"killed by {signal.Signals(-code).name}"
        else:
            how = f"exit code {code}"
        with self._lock:
            screen = self._text_locked()
        return f"{how}; last screen:\n{screen}"

    def close(self, *, quit_key: bytes | None = b"q", grace: float = 3.0) -> int | None:
        """Stop the program: ``quit_key``, then SIGHUP, then SIGKILL; returns its exit code."""
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is None and quit_key and self._master >= 0:
                self.send(quit_key)
                self._wait(grace)
            if self.proc.poll() is None:
                self.signal(signal.SIGHUP)
                self._wait(grace)
            if self.proc.poll() is None:
                self._kill_tree()
                self._wait(grace)
        finally:
            self._stop.set()
            if self._reader is not None:
                self._reader.join(timeout=2)
            if self._master >= 0:
                os.close(self._master)
                self._master = -1
        return self.proc.returncode

    def hang_up(self) -> None:
        """Close the terminal's master side, as when an SSH link drops: the kernel sends SIGHUP
        to the program (the session leader of this terminal)."""
        self._stop.set()
        if self._reader is not None:
            self._reader.join(timeout=2)
        if self._master >= 0:
            os.close(self._master)
            self._master = -1

    def _wait(self, timeout: float) -> None:
        assert self.proc is not None
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def _kill_tree(self) -> None:
        for proc in reversed(tree_processes(self.pid)):
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass

    def signal(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def wait_exit(self, timeout: float) -> int | None:
        """The exit code, or ``None`` if the program is still running after ``timeout``."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_eof(self, timeout: float = 5.0) -> bool:
        """Wait until the reader has read everything (the last writer of the pty has gone), so
        :meth:`raw_output` holds what the program wrote before it exited."""
        return self._eof.wait(timeout)

    # -- input -----------------------------------------------------------------------------------

    def send(self, data: bytes | str) -> None:
        """Write raw input to the terminal, as if typed."""
        if isinstance(data, str):
            data = data.encode()
        os.write(self._master, data)

    def press(self, *keys: str, gap: float = 0.05) -> None:
        """Press named keys (``"tab"``, ``"escape"``...) or single characters, in order.

        The gap keeps a lone ``escape`` from merging with the next key into one sequence.
        """
        for key in keys:
            self.send(KEYS.get(key, key.encode()))
            if gap:
                time.sleep(gap)

    def type(self, text: str) -> None:
        self.send(text.encode())

    def resize(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        with self._lock:
            self.screen.resize(rows, cols)
        _set_winsize(self._master, rows, cols)
        self.signal(signal.SIGWINCH)

    # -- output ----------------------------------------------------------------------------------

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return self._total

    def raw_output(self) -> bytes:
        """Every byte written to the terminal so far (kept only with ``keep_raw``)."""
        with self._lock:
            return bytes(self._raw)

    def output_since(self, start: float) -> bytes:
        """The bytes that arrived at or after ``start`` (kept only with ``keep_raw``)."""
        with self._lock:
            skipped = sum(c.size for c in self._chunks if c.at < start)
            return bytes(self._raw[skipped:])

    def bytes_between(self, start: float, end: float | None = None) -> int:
        """Bytes that arrived in ``[start, end)`` (monotonic times)."""
        end = time.monotonic() if end is None else end
        with self._lock:
            return sum(c.size for c in self._chunks if start <= c.at < end)

    def last_output_at(self) -> float | None:
        with self._lock:
            return self._chunks[-1].at if self._chunks else None

    def chunks_since(self, start: float) -> list[Chunk]:
        with self._lock:
            return [c for c in self._chunks if c.at >= start]

    def _text_locked(self) -> str:
        return "\n".join(screen_lines(self.screen))

    def text(self) -> str:
        """What the screen shows now, one line per row."""
        with self._lock:
            return self._text_locked()

    def lines(self) -> list[str]:
        with self._lock:
            return list(self.screen.display)

    def line_with(self, needle: str) -> str | None:
        return next((line for line in self.lines() if needle in line), None)

    def cursor(self) -> tuple[int, int]:
        with self._lock:
            return self.screen.cursor.x, self.screen.cursor.y

    # -- waiting ---------------------------------------------------------------------------------

    def wait_for(
        self,
        what: str | re.Pattern[str] | Callable[[str], bool],
        timeout: float = 10.0,
    ) -> float:
        """Wait until the screen shows ``what``; returns the monotonic time it first did.

        ``what`` is a substring, a regular expression, or a predicate on the screen text.
        Raises :class:`PtyTimeout` with the screen's content if it never does.
        """
        predicate = _predicate(what)
        hit: list[float] = []
        deadline = time.monotonic() + timeout
        with self._changed:
            if predicate(self._text_locked()):
                return time.monotonic()
            self._watch.append((predicate, hit))
            try:
                while not hit:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._eof.is_set():
                        break
                    self._changed.wait(min(remaining, 0.1))
            finally:
                self._watch.remove((predicate, hit))
            if hit:
                return hit[0]
            screen = self._text_locked()
        state = "exited" if self.exited() else "running"
        raise PtyTimeout(f"screen never showed {what!r} in {timeout:g}s ({state}):\n{screen}")

    def wait_for_output(self, needle: bytes, timeout: float = 10.0) -> None:
        """Wait until the bytes written so far hold ``needle`` (what a line-mode program
        prints, before the screen wraps or overwrites it). Needs ``keep_raw``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while needle not in self._raw:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._eof.is_set():
                    break
                self._changed.wait(min(remaining, 0.1))
            if needle in self._raw:
                return
            tail = bytes(self._raw[-500:])
        state = "exited" if self.exited() else "running"
        raise PtyTimeout(f"never wrote {needle!r} in {timeout:g}s ({state}); last: {tail!r}")

    def wait_gone(self, what: str | re.Pattern[str], timeout: float = 10.0) -> float:
        """Wait until the screen no longer shows ``what``."""
        predicate = _predicate(what)
        return self.wait_for(lambda text: not predicate(text), timeout)

    def answer_dialog(self, key: str, shows: str | re.Pattern[str], timeout: float = 10.0) -> None:
        """Press ``key`` in a dialog on show until it no longer shows ``shows``, twice at most.

        A confirmation drops a key stamped before it marked itself shown, just after its first
        frame: pressed the instant that frame arrives, on a loaded machine, the key can fall in
        between. A person would press it again; a dialog that ignores the second too fails.
        """
        self.press(key)
        try:
            self.wait_gone(shows, timeout=3)
        except PtyTimeout:
            self.press(key)
            self.wait_gone(shows, timeout=timeout)

    def wait_quiet(self, quiet: float = 0.3, timeout: float = 10.0) -> float:
        """Wait until nothing has been written for ``quiet`` seconds; returns when output last came.

        Returns the start of the quiet spell; raises :class:`PtyTimeout` if it never comes.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            last = self.last_output_at() or self.started_at
            if now - last >= quiet:
                return last
            if now >= deadline:
                raise PtyTimeout(f"output never paused for {quiet:g}s in {timeout:g}s")
            time.sleep(min(quiet - (now - last), deadline - now, 0.05) or 0.01)

    def wait_output_after(self, start: float, timeout: float = 10.0) -> float:
        """Wait for the first byte written at or after ``start``; returns its arrival time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunks = self.chunks_since(start)
            if chunks:
                return chunks[0].at
            time.sleep(0.01)
        raise PtyTimeout(f"nothing written within {timeout:g}s")

    # -- cost ------------------------------------------------------------------------------------

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)

    def rss(self) -> int:
        return tree_rss(self.pid)

    def peak_rss(self) -> int | None:
        """Largest resident set any single process of the tree reached (Linux only)."""
        peaks = [peak_rss(p.pid) for p in tree_processes(self.pid)]
        known = [p for p in peaks if p is not None]
        return max(known) if known else None

    def measure(self, seconds: float) -> Window:
        """Watch for ``seconds`` without touching the program: bytes written and CPU used."""
        cpu0, t0 = self.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = self.cpu_seconds(), time.monotonic()
        return Window(
            seconds=t1 - t0,
            bytes=self.bytes_between(t0, t1),
            cpu_seconds=cpu1 - cpu0,
            rss=self.rss(),
        )


@dataclass(frozen=True)
class Window:
    """What a program cost over a stretch of wall time."""

    seconds: float
    bytes: int
    cpu_seconds: float
    rss: int

    @property
    def cpu_percent(self) -> float:
        return 100.0 * self.cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def bytes_per_minute(self) -> float:
        return 60.0 * self.bytes / self.seconds if self.seconds else 0.0


def _safely(predicate: Callable[[str], bool], text: str) -> bool:
    """A predicate's answer in the reader thread, where an exception must not stop reading."""
    try:
        return bool(predicate(text))
    except Exception:
        return False


def _predicate(what: str | re.Pattern[str] | Callable[[str], bool]) -> Callable[[str], bool]:
    if isinstance(what, str):
        return lambda text: what in text
    if isinstance(what, re.Pattern):
        return lambda text: what.search(text) is not None
    return what
