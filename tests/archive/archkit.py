"""What the archive tests share: a client on a simulated world, a transport that alters answers,
and the archive's files read back."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings

API_KEY = "sk-proj-ARCHIVEKEY0123456789abcdef"
ADMIN_KEY = "sk-admin-ARCHIVEADMIN0123456789"
BASE_URL = "http://sim.test/v1"

#: Called with each request; returns an answer to send instead, or None to pass it on.
Hook = Callable[[httpx.Request], Awaitable[httpx.Response | None]]


class HookTransport(httpx.AsyncBaseTransport):
    """Another transport, with a hook that may answer a request in its place, and a count."""

    def __init__(self, inner: httpx.AsyncBaseTransport, hook: Hook | None = None) -> None:
        self.inner = inner
        self.hook = hook
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if self.hook is not None:
            answer = await self.hook(request)
            if answer is not None:
                return answer
        return await self.inner.handle_async_request(request)


def make_client(
    transport: httpx.AsyncBaseTransport,
    *,
    admin: bool = True,
    retries: int = 0,
    timeout: float = 30.0,
) -> FineTuningClient:
    settings = Settings(
        api_key=Secret(API_KEY),
        admin_key=Secret(ADMIN_KEY) if admin else None,
        base_url=BASE_URL,
        max_retries=retries,
        timeout=timeout,
    )
    return FineTuningClient(settings, transport=transport)


def all_files(directory: Path) -> dict[str, bytes]:
    """Every regular file under ``directory`` by relative path."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "manifest.json").read_text())


def job_entry(directory: Path, job_id: str) -> dict[str, Any]:
    return manifest(directory)["jobs"][job_id]


def read_json(directory: Path, relpath: str) -> Any:
    return json.loads((directory / relpath).read_text())


def events_of(directory: Path, job_id: str) -> list[dict[str, Any]]:
    path = directory / "jobs" / job_id / "events.jsonl"
    size = manifest(directory)["files"][f"jobs/{job_id}/events.jsonl"]["size"]
    return [json.loads(line) for line in path.read_bytes()[:size].splitlines()]


def error_answer(status: int, message: str, request: httpx.Request) -> httpx.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None,
                      "code": None}}  # fmt: skip
    return httpx.Response(status, json=body, request=request)
