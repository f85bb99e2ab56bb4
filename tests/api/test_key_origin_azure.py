"""Azure credentials go only to the configured endpoint, over real loopback TCP (issue 14.1).

The configured server answers every request with a redirect: to another port of the same host,
to another host (``localhost`` by name, and ``127.0.0.2`` where the system has it), each a
different origin. Neither the ``api-key`` header nor an Entra ID bearer token may reach them:
the client follows no redirect, for any verb, status or retry, and neither does the ``ftmon``
command. The other servers count what reaches them: nothing may.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_key_origin import Recorder

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.entra import EntraTokens
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings

AZURE_KEY = "0123456789abcdef0123456789abcdef"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-payload.signature"


class OneToken:
    """A credential with one long-lived token (the renewal has its own tests)."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str) -> tuple[str, float]:
        self.calls += 1
        return TOKEN, 4_000_000_000.0


class Server:
    """A loopback server (``host``) that answers every request with ``status`` and ``headers``
    and keeps what came in (:class:`test_key_origin.Recorder`); quick to shut down."""

    def __init__(
        self, status: int = 200, headers: dict[str, str] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.host = host
        self.httpd = ThreadingHTTPServer((host, 0), Recorder)
        self.httpd.seen = []  # type: ignore[attr-defined]
        self.httpd.answer = (status, headers or {})  # type: ignore[attr-defined]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.httpd.server_address[1]}"

    @property
    def seen(self) -> list[tuple[str, str, dict[str, str]]]:
        return self.httpd.seen  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _second_loopback() -> bool:
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
        return True
    except OSError:  # macOS has only 127.0.0.1 unless told
        return False


@pytest.fixture(params=["another port", "localhost", "127.0.0.2"])
def elsewhere(request: pytest.FixtureRequest) -> Iterator[tuple[Server, str]]:
    """A server the redirects point at, and the origin they name."""
    if request.param == "127.0.0.2":
        if not _second_loopback():
            pytest.skip("no second loopback address on this system")
        server = Server(200, {"content-type": "application/json"}, host="127.0.0.2")
        target = server.origin
    else:
        server = Server(200, {"content-type": "application/json"})
        port = server.httpd.server_address[1]
        target = server.origin if request.param == "another port" else f"http://localhost:{port}"
    yield server, target
    server.close()


def azure_settings(origin: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "provider": "azure",
        "auth_header": "api-key",
        "api_key": Secret(AZURE_KEY),
        "base_url": f"{origin}/openai?api-version=2024-10-21",
        "timeout": 5.0,
    }
    values.update(extra)
    return Settings(**values)


CALLS: list[Callable[[FineTuningClient], Awaitable[object]]] = [
    lambda c: c.list_jobs(limit=5),
    lambda c: c.retrieve_job("ftjob-abc"),
    lambda c: c.cancel_job("ftjob-abc"),
    lambda c: c.delete_job("ftjob-abc"),
]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("auth", ["api-key", "entra"])
async def test_a_redirect_never_carries_the_azure_credential(
    status: int, auth: str, elsewhere: tuple[Server, str]
) -> None:
    other, target = elsewhere
    configured = Server(status, {"location": f"{target}/openai/fine_tuning/jobs"})
    credential = OneToken()
    if auth == "entra":
        settings = azure_settings(configured.origin, api_key=None, auth="entra")
        tokens: EntraTokens | None = EntraTokens(credential)
    else:
        settings, tokens = azure_settings(configured.origin), None
    client = FineTuningClient(settings, retry=RetryPolicy(max_attempts=3), tokens=tokens)
    try:
        for call in CALLS:
            with pytest.raises(errors.FtmonApiError) as info:
                await call(client)
            assert f"redirected ({status})" in str(info.value)
            assert AZURE_KEY not in str(info.value) and TOKEN not in str(info.value)
    finally:
        await client.aclose()
        configured.close()
    assert len(configured.seen) >= len(CALLS)  # the configured server got the credential
    for _, path, headers in configured.seen:
        assert path.startswith("/openai/") and "api-version=2024-10-21" in path
        if auth == "entra":
            assert headers.get("Authorization") == f"Bearer {TOKEN}"
        else:
            assert headers.get("api-key") == AZURE_KEY
    assert other.seen == []


def test_the_ftmon_command_does_not_follow_an_azure_redirect(
    elsewhere: tuple[Server, str], tmp_path: Path
) -> None:
    other, target = elsewhere
    configured = Server(307, {"location": f"{target}/openai/v1/fine_tuning/jobs"})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FTMON_", "AZURE_"))}
    env.update(
        AZURE_OPENAI_ENDPOINT=configured.origin,
        AZURE_OPENAI_API_KEY=AZURE_KEY,
        FTMON_CONFIG=str(tmp_path / "absent.toml"),
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ftmon", "--azure", "jobs"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        configured.close()
    assert done.returncode != 0
    assert "redirected (307)" in done.stderr
    assert AZURE_KEY not in done.stdout + done.stderr
    assert configured.seen and configured.seen[0][1].startswith("/openai/v1/fine_tuning/jobs")
    assert configured.seen[0][2].get("api-key") == AZURE_KEY
    assert other.seen == []
