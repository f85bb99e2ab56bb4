"""The /_sim control routes (and their Python equivalents on SimWorld), on both flavours: the
control routes are the same; what a client then reads is in the flavour's shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support.flavors import BOTH, expected_level
from support.simkit import all_pages, get_json
from support.spec import SpecObserver

from ftmon.api.models import FineTuningJob
from ftmon.sim.world import SimWorld

pytestmark = BOTH
SIM = "http://sim.test/_sim"
JOBS = "/fine_tuning/jobs"


async def test_add_fault_list_and_clear(sim_http: httpx.AsyncClient) -> None:
    added = await sim_http.post(
        f"{SIM}/faults", json={"kind": "503", "count": 2, "route": "/files"}
    )
    assert added.status_code == 200 and added.json()["kind"] == "503"
    assert len((await get_json(sim_http, f"{SIM}/faults"))["data"]) == 1
    assert (await sim_http.get("/files")).status_code == 503
    assert (await sim_http.delete(f"{SIM}/faults")).json() == {"cleared": 1}
    assert (await sim_http.get("/files")).status_code == 200
    for bad in [
        {"kind": "418"},
        {"count": 1},
        {"kind": "500", "colour": "red"},
        {"kind": "500", "count": "x"},
    ]:
        response = await sim_http.post(f"{SIM}/faults", json=bad)
        assert response.status_code == 400, bad
        assert "error" in response.json()


async def test_advance_moves_the_clock(sim_http: httpx.AsyncClient, sim_world: SimWorld) -> None:
    before = sim_world.now()
    moved = await sim_http.post(f"{SIM}/advance", json={"seconds": 90})
    assert moved.status_code == 200 and moved.json()["now"] == before + 90
    for bad in [{"seconds": -1}, {"seconds": "1"}, {}]:
        assert (await sim_http.post(f"{SIM}/advance", json=bad)).status_code == 400


async def test_stats_count_requests_per_route(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    job_id = sim_world.list_jobs(limit=1)[0][0]["id"]
    await sim_http.get(JOBS)
    await sim_http.get(JOBS, params={"limit": 2})
    await sim_http.get(f"{JOBS}/{job_id}")
    await sim_http.get(f"{JOBS}/{job_id}/events")
    await sim_http.get("/nowhere")
    stats = await get_json(sim_http, f"{SIM}/stats")
    assert stats["routes"] == {
        "GET /v1/fine_tuning/jobs": 2,
        "GET /v1/fine_tuning/jobs/{fine_tuning_job_id}": 1,
        "GET /v1/fine_tuning/jobs/{fine_tuning_job_id}/events": 1,
        "GET <unmatched>": 1,
    }
    assert stats["total"] == 5 and stats["scenario"] == "default" and stats["jobs"] == 15
    assert sim_world.stats.count("GET", "/v1/fine_tuning/jobs") == 2
    reset = await sim_http.delete(f"{SIM}/stats")
    assert reset.json()["total"] == 0


async def test_events_record_matches_what_a_client_sees(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    job_id = next(j["id"] for j in sim_world.list_jobs(limit=100)[0] if j["status"] == "paused")
    record = await get_json(sim_http, f"{SIM}/events/{job_id}")
    seen = await all_pages(sim_http, f"{JOBS}/{job_id}/events", limit=50)
    assert record["count"] == len(seen) and record["data"] == list(reversed(seen))
    assert (await sim_http.get(f"{SIM}/events/ftjob-none")).status_code == 404
    assert (await sim_http.get(f"{SIM}/nothing")).status_code == 404


async def test_scripted_job_follows_its_script(
    sim_http: httpx.AsyncClient, sim_world: SimWorld, flavor: str
) -> None:
    spec = {
        "id": "ftjob-scripted",
        "model": "gpt-4.1-mini-2025-04-14",
        "suffix": "[/bold]\x1b[31mred",
        "metadata": {"case": "scripted"},
        "status": "queued",
        "events": [
            {"offset_seconds": 0, "message": "Created fine-tuning job: ftjob-scripted"},
            {"offset_seconds": 5, "message": "ESC \x1b[2J in a message", "level": "warn"},
            {"offset_seconds": 10, "type": "metrics", "message": "Step 1/2: training loss=1.00",
             "data": {"step": 1, "total_steps": 2, "train_loss": 1.0}},
            {"offset_seconds": 30, "level": "error", "message": "boom"},
        ],
        "status_timeline": [
            {"offset_seconds": 8, "status": "running"},
            {"offset_seconds": 30, "status": "failed",
             "error": {"code": "server_error", "message": "boom", "param": None}},
        ],
    }  # fmt: skip
    created = await sim_http.post(f"{SIM}/jobs", json=spec)
    assert created.status_code == 200, created.text
    job = created.json()
    assert job["status"] == "queued" and job["user_provided_suffix"] == "[/bold]\x1b[31mred"
    url = f"{JOBS}/ftjob-scripted"
    assert [e["message"] for e in (await get_json(sim_http, f"{url}/events"))["data"]] == [
        "Created fine-tuning job: ftjob-scripted"
    ]
    sim_world.clock.advance(10)
    assert (await get_json(sim_http, url))["status"] == "running"
    events = (await get_json(sim_http, f"{url}/events"))["data"]
    assert [e["level"] for e in events] == ["info", expected_level("warn", flavor), "info"]
    assert events[0]["type"] == "metrics" and events[0]["data"]["train_loss"] == 1.0
    sim_world.clock.advance(20)
    failed = await get_json(sim_http, url)
    assert failed["status"] == "failed" and failed["error"]["code"] == "server_error"
    assert failed["finished_at"] == failed["created_at"] + 30
    assert (await get_json(sim_http, JOBS, params={"limit": 1}))["data"][0][
        "id"
    ] == "ftjob-scripted"
    duplicate = await sim_http.post(f"{SIM}/jobs", json={"id": "ftjob-scripted"})
    assert duplicate.status_code == 400


async def test_a_control_job_can_run_the_real_lifecycle(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    body = {
        "suffix": "quick",
        "lifecycle": {"total_steps": 6, "n_epochs": 2, "seconds_per_step": 2, "validate_seconds": 5,
                      "queue_seconds": 5, "finalize_seconds": 10},
    }  # fmt: skip
    job = (await sim_http.post(f"{SIM}/jobs", json=body)).json()
    assert job["status"] == "validating_files"
    sim_world.clock.advance(40)
    done = await get_json(sim_http, f"{JOBS}/{job['id']}")
    assert done["status"] == "succeeded" and len(done["result_files"]) == 1
    steps = [
        c["step_number"]
        for c in (await get_json(sim_http, f"{JOBS}/{job['id']}/checkpoints"))["data"]
    ]
    assert steps == [6, 3]
    for bad in [
        {"lifecycle": {"warp": 9}},
        {"lifecycle": True, "status": "running"},
        {"events": "x"},
    ]:
        assert (await sim_http.post(f"{SIM}/jobs", json=bad)).status_code == 400


@pytest.mark.sim_off_spec
async def test_off_spec_values_are_served_as_given(
    sim_http: httpx.AsyncClient, spec_observer: SpecObserver
) -> None:
    spec: dict[str, Any] = {
        "id": "ftjob-azure-ish",
        "status": "PENDING",
        "created_at": "2026-05-28T20:00:00Z",
        "result_files": None,
        "error": "something odd",
        "integrations": None,
    }
    assert (await sim_http.post(f"{SIM}/jobs", json=spec)).status_code == 200
    served = await get_json(sim_http, f"{JOBS}/ftjob-azure-ish")
    for key, value in spec.items():
        assert served[key] == value
    parsed = FineTuningJob.model_validate(served)  # and the client's models survive it
    assert parsed.status == "PENDING" and parsed.created_at == 1_779_998_400
    assert spec_observer.problems  # the validator did notice


def test_add_job_in_python_and_future_jobs_appear_later(sim_world: SimWorld) -> None:
    later = sim_world.now() + 60
    sim_world.add_job({"id": "ftjob-later", "created_at": later})
    with pytest.raises(Exception, match="Could not find"):
        sim_world.get_job("ftjob-later")
    assert "ftjob-later" not in {j["id"] for j in sim_world.list_jobs(limit=100)[0]}
    sim_world.clock.advance(60)
    assert sim_world.get_job("ftjob-later")["status"] == "running"
    assert sim_world.list_jobs(limit=1)[0][0]["id"] == "ftjob-later"
