"""A webhook sink on 127.0.0.1 in a thread of its own: it keeps every POST's JSON body.

For tests whose code under test runs its own event loop (a command run in process, an app's
Pilot): a server on the test's loop would not answer while that loop is busy elsewhere.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookSink:
    """``with WebhookSink() as sink: ... sink.url ... sink.bodies``."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                raw = self.rfile.read(size)
                try:
                    sink.bodies.append(json.loads(raw))
                except ValueError:
                    sink.bodies.append(raw)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.bodies)
