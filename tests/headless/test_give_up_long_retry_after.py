"""A server may now ask for up to two minutes between tries (``Retry-After: 120``, as the
official SDK honours): ``--give-up-after`` still bounds the command, on OpenAI and on Azure.

The installed ``ftmon`` against a loopback server that answers every request 429 with
``Retry-After: 120``: each request alone would sleep two minutes before its next try; the
command must end near the give-up, not after the wait.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.cli import FTMON, program_env

from ftmon import exits

GIVE_UP = 2.0
#: The give-up, the last try it allows, and a slow start on a busy machine: far below 120 s.
SLACK = 15.0
AZURE_KEY = "0123456789abcdef0123456789abcdef"


class Patient(BaseHTTPRequestHandler):
    """429 to everything, asking for two minutes."""

    def do_GET(self) -> None:
        self.server.requests += 1  # type: ignore[attr-defined]
        body = b'{"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}'
        self.send_response(429)
        self.send_header("retry-after", "120")
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Patient)
    httpd.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("provider", ["openai", "azure"])
def test_a_two_minute_retry_after_does_not_outlast_the_give_up(
    server: ThreadingHTTPServer, tmp_path: Path, provider: str
) -> None:
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    config = tmp_path / "config.toml"
    config.write_text("max_retries = 5\n")
    config.chmod(0o600)
    env = program_env(f"{origin}/v1", FTMON_CONFIG=str(config))
    argv = [str(FTMON), "watch", "ftjob-x", "--give-up-after", f"{GIVE_UP:g}"]
    if provider == "azure":
        del env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"]
        env.update(AZURE_OPENAI_ENDPOINT=origin, AZURE_OPENAI_API_KEY=AZURE_KEY)
        argv.append("--azure")
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=GIVE_UP + SLACK
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {GIVE_UP + SLACK:g}s after start: the 120 s wait won")
    took = time.monotonic() - started
    assert done.returncode == exits.UNREACHABLE, done.stderr
    assert GIVE_UP <= took < GIVE_UP + SLACK
    assert "giving up" in done.stderr and "Rate limited (429" in done.stderr
    assert AZURE_KEY not in done.stdout + done.stderr
    assert server.requests >= 1  # type: ignore[attr-defined]
