"""Helpers for the client tests: a client on a recording mock transport, with no real sleeping."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings

API_KEY = "sk-test-Zq8xVb3nRt5yLm2wKp9d"
ADMIN_KEY = "sk-admin-Hc4jUe7sFg1oXa6iNv0q"

Handler = Callable[[httpx.Request], httpx.Response]


def job_json(job_id: str = "ftjob-1", **fields: Any) -> dict[str, Any]:
    """A plausible job object as the API sends it."""
    body: dict[str, Any] = {
        "object": "fine_tuning.job",
        "id": job_id,
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": 1721764800,
        "status": "running",
        "training_file": "file-abc",
        "result_files": [],
        "hyperparameters": {"n_epochs": 3},
    }
    body.update(fields)
    return body


def page_json(items: list[dict[str, Any]], *, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": items, "has_more": has_more}


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )


class Harness:
    """A client plus everything it did: requests sent, sleeps asked for, retry hook calls."""

    def __init__(self, handler: Handler, settings: Settings, retry: RetryPolicy | None) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.retries: list[tuple[str, float, int]] = []

        async def fake_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        def on_retry(exc: Exception, delay: float, attempt: int) -> None:
            self.retries.append((type(exc).__name__, delay, attempt))

        self.client = FineTuningClient(
            settings,
            transport=httpx.MockTransport(self._handle),
            retry=retry,
            sleep=fake_sleep,
            on_retry=on_retry,
        )

    def _handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.handler(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": Secret(API_KEY),
        "admin_key": Secret(ADMIN_KEY),
        "base_url": "https://api.example.test/v1",
        "timeout": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


# -- the spec ------------------------------------------------------------------------------

SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "openai-spec"
SPEC_FILE = SPEC_PATH / "fine_tuning.openapi.yaml"


@functools.cache
def spec() -> dict[str, Any]:
    with open(SPEC_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join("([^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$")


def spec_operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec's (path template, operation) for a request path relative to the base URL."""
    for template, ops in spec()["paths"].items():
        if _template_regex(template).match(path) and method.lower() in ops:
            return template, ops[method.lower()]
    raise AssertionError(f"{method} {path} is not an operation of the spec")


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow one ``$ref`` inside the spec."""
    ref = schema.get("$ref")
    if not ref:
        return schema
    node: Any = spec()
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node
