"""The key goes only to the configured origin (issue 11.4), over real loopback TCP.

Two servers on 127.0.0.1: the configured one answers every request with a redirect to the
other (another port is another origin). httpx would follow a redirect with the same headers if
asked to; the client must not, for any verb, status or retry, and neither must the ``ftmon``
command. The second server counts what reaches it: nothing may.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from apikit import ADMIN_KEY, API_KEY, settings

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with ``server.answer`` and keeps what came in."""

    def _serve(self) -> None:
        server = self.server
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        server.seen.append((self.command, self.path, dict(self.headers.items())))  # type: ignore[attr-defined]
        status, headers = server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", "0")
        self.end_headers()

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server:
    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        self.httpd.seen = []  # type: ignore[attr-defined]
        self.httpd.answer = (status, headers or {})  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def seen(self) -> list[tuple[str, str, dict[str, str]]]:
        return self.httpd.seen  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    server = Server(200, {"content-type": "application/json"})
    yield server
    server.close()


def redirector(status: int, target: str) -> Server:
    return Server(status, {"location": f"{target}/v1/fine_tuning/jobs"})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_origin_never_carries_the_key(
    status: int, elsewhere: Server
) -> None:
    configured = redirector(status, elsewhere.origin)
    client = FineTuningClient(
        settings(base_url=f"{configured.origin}/v1"), retry=RetryPolicy(max_attempts=3)
    )
    try:
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: client.list_jobs(limit=5),
            lambda: client.retrieve_job("ftjob-abc"),
            lambda: client.cancel_job("ftjob-abc"),
            lambda: client.list_permissions("ft:gpt-4o-mini:org::x:ckpt-step-1"),
        ]
        for call in calls:
            with pytest.raises(errors.FtmonApiError) as info:
                await call()
            assert f"redirected ({status})" in str(info.value)
            assert API_KEY not in str(info.value) and ADMIN_KEY not in str(info.value)
    finally:
        await client.aclose()
        configured.close()
    assert len(configured.seen) >= 4  # the configured server was asked, with the key
    assert any(API_KEY in h.get("Authorization", "") for _, _, h in configured.seen)
    assert elsewhere.seen == []


def test_the_ftmon_command_does_not_follow_a_redirect_either(
    elsewhere: Server, tmp_path: Path
) -> None:
    configured = redirector(307, elsewhere.origin)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FTMON_", "AZURE_"))}
    env.update(
        OPENAI_BASE_URL=f"{configured.origin}/v1",
        OPENAI_API_KEY=API_KEY,
        FTMON_CONFIG=str(tmp_path / "absent.toml"),
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ftmon", "jobs"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        configured.close()
    assert done.returncode != 0
    assert "redirected (307)" in done.stderr
    assert API_KEY not in done.stdout + done.stderr
    assert configured.seen and elsewhere.seen == []
