"""``/v1/models``: list, retrieve and delete, consistent with the world's jobs; every answer is
checked against the spec by the ``spec_observer`` fixture (the routes are in the table)."""

from __future__ import annotations

from typing import Any

import httpx
from support.simkit import ADMIN_HEADERS, get_json, job_by_suffix

from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld


async def _models(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    body = await get_json(client, "/models")
    assert body["object"] == "list" and "has_more" not in body
    return {m["id"]: m for m in body["data"]}


async def _jobs(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    return (await get_json(client, "/fine_tuning/jobs", params={"limit": 100}))["data"]


async def test_the_list_holds_base_models_and_every_succeeded_jobs_models(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    models = await _models(sim_http)
    jobs = await _jobs(sim_http)
    org = sim_world.organization_id
    for job in jobs:
        assert job["model"] in models and models[job["model"]]["owned_by"] in {"openai", "system"}
        if job["status"] == "succeeded":
            assert models[job["fine_tuned_model"]]["owned_by"] == org
            checkpoints = await get_json(sim_http, f"/fine_tuning/jobs/{job['id']}/checkpoints")
            for checkpoint in checkpoints["data"]:
                name = checkpoint["fine_tuned_model_checkpoint"]
                assert models[name]["created"] == checkpoint["created_at"]
    made = {j["fine_tuned_model"] for j in jobs if j["fine_tuned_model"]}
    unfinished = [j for j in jobs if j["status"] != "succeeded"]
    for job in unfinished:  # no model of a job that did not succeed, checkpoint or final
        stem = f":{job.get('user_provided_suffix')}:"
        assert not any(stem in name for name in models if name not in made)
    foreign = sim_world.highlights["foreign_model"]
    assert models[foreign]["owned_by"] == org
    assert not any(j["fine_tuned_model"] == foreign for j in jobs)


async def test_retrieve_one_and_an_unknown_one(sim_http: httpx.AsyncClient) -> None:
    job = job_by_suffix(await _jobs(sim_http), "sql-gen")
    name = job["fine_tuned_model"]
    model = await get_json(sim_http, f"/models/{name}")
    assert model == (await _models(sim_http))[name]
    base = await get_json(sim_http, "/models/gpt-4o-mini-2024-07-18")
    assert base["owned_by"] == "system"
    response = await sim_http.get(f"/models/{name}x")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found" and error["param"] == "model"


async def test_delete_a_fine_tuned_model(sim_http: httpx.AsyncClient) -> None:
    job = job_by_suffix(await _jobs(sim_http), "sql-gen")
    name = job["fine_tuned_model"]
    response = await sim_http.delete(f"/models/{name}")
    assert response.status_code == 200
    assert response.json() == {"id": name, "object": "model", "deleted": True}
    assert name not in await _models(sim_http)
    assert (await sim_http.get(f"/models/{name}")).status_code == 404
    again = await sim_http.delete(f"/models/{name}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "model_not_found"
    # The job keeps its fine_tuned_model, as the real API's job is history.
    kept = await get_json(sim_http, f"/fine_tuning/jobs/{job['id']}")
    assert kept["fine_tuned_model"] == name
    # A checkpoint's model is a model too, and can be deleted alone.
    checkpoints = await get_json(sim_http, f"/fine_tuning/jobs/{job['id']}/checkpoints")
    step = next(
        c["fine_tuned_model_checkpoint"]
        for c in checkpoints["data"]
        if "ckpt-step" in c["fine_tuned_model_checkpoint"]
    )
    assert (await sim_http.delete(f"/models/{step}")).status_code == 200
    assert step not in await _models(sim_http)


async def test_a_deleted_model_takes_its_permissions_with_it(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    name = job_by_suffix(await _jobs(sim_http), "sql-gen")["fine_tuned_model"]
    url = f"/fine_tuning/checkpoints/{name}/permissions"
    assert (await sim_http.get(url, headers=ADMIN_HEADERS)).status_code == 200
    await sim_http.delete(f"/models/{name}")
    assert (await sim_http.get(url, headers=ADMIN_HEADERS)).status_code == 404


async def test_a_base_model_cannot_be_deleted(sim_http: httpx.AsyncClient) -> None:
    before = await _models(sim_http)
    for name in ("gpt-4o-mini-2024-07-18", "gpt-3.5-turbo"):
        response = await sim_http.delete(f"/models/{name}")
        assert response.status_code == 403
        assert response.json()["error"]["type"] == "invalid_request_error"
    assert await _models(sim_http) == before


async def test_a_job_that_succeeds_later_adds_its_models(
    sim_http: httpx.AsyncClient, sim_clock: SimClock
) -> None:
    running = [j for j in await _jobs(sim_http) if j["status"] == "running"]
    before = await _models(sim_http)
    sim_clock.advance(30 * 86400)
    after = await _models(sim_http)
    done = [
        j
        for j in await _jobs(sim_http)
        if j["id"] in {r["id"] for r in running} and j["status"] == "succeeded"
    ]
    assert done
    for job in done:
        assert job["fine_tuned_model"] not in before and job["fine_tuned_model"] in after


def test_the_empty_world_lists_only_base_models() -> None:
    world = SimWorld(scenario="empty")
    assert world.list_models()
    assert all(m["owned_by"] in {"openai", "system"} for m in world.list_models())
