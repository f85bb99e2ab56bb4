"""A real SSH link on loopback: an ``asyncssh`` server that runs a program in the session's pty,
and a throttling TCP proxy to put between it and the system's OpenSSH client.

The server does what ``sshd`` does for an interactive session, and no more: on ``ssh -tt`` it
opens a pseudo-terminal of the client's size, starts the program with it as the controlling
terminal (or, with ``controlling_tty=False``, as a supervisor would, so no SIGHUP can come),
copies bytes both ways, passes window changes on, and closes the terminal when the link drops
(the kernel then hangs the program up). Any user gets in without a password: it listens on
127.0.0.1 only, for one test.

:class:`Throttle` is a loopback TCP proxy that delivers each direction at a fixed rate with a
fixed one-way delay (64 kbit/s and 150 ms by default): a slow link, measured byte by byte.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncssh


def _winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _controlling_tty() -> None:  # pragma: no cover - in the child between fork and exec
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class _Loop:
    """An asyncio loop of its own in a daemon thread, for servers a synchronous test drives."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, listener: Any = None) -> None:
        """Close ``listener`` (a server with ``close()``), cancel every task, end the loop."""

        async def close() -> None:
            if listener is not None:
                listener.close()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


class _Session(asyncssh.SSHServerSession):  # type: ignore[misc]
    """One interactive session: the program on a pty, bytes copied both ways."""

    def __init__(self, server: SshServer) -> None:
        self.server = server
        self.chan: Any = None
        self.size = (80, 24)
        self.term = "xterm-256color"
        self.master = -1
        self.proc: subprocess.Popen[bytes] | None = None
        self._reaper: asyncio.Task[None] | None = None

    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], modes: Any
    ) -> bool:
        self.size = (term_size[0] or 80, term_size[1] or 24)
        self.term = term_type or "xterm-256color"
        return True

    def shell_requested(self) -> bool:
        return True

    def session_started(self) -> None:
        master, slave = os.openpty()
        _winsize(slave, *self.size)
        # As sshd: TERM from the client's request, the size only on the terminal (a COLUMNS or
        # LINES in the environment would pin the program's idea of its size for good).
        env = {k: v for k, v in self.server.env.items() if k not in ("COLUMNS", "LINES")}
        env["TERM"] = self.term
        self.proc = subprocess.Popen(
            list(self.server.argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=_controlling_tty if self.server.controlling_tty else None,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.server.children.append(self.proc)
        loop = asyncio.get_running_loop()
        loop.add_reader(master, self._from_program)
        self._reaper = loop.create_task(self._reap())

    def _from_program(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except OSError:
            data = b""
        if not data:
            self._close_pty()
            return
        try:
            self.chan.write(data)
        except (OSError, asyncssh.Error):
            self._close_pty()

    async def _reap(self) -> None:
        assert self.proc is not None
        await asyncio.get_running_loop().run_in_executor(None, self.proc.wait)
        self._close_pty()
        try:
            self.chan.exit(self.proc.returncode if self.proc.returncode >= 0 else 255)
        except (OSError, asyncssh.Error, BrokenPipeError):
            pass

    def data_received(self, data: bytes, datatype: Any) -> None:
        if self.master >= 0:
            try:
                os.write(self.master, data)
            except OSError:
                pass

    def eof_received(self) -> bool:
        return True  # the client's input ended: keep sending the program's output

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width, height)
        if self.master >= 0:
            _winsize(self.master, width, height)
            # The kernel signals the terminal's foreground group; without a controlling
            # terminal there is none, so say it as sshd's child would see it.
            if self.proc is not None and not self.server.controlling_tty:
                self.proc.send_signal(signal.SIGWINCH)

    def connection_lost(self, exc: Exception | None) -> None:
        # The link dropped (or the client left): as sshd does, close the terminal.
        self._close_pty()

    def _close_pty(self) -> None:
        if self.master >= 0:
            try:
                asyncio.get_running_loop().remove_reader(self.master)
            except RuntimeError:
                pass
            os.close(self.master)
            self.master = -1


class _Server(asyncssh.SSHServer):  # type: ignore[misc]
    def __init__(self, owner: SshServer) -> None:
        self.owner = owner

    def begin_auth(self, username: str) -> bool:
        return False  # no authentication: loopback, one test

    def session_requested(self) -> _Session:
        return _Session(self.owner)


class SshServer:
    """An SSH server on 127.0.0.1 that runs ``argv`` in each interactive session's pty."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        controlling_tty: bool = True,
    ) -> None:
        self.argv = list(argv)
        self.env = dict(os.environ if env is None else env)
        self.controlling_tty = controlling_tty
        self.children: list[subprocess.Popen[bytes]] = []
        self.port = 0
        self._loop = _Loop("ssh-server")
        self._acceptor: Any = None

    def start(self) -> SshServer:
        async def listen() -> Any:
            key = asyncssh.generate_private_key("ssh-ed25519")
            return await asyncssh.create_server(
                lambda: _Server(self),
                "127.0.0.1",
                0,
                server_host_keys=[key],
                encoding=None,
                line_editor=False,
            )

        self._acceptor = self._loop.run(listen())
        self.port = self._acceptor.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.kill()
                child.wait(5)
        self._loop.stop(self._acceptor)

    def __enter__(self) -> SshServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ssh_argv(port: int, *extra: str) -> list[str]:
    """The system's OpenSSH client to ``port`` on loopback, with a pty, no config or known hosts."""
    return [
        "ssh",
        "-tt",
        "-F",
        "/dev/null",
        "-p",
        str(port),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        *extra,
        "ftmon@127.0.0.1",
    ]


class Throttle:
    """A loopback TCP proxy to ``target_port``: each direction at ``bits_per_second``, each
    chunk delivered ``delay`` seconds after it was sent (serialisation, then latency), as a
    slow link does. Counts the bytes each way."""

    def __init__(self, target_port: int, *, bits_per_second: int = 64_000, delay: float = 0.150):
        self.target_port = target_port
        self.rate = bits_per_second / 8.0  # bytes a second
        self.delay = delay
        self.port = 0
        #: Bytes from the server to the client (what a terminal receives), with their times.
        self.down: list[tuple[float, int]] = []
        self.up: list[tuple[float, int]] = []
        self._loop = _Loop("throttle")
        self._server: Any = None
        self._lock = threading.Lock()

    def start(self) -> Throttle:
        async def listen() -> Any:
            return await asyncio.start_server(self._accept, "127.0.0.1", 0)

        self._server = self._loop.run(listen())
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(
                self._pipe(reader, up_writer, self.up),
                self._pipe(up_reader, writer, self.down),
                return_exceptions=True,
            )
        except (asyncio.CancelledError, OSError):
            # The proxy stopping (or the server gone): the link just closes, as a cut one does.
            writer.close()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        log: list[tuple[float, int]],
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    writer.close()
                    return
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        sender = loop.create_task(deliver())
        free_at = loop.time()  # when the link has sent everything queued so far
        try:
            while True:
                data = await reader.read(1024)
                now = loop.time()
                if data:
                    with self._lock:
                        log.append((time.monotonic(), len(data)))
                    free_at = max(free_at, now) + len(data) / self.rate
                    queue.put_nowait((free_at + self.delay, data))
                else:
                    queue.put_nowait((max(free_at, now) + self.delay, b""))
                    break
            await sender
        finally:
            sender.cancel()

    def bytes_down(self, since: float, until: float | None = None) -> int:
        """Bytes the server sent to the client between two ``time.monotonic()`` readings."""
        end = time.monotonic() if until is None else until
        with self._lock:
            return sum(size for at, size in self.down if since <= at <= end)

    def stop(self) -> None:
        self._loop.stop(self._server)

    def __enter__(self) -> Throttle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
