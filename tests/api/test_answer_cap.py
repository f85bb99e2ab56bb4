"""No answer may hold more than ``max_answer_bytes`` once decoded: a gzip bomb and a body that
never ends stop at the cap with a clear error, and a real answer under it reads as before."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx
import pytest
from apikit import API_KEY, job_json

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.config import ConfigError, Secret, Settings, load_settings

CAP = 1 << 20  # 1 MiB for the tests


def client_for(handler: httpx.MockTransport, cap: int = CAP) -> FineTuningClient:
    settings = Settings(
        api_key=Secret(API_KEY), base_url="http://127.0.0.1:9/v1", max_answer_bytes=cap
    )
    return FineTuningClient(settings, transport=handler, retry=RetryPolicy(max_attempts=1))


async def test_a_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"0" * (200 << 20), compresslevel=9)  # 200 MiB in ~200 KB
    assert len(bomb) < CAP
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            headers={"content-encoding": "gzip", "content-type": "application/json"},
            content=bomb,
        )
    )
    async with client_for(transport) as client:
        with pytest.raises(errors.ResponseTooLargeError) as caught:
            await client.retrieve_job("ftjob-1")
    assert "passed 1 MiB once decoded" in str(caught.value)
    assert "max_answer_bytes" in str(caught.value)
    assert not caught.value.retryable


async def test_an_endless_body_stops_at_the_cap() -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        while True:
            sent += 65536
            yield b" " * 65536

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=endless()))
    async with client_for(transport) as client:
        with pytest.raises(errors.ResponseTooLargeError):
            await client.list_jobs()
    assert CAP < sent <= CAP + 2 * 65536  # read one chunk past the cap, then stopped


async def test_an_answer_under_the_cap_reads_as_before() -> None:
    body = httpx.Response(200, json=job_json("ftjob-7")).content
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            headers={"content-encoding": "gzip", "content-type": "application/json"},
            content=gzip.compress(body),
        )
    )
    async with client_for(transport) as client:
        job = await client.retrieve_job("ftjob-7")
    assert job.id == "ftjob-7"


def test_the_cap_is_a_setting_with_a_floor(tmp_path: object) -> None:
    config = tmp_path / "config.toml"  # type: ignore[operator]
    config.write_text("max_answer_bytes = 2097152\n")
    assert load_settings(config_path=config, env={}).max_answer_bytes == 2 << 20
    config.write_text("max_answer_bytes = 10\n")
    with pytest.raises(ConfigError, match="max_answer_bytes must be a whole number of bytes"):
        load_settings(config_path=config, env={})
    assert Settings().max_answer_bytes == 64 << 20
