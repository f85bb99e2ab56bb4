"""OpenAI's fine-tuning wind-down: a world told to refuse new jobs answers the create with a 403,
and everything else (reads, actions, files) keeps working. On both flavours."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from support.flavors import BOTH, assert_error, world_flavor
from support.simkit import get_json, job_by_suffix

from ftmon.sim.winddown import REFUSED_MESSAGE
from ftmon.sim.world import SimWorld

pytestmark = BOTH
JOBS = "/fine_tuning/jobs"
CONTROL = "http://sim.test/_sim/winddown"


async def _create(client: httpx.AsyncClient) -> httpx.Response:
    files = (await get_json(client, "/files", params={"purpose": "fine-tune"}))["data"]
    body = {"model": "gpt-4o-mini-2024-07-18", "training_file": files[0]["id"]}
    return await client.post(JOBS, json=body)


async def test_creates_are_refused_and_the_rest_works(
    sim_http: httpx.AsyncClient, sim_world: SimWorld, flavor: str
) -> None:
    assert (await _create(sim_http)).status_code in (200, 201)  # allowed by default
    sim_world.refuse_creates = True
    before = sim_world.job_count()
    refused = await _create(sim_http)
    assert refused.status_code == 403
    error = assert_error(refused.json(), flavor, azure_code="forbidden")
    assert error["message"] == REFUSED_MESSAGE
    assert "no longer available" in error["message"] and "keep working" in error["message"]
    if flavor == "openai":
        assert refused.json()["error"] == {
            "message": REFUSED_MESSAGE, "type": "invalid_request_error", "param": None,
            "code": None,
        }  # fmt: skip
    assert sim_world.job_count() == before
    # Only the create is refused: reads, actions and files go on.
    jobs = (await get_json(sim_http, JOBS, params={"limit": 100}))["data"]
    running = job_by_suffix(jobs, "catalog-long")
    assert (await sim_http.get(f"{JOBS}/{running['id']}/events")).status_code == 200
    assert (await sim_http.get(f"{JOBS}/{running['id']}/checkpoints")).status_code == 200
    assert (await sim_http.post(f"{JOBS}/{running['id']}/cancel")).status_code == 200
    upload = await sim_http.post(
        "/files", files={"file": ("t.jsonl", b"{}\n")}, data={"purpose": "fine-tune"}
    )
    assert upload.status_code in (200, 201)
    sim_world.refuse_creates = False
    assert (await _create(sim_http)).status_code in (200, 201)


async def test_a_bad_create_is_refused_the_same(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    # The organisation may not create jobs at all: the body is not looked at.
    sim_world.refuse_creates = True
    assert (await sim_http.post(JOBS, json={})).status_code == 403


async def test_the_control_route(sim_http: httpx.AsyncClient, sim_world: SimWorld) -> None:
    assert await get_json(sim_http, CONTROL) == {"refuse_creates": False}
    on = await sim_http.post(CONTROL, json={"refuse_creates": True})
    assert on.status_code == 200 and on.json() == {"refuse_creates": True}
    assert sim_world.refuse_creates is True
    assert (await _create(sim_http)).status_code == 403
    assert (await get_json(sim_http, "http://sim.test/_sim/stats"))["refuse_creates"] is True
    for bad in ({}, {"refuse_creates": "yes"}, {"refuse_creates": True, "other": 1}):
        assert (await sim_http.post(CONTROL, json=bad)).status_code == 400
    off = await sim_http.post(CONTROL, json={"refuse_creates": False})
    assert off.json() == {"refuse_creates": False}
    assert (await _create(sim_http)).status_code in (200, 201)


def test_a_world_can_start_refusing(flavor: str) -> None:
    world = SimWorld(seed=7, flavor=world_flavor(flavor), refuse_creates=True)
    assert world.refuse_creates and world.stats_snapshot()["refuse_creates"] is True


@pytest.mark.parametrize("flag", [["--refuse-creates"], []])
def test_the_command_line_flag(flavor: str, flag: list[str]) -> None:
    program = (
        "import sys\n"
        "import ftmon.sim.__main__ as m\n"
        "seen = {}\n"
        "m.run_sim = lambda *a, **k: seen.update(k)\n"
        "m.main(sys.argv[1:])\n"
        "print(seen['refuse_creates'], seen['flavor'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", program, "--flavor", world_flavor(flavor), *flag],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert out == [str(bool(flag)), world_flavor(flavor)]
