"""Helpers for the headless tests: small jobs, and a server that never answers well.

A command's result (``Run``), the simulator hooks (``Sim``) and the ``cli`` fixture are the
shared ones: ``support.cli`` and the root ``conftest.py``.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

from ftmon.sim.world import SimWorld


def lifecycle_job(world: SimWorld, suffix: str, **plan: Any) -> str:
    """A small job that validates, queues, runs 30 steps and ends within ~3 simulated minutes."""
    settings = {
        "total_steps": 30,
        "n_epochs": 3,
        "seconds_per_step": 2,
        "validate_seconds": 10,
        "queue_seconds": 10,
        "finalize_seconds": 10,
        **plan,
    }
    return world.add_job({"suffix": suffix, "lifecycle": settings})["id"]


class HostileServer:
    """A loopback HTTP server that never answers well, to run the real ``ftmon`` against.

    ``mode`` is ``"429"`` (every request: 429 with ``Retry-After: 30``), ``"drip"`` (a 200
    whose bytes come one a second, for as long as the client listens) or ``"sink"`` (reads
    nothing and answers nothing: an upload stalls once the socket buffers are full). Threads
    serve each connection; :meth:`close` stops them all.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:  # the 0.2 s timeout, or the socket closed
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        with conn:
            if self.mode == "sink":
                self.requests += 1
                self._stop.wait()
                return
            buffer = b""
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while b"\r\n\r\n" in buffer:  # GETs only: no body to read
                    _, buffer = buffer.split(b"\r\n\r\n", 1)
                    self.requests += 1
                    if not self._answer(conn):
                        return

    def _answer(self, conn: socket.socket) -> bool:
        """Answer one request; False when the connection is done with."""
        try:
            if self.mode == "429":
                body = json.dumps(
                    {
                        "error": {
                            "message": "Rate limit reached for requests",
                            "type": "requests",
                            "code": "rate_limit_exceeded",
                        }
                    }
                ).encode()
                head = (
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                )
                conn.sendall(head.encode() + body)
                return True
            reply = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"id": "' + (
                b"x" * 10_000
            )
            for byte in reply:
                if self._stop.wait(1.0):
                    return False
                conn.sendall(bytes([byte]))
            return False
        except OSError:  # the client went away
            return False

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._accepter.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
