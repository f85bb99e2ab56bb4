"""Injected faults look to a client exactly as they would over a real connection.

On both flavours: an injected error has the flavour's error body (Azure's codes for a 5xx are
its spec's ``internalFailure`` and ``serviceUnavailable``, its 429's is ``"429"``).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from support.flavors import BOTH, azure_errors, error_param
from support.simkit import get_json, sim_client_settings

from ftmon.sim.faults import FAULT_KINDS
from ftmon.sim.world import SimWorld

pytestmark = BOTH
JOBS = "/fine_tuning/jobs"
AZURE_CODES = {500: "internalFailure", 502: "serviceUnavailable", 503: "serviceUnavailable"}


@pytest.mark.parametrize(
    ("kind", "status", "error_type"),
    [("500", 500, "server_error"), ("502", 502, "server_error"), ("503", 503, "server_error")],
)
async def test_server_errors(
    sim_http: httpx.AsyncClient,
    sim_world: SimWorld,
    kind: str,
    status: int,
    error_type: str,
    flavor: str,
) -> None:
    sim_world.faults.add(kind)
    response = await sim_http.get(JOBS)
    assert response.status_code == status
    if azure_errors(flavor):
        assert response.json()["error"]["code"] == AZURE_CODES[status]
    else:
        assert response.json()["error"]["type"] == error_type
    assert (await sim_http.get(JOBS)).status_code == 200  # count defaults to 1


async def test_rate_limit_with_retry_after(
    sim_http: httpx.AsyncClient, sim_world: SimWorld, flavor: str
) -> None:
    sim_world.faults.add("429", count=2, retry_after=7)
    for _ in range(2):
        response = await sim_http.get(JOBS)
        assert response.status_code == 429 and response.headers["retry-after"] == "7"
        code = response.json()["error"]["code"]
        assert code == ("429" if azure_errors(flavor) else "rate_limit_exceeded")
    assert (await sim_http.get(JOBS)).status_code == 200
    sim_world.faults.add("429", retry_after=0.25)
    assert (await sim_http.get(JOBS)).headers["retry-after"] == "0.25"
    sim_world.faults.add("429")
    assert "retry-after" not in (await sim_http.get(JOBS)).headers


async def test_drop_is_a_protocol_error(sim_http: httpx.AsyncClient, sim_world: SimWorld) -> None:
    sim_world.faults.add("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        await sim_http.get(JOBS)
    assert (await sim_http.get(JOBS)).status_code == 200


async def test_timeout_outlasts_the_client(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    sim_world.faults.add("timeout")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await sim_http.get(JOBS, timeout=0.2)
    assert 0.15 < time.monotonic() - started < 2


async def test_delay_then_answer(sim_http: httpx.AsyncClient, sim_world: SimWorld) -> None:
    sim_world.faults.add("delay", delay=0.2)
    started = time.monotonic()
    response = await sim_http.post(
        JOBS, json={"model": "gpt-4o-mini", "training_file": "file-none"}
    )  # the body survives the hold
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 400
    assert error_param(response.json()["error"]) == "training_file"


async def test_garbage_is_a_200_that_is_not_json(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    sim_world.faults.add("garbage")
    response = await sim_http.get(JOBS)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


async def test_route_prefix_and_method_limit_a_fault(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    sim_world.faults.add("500", route="/files", count=5)
    assert (await sim_http.get(JOBS)).status_code == 200
    assert (await sim_http.get("/files")).status_code == 500
    sim_world.faults.clear()
    sim_world.faults.add("503", route="/v1/fine_tuning/jobs", method="POST")
    assert (await sim_http.get(JOBS)).status_code == 200
    assert (await sim_http.post(JOBS, json={})).status_code == 503


async def test_duration_faults_expire(sim_http: httpx.AsyncClient, sim_world: SimWorld) -> None:
    sim_world.faults.add("500", duration=0.15)
    assert [(await sim_http.get(JOBS)).status_code for _ in range(3)] == [500, 500, 500]
    await asyncio.sleep(0.2)
    assert (await sim_http.get(JOBS)).status_code == 200


async def test_faults_spare_control_routes_and_are_counted(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    sim_world.faults.add("500", count=3)
    stats = await get_json(sim_http, "http://sim.test/_sim/stats")
    assert stats["active_faults"][0]["kind"] == "500"
    for _ in range(3):
        await sim_http.get(JOBS)
    stats = await get_json(sim_http, "http://sim.test/_sim/stats")
    assert stats["faults_served"] == {"500": 3} and stats["faults_served_total"] == 3
    assert stats["active_faults"] == []


def test_fault_arguments_are_checked(sim_world: SimWorld) -> None:
    assert set(FAULT_KINDS) == {"429", "500", "502", "503", "timeout", "delay", "drop", "garbage"}
    for bad in [{"kind": "404"}, {"kind": "500", "count": 0}, {"kind": "500", "duration": -1}]:
        with pytest.raises(ValueError):
            sim_world.faults.add(**bad)  # type: ignore[arg-type]


# -- the same over real TCP -------------------------------------------------------------------


async def test_faults_over_tcp(sim_tcp: str, sim_world: SimWorld, flavor: str) -> None:
    origin = str(httpx.URL(sim_tcp).copy_with(path="/", query=None)).rstrip("/")
    settings = sim_client_settings(flavor, origin)
    async with httpx.AsyncClient(timeout=5, **settings) as client:
        sim_world.faults.add("drop")
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(JOBS)
        sim_world.faults.add("timeout")
        with pytest.raises(httpx.ReadTimeout):
            await client.get(JOBS, timeout=0.3)
        sim_world.faults.add("garbage")
        garbage = await client.get(JOBS)
        assert garbage.status_code == 200 and garbage.text.startswith("<html>")
        sim_world.faults.add("429", retry_after=3)
        limited = await client.get(JOBS)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
        sim_world.faults.add("delay", delay=0.1)
        started = time.monotonic()
        assert (await client.get(JOBS)).status_code == 200
        assert time.monotonic() - started >= 0.1
        assert (await client.get(JOBS)).status_code == 200
    assert sim_world.faults.served == {"drop": 1, "timeout": 1, "garbage": 1, "429": 1, "delay": 1}
