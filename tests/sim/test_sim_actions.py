"""Cancel, pause and resume: the transitions, their events, and 400s in the wrong state.

On both flavours: Azure's differences (``resuming``, ``null`` lists, its error shape) are in
``support.flavors``; the Azure-only rules (delete, pause with a step done) are in
``test_sim_azure.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support.flavors import BOTH, assert_error, azure_errors, no_list, resumed_status
from support.simkit import get_json, job_by_suffix, suffix_of

from ftmon.sim.clock import SimClock

pytestmark = BOTH
JOBS = "/fine_tuning/jobs"


async def _jobs(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    data = (await get_json(client, JOBS, params={"limit": 100}))["data"]
    return {suffix_of(j) or j["id"]: j for j in data}


async def _act(client: httpx.AsyncClient, job_id: str, action: str) -> httpx.Response:
    return await client.post(f"{JOBS}/{job_id}/{action}")


async def _messages(client: httpx.AsyncClient, job_id: str, n: int = 5) -> list[str]:
    data = (await get_json(client, f"{JOBS}/{job_id}/events", params={"limit": n}))["data"]
    return [e["message"] for e in data]


async def test_cancel_an_active_job(
    sim_http: httpx.AsyncClient, sim_clock: SimClock, flavor: str
) -> None:
    job = (await _jobs(sim_http))["support-bot-v3"]
    response = await _act(sim_http, job["id"], "cancel")
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled["status"] == "cancelled" and cancelled["estimated_finish"] is None
    assert (await _messages(sim_http, job["id"]))[0] == "Fine-tuning job cancelled"
    before = await get_json(sim_http, f"{JOBS}/{job['id']}/events", params={"limit": 100})
    sim_clock.advance(7200)
    after = await get_json(sim_http, f"{JOBS}/{job['id']}/events", params={"limit": 100})
    assert after == before  # nothing more happens to a cancelled job
    final = await get_json(sim_http, f"{JOBS}/{job['id']}")
    assert final["status"] == "cancelled" and final["fine_tuned_model"] is None
    assert final["result_files"] == no_list(flavor)


@pytest.mark.parametrize(
    "suffix", ["legal-summarizer", "intent-classifier", "translator-de", "contracts"]
)
async def test_cancel_works_in_every_active_state(sim_http: httpx.AsyncClient, suffix: str) -> None:
    job = (await _jobs(sim_http))[suffix]
    response = await _act(sim_http, job["id"], "cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


@pytest.mark.parametrize("suffix", ["support-bot", "intent-v1", "ranker"])
async def test_cancelling_a_final_job_is_400(
    sim_http: httpx.AsyncClient, suffix: str, flavor: str
) -> None:
    job = (await _jobs(sim_http))[suffix]
    response = await _act(sim_http, job["id"], "cancel")
    assert response.status_code == 400
    error = assert_error(response.json(), flavor, azure_code="unexpectedEntityState")
    assert job["id"] in error["message"]
    assert (await get_json(sim_http, f"{JOBS}/{job['id']}"))["status"] == job["status"]


async def test_pause_then_resume_shifts_the_timeline(
    sim_http: httpx.AsyncClient, sim_clock: SimClock, flavor: str
) -> None:
    job = (await _jobs(sim_http))["catalog-long"]
    url = f"{JOBS}/{job['id']}"
    finish_before = job["estimated_finish"]
    pausing = (await _act(sim_http, job["id"], "pause")).json()
    assert pausing["status"] == "pausing" and pausing["estimated_finish"] is None
    assert (await _messages(sim_http, job["id"]))[0] == "Fine-tuning job pause requested"
    sim_clock.advance(8)
    assert (await get_json(sim_http, url))["status"] == "paused"
    paused_messages = await _messages(sim_http, job["id"], 3)
    assert paused_messages[0].startswith("Fine-tuning job paused at step ")
    step = int(paused_messages[0].rsplit(" ", 1)[1])
    assert paused_messages[2].startswith(f"Step {step}/4500")  # the last step before the pause
    sim_clock.advance(992)  # 1000 s since the pause: no training meanwhile
    assert (await _messages(sim_http, job["id"], 1))[0] == paused_messages[0]
    resumed = (await _act(sim_http, job["id"], "resume")).json()
    assert resumed["status"] == resumed_status(flavor)
    if azure_errors(flavor):
        # Azure resumes in the time a pause takes (8 s here), then runs again.
        assert (await _messages(sim_http, job["id"], 1))[0] == "Fine-tuning job resume requested"
        sim_clock.advance(8)
        resumed = await get_json(sim_http, url)
        assert resumed["status"] == "running"
        finish_before += 8
    assert resumed["estimated_finish"] == finish_before + 1000
    assert (await _messages(sim_http, job["id"], 1))[0] == "Fine-tuning job resumed"
    sim_clock.advance(10)  # 0.8 s a step: 12 or 13 more steps, metrics every 5
    newest = (await get_json(sim_http, f"{url}/events", params={"limit": 1}))["data"][0]
    assert newest["type"] == "metrics" and step < newest["data"]["step"] <= step + 15
    sim_clock.advance(7200)
    done = await get_json(sim_http, url)
    assert done["status"] == "succeeded"
    assert done["finished_at"] == finish_before + 1000


@pytest.mark.parametrize(
    ("suffix", "action"),
    [
        ("legal-summarizer", "pause"),  # queued
        ("intent-classifier", "pause"),  # validating_files
        ("contracts", "pause"),  # already paused
        ("translator-de", "pause"),  # pausing
        ("support-bot", "pause"),  # succeeded
        ("ranker", "pause"),  # cancelled
        ("catalog-long", "resume"),  # running
        ("translator-de", "resume"),  # still pausing
        ("support-bot", "resume"),
        ("intent-v1", "resume"),  # failed
    ],
)
async def test_pause_and_resume_in_the_wrong_state_are_400(
    sim_http: httpx.AsyncClient, suffix: str, action: str, flavor: str
) -> None:
    job = (await _jobs(sim_http))[suffix]
    response = await _act(sim_http, job["id"], action)
    assert response.status_code == 400, response.text
    error = assert_error(response.json(), flavor, azure_code="unexpectedEntityState")
    # The message names the state as the simulator keeps it (OpenAI's name on both).
    shown = {"pending": ("queued", "validating_files")}.get(job["status"], (job["status"],))
    assert any(status in error["message"] for status in shown)


async def test_a_pausing_job_becomes_paused_then_resumes(
    sim_http: httpx.AsyncClient, sim_clock: SimClock, flavor: str
) -> None:
    job = (await _jobs(sim_http))["translator-de"]
    assert job["status"] == "pausing"
    sim_clock.advance(27)
    assert (await get_json(sim_http, f"{JOBS}/{job['id']}"))["status"] == "paused"
    resumed = (await _act(sim_http, job["id"], "resume")).json()
    assert resumed["status"] == resumed_status(flavor)


@pytest.mark.parametrize(
    ("method", "tail"),
    [
        ("GET", ""),
        ("POST", "/cancel"),
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("GET", "/events"),
        ("GET", "/checkpoints"),
    ],
)
async def test_unknown_job_is_404(
    sim_http: httpx.AsyncClient, method: str, tail: str, flavor: str
) -> None:
    response = await sim_http.request(method, f"{JOBS}/ftjob-does-not-exist{tail}")
    assert response.status_code == 404
    error = assert_error(response.json(), flavor, azure_code="notFound")
    assert "ftjob-does-not-exist" in error["message"]


def test_python_level_actions(sim_world: Any, flavor: str) -> None:
    job = job_by_suffix(sim_world.list_jobs(limit=100)[0], "catalog-long")
    assert sim_world.pause_job(job["id"])["status"] == "pausing"
    sim_world.clock.advance(8)
    assert sim_world.resume_job(job["id"])["status"] == resumed_status(flavor)
    assert sim_world.cancel_job(job["id"])["status"] == "cancelled"
