"""The azure flavour's own rules: routes and api-version, keys and Entra ID tokens, the request
id, Azure's fields, the job delete, pause only with a step done, and the official SDK's
``AzureOpenAI`` client over TCP. (What both flavours share runs on both in the other modules.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import httpx
import openai
import pytest
from support.azure_spec import AzureSpecChecker, default_checker, load_spec
from support.simkit import AZURE_KEY, SIM_START, get_json, job_by_suffix

from ftmon.sim import azure
from ftmon.sim.clock import SimClock
from ftmon.sim.server import running_sim
from ftmon.sim.world import SimWorld

pytestmark = [
    pytest.mark.parametrize("flavor", ["azure"]),
    pytest.mark.usefixtures("flavor"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
JOBS = "/fine_tuning/jobs"
VERSION = {"api-version": azure.API_VERSION}
KEY = {"api-key": AZURE_KEY}


@pytest.fixture
async def raw(sim_transport: httpx.AsyncBaseTransport) -> Any:
    """A client with no key, no api-version and no base path: every request says it all."""
    async with httpx.AsyncClient(transport=sim_transport, base_url="http://sim.test") as client:
        yield client


async def _jobs(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    data = (await get_json(client, JOBS, params={"limit": 100}))["data"]
    return {j["suffix"] or j["id"]: j for j in data}


# -- routes, api-version, request ids -----------------------------------------------------------


async def test_dated_routes_need_an_api_version(raw: httpx.AsyncClient) -> None:
    for params in ({}, {"api-version": ""}, {"api-version": "latest"}):
        response = await raw.get("/openai/fine_tuning/jobs", params=params, headers=KEY)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}
    dated = await raw.get("/openai/fine_tuning/jobs", params=VERSION, headers=KEY)
    assert dated.status_code == 200 and len(dated.json()["data"]) == 15
    older = await raw.get("/openai/files", params={"api-version": "2024-10-21"}, headers=KEY)
    assert older.status_code == 200


async def test_v1_routes_take_api_version_or_none(raw: httpx.AsyncClient) -> None:
    bare = await raw.get("/openai/v1/fine_tuning/jobs", headers=KEY)
    versioned = await raw.get(
        "/openai/v1/fine_tuning/jobs", params={"api-version": "preview"}, headers=KEY
    )
    assert bare.status_code == versioned.status_code == 200
    assert bare.json() == versioned.json()


async def test_v1_routes_answer_in_openais_shapes(raw: httpx.AsyncClient) -> None:
    v1 = (await raw.get("/openai/v1/fine_tuning/jobs", headers=KEY)).json()["data"]
    dated = (await raw.get("/openai/fine_tuning/jobs", params=VERSION, headers=KEY)).json()["data"]
    assert [j["id"] for j in v1] == [j["id"] for j in dated]
    v1_job = next(j for j in v1 if j["id"] == dated[0]["id"])
    by_id = {j["id"]: j for j in v1}
    for job in dated:
        twin = by_id[job["id"]]
        assert twin["user_provided_suffix"] == job["suffix"] and "suffix" not in twin
        assert twin["organization_id"] and "organization_id" not in job
        assert isinstance(twin["result_files"], list)
    statuses = {j["status"] for j in v1}
    assert {"validating_files", "queued"} <= statuses and "pending" not in statuses
    assert "auto" in v1_job["hyperparameters"].values() or v1_job["status"] != "validating_files"
    # Created on v1: 200 and OpenAI's job; errors in Azure's shape on both.
    files = (await raw.get("/openai/v1/files", headers=KEY)).json()["data"]
    training = next(f["id"] for f in files if f["purpose"] == "fine-tune")
    body = {"model": "gpt-4o-mini-2024-07-18", "training_file": training}
    created = await raw.post("/openai/v1/fine_tuning/jobs", json=body, headers=KEY)
    assert created.status_code == 200 and created.json()["status"] == "validating_files"
    bad = await raw.post("/openai/v1/fine_tuning/jobs", json={"model": "x"}, headers=KEY)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalidPayload"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/fine_tuning/jobs"),  # OpenAI's route
        ("GET", "/dated/fine_tuning/jobs"),  # the app's own route for the dated ones
        ("GET", "/openai/v1/fine_tuning/checkpoints/ft:x/permissions"),
        ("POST", "/openai/v1/fine_tuning/checkpoints/ft:x/permissions"),
        ("POST", "/openai/v1/fine_tuning/alpha/graders/validate"),
        ("GET", "/openai/v1/models/nothing-here"),
        ("PATCH", "/openai/v1/fine_tuning/jobs"),
        ("GET", "/"),
    ],
)
async def test_routes_azure_does_not_have_are_its_404(
    raw: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await raw.request(method, path, headers=KEY)
    assert response.status_code == 404
    assert response.json() == azure.NOT_FOUND
    # Asked without a key, the route is still unknown first.
    assert (await raw.request(method, path)).status_code == 404


async def test_every_response_has_an_apim_request_id(
    raw: httpx.AsyncClient, sim_http: httpx.AsyncClient
) -> None:
    answers = [
        await sim_http.get(JOBS),
        await sim_http.get(f"{JOBS}/ftjob-missing"),
        await raw.get("/openai/fine_tuning/jobs", headers=KEY),  # no api-version
        await raw.get("/openai/v1/files"),  # no key
        await raw.get("/_sim/stats"),
    ]
    ids = [a.headers["apim-request-id"] for a in answers]
    assert len(set(ids)) == len(ids)
    for answer, request_id in zip(answers, ids, strict=True):
        assert len(request_id) == 36 and request_id.count("-") == 4
        assert request_id.replace("-", "") == answer.headers["x-request-id"].removeprefix("req_")


# -- keys and Entra ID tokens -------------------------------------------------------------------


async def test_missing_key_is_azures_401(raw: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Basic abc"}, {"api-key": " "}):
        response = await raw.get("/openai/v1/fine_tuning/jobs", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"statusCode": 401, "message": azure.MISSING_KEY_MESSAGE}


async def test_any_api_key_works_and_an_invalid_one_is_401_not_echoed(
    raw: httpx.AsyncClient,
) -> None:
    assert (await raw.get("/openai/v1/files", headers={"api-key": "anything"})).status_code == 200
    bad = await raw.get("/openai/v1/files", headers={"api-key": "sk-invalid-secret123"})
    assert bad.status_code == 401
    assert bad.json()["error"] == {"code": "401", "message": azure.INVALID_KEY_MESSAGE}
    assert "secret123" not in bad.text


async def test_entra_tokens_work_until_they_expire(
    raw: httpx.AsyncClient, sim_world: SimWorld, sim_clock: SimClock
) -> None:
    token, expires_on = sim_world.mint_entra_token(300)
    assert expires_on == SIM_START + 300
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await raw.get("/openai/v1/fine_tuning/jobs", headers=bearer)).status_code == 200
    sim_clock.advance(299)
    assert (await raw.get("/openai/v1/fine_tuning/jobs", headers=bearer)).status_code == 200
    sim_clock.advance(1)
    expired = await raw.get("/openai/v1/fine_tuning/jobs", headers=bearer)
    assert expired.status_code == 401
    assert expired.json() == {"statusCode": 401, "message": azure.BAD_TOKEN_MESSAGE}
    fresh, later = sim_world.mint_entra_token(60)
    assert fresh != token and later == SIM_START + 360
    ok = await raw.get("/openai/v1/fine_tuning/jobs", headers={"Authorization": f"Bearer {fresh}"})
    assert ok.status_code == 200


async def test_an_unknown_bearer_token_is_401(raw: httpx.AsyncClient) -> None:
    # An OpenAI key, or a token this world never minted.
    for value in ("sk-test-0000", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.forged.x"):
        response = await raw.get("/openai/v1/files", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401
        assert response.json() == {"statusCode": 401, "message": azure.BAD_TOKEN_MESSAGE}


def test_token_lifetimes_are_checked(sim_world: SimWorld) -> None:
    with pytest.raises(ValueError):
        sim_world.mint_entra_token(0)
    assert not sim_world.entra_token_valid("never-minted")


async def test_a_rate_limit_names_the_operation(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    sim_world.faults.add("429", retry_after=2.5)
    limited = await sim_http.get(f"{JOBS}/ftjob-x/events")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2.5"
    error = limited.json()["error"]
    assert error["code"] == "429" and set(error) == {"code", "message"}
    assert error["message"].startswith(
        "Requests to the FineTuning_GetEvents Operation under Azure OpenAI API version "
        f"{azure.API_VERSION} have exceeded call rate limit"
    )
    assert "Please retry after 3 seconds." in error["message"]


def test_every_route_has_its_operation_id(sim_world: SimWorld) -> None:
    from ftmon.sim.api import OpenAIApi

    routes = {(m, t) for m, t, *_ in OpenAIApi(sim_world).azure_table()}
    assert routes == set(azure.OPERATIONS)
    spec_ids = {
        op["operationId"]
        for item in load_spec()["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    }
    assert set(azure.OPERATIONS.values()) == spec_ids


# -- shapes -------------------------------------------------------------------------------------


async def test_jobs_have_azures_statuses_and_fields(sim_http: httpx.AsyncClient) -> None:
    jobs = await _jobs(sim_http)
    assert {j["status"] for j in jobs.values()} == {
        "pending", "running", "pausing", "paused", "succeeded", "failed", "cancelled",
    }  # fmt: skip
    assert jobs["intent-classifier"]["status"] == "pending"  # OpenAI: validating_files
    assert jobs["legal-summarizer"]["status"] == "pending"  # OpenAI: queued
    for job in jobs.values():
        assert "user_provided_suffix" not in job and "organization_id" not in job
        assert job["result_files"] is None or job["status"] == "succeeded"
    done = jobs["support-bot"]
    assert done["result_files"] and done["suffix"] == "support-bot"
    pending = jobs["intent-classifier"]["hyperparameters"]
    assert -1 in pending.values() and "auto" not in pending.values()


async def test_create_and_upload_answer_201(sim_http: httpx.AsyncClient) -> None:
    upload = await sim_http.post(
        "/files",
        files={"file": ("train.jsonl", b'{"messages": []}\n')},
        data={"purpose": "fine-tune"},
    )
    assert upload.status_code == 201 and upload.json()["status"] == "processed"
    created = await sim_http.post(
        JOBS, json={"model": "gpt-4o-mini-2024-07-18", "training_file": upload.json()["id"]}
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending" and created.json()["suffix"] is None


async def test_a_bad_create_is_azures_400(sim_http: httpx.AsyncClient) -> None:
    response = await sim_http.post(JOBS, json={"model": "gpt-4o-mini"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalidPayload",
            "message": "Missing required parameter: 'training_file'.",
            "target": "training_file",
        }
    }


# -- delete -------------------------------------------------------------------------------------


async def test_delete_a_finished_job(sim_http: httpx.AsyncClient, sim_world: SimWorld) -> None:
    jobs = await _jobs(sim_http)
    for suffix in ("support-bot", "intent-v1", "ranker"):  # succeeded, failed, cancelled
        job_id = jobs[suffix]["id"]
        response = await sim_http.delete(f"{JOBS}/{job_id}")
        assert response.status_code == 204 and response.content == b""
        gone = await sim_http.get(f"{JOBS}/{job_id}")
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "notFound"
        again = await sim_http.delete(f"{JOBS}/{job_id}")
        assert again.status_code == 404
    left = (await get_json(sim_http, JOBS, params={"limit": 100}))["data"]
    assert len(left) == 12 and sim_world.job_count() == 12
    # Paging still works around the holes.
    assert [j["id"] for j in left] == [j["id"] for j in sim_world.list_jobs(limit=100)[0]]


@pytest.mark.parametrize(
    "suffix",
    ["intent-classifier", "legal-summarizer", "catalog-long", "translator-de", "contracts"],
)
async def test_deleting_a_job_not_ended_is_refused(
    sim_http: httpx.AsyncClient, suffix: str
) -> None:
    job = (await _jobs(sim_http))[suffix]
    response = await sim_http.delete(f"{JOBS}/{job['id']}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unexpectedEntityState" and job["id"] in error["message"]
    assert (await sim_http.get(f"{JOBS}/{job['id']}")).status_code == 200


async def test_openai_has_no_job_delete(sim_world: SimWorld) -> None:
    from ftmon.sim.app import create_app
    from ftmon.sim.transport import sim_transport

    world = SimWorld(seed=7, clock=SimClock(start=SIM_START, speed=0))
    done = job_by_suffix(world.list_jobs(limit=100)[0], "support-bot")
    async with httpx.AsyncClient(
        transport=sim_transport(create_app(world)),
        base_url="http://sim.test/v1",
        headers={"Authorization": "Bearer sk-test"},
    ) as client:
        response = await client.delete(f"{JOBS}/{done['id']}")
    assert response.status_code == 404 and "Invalid URL" in response.json()["error"]["message"]


# -- pause and resume ---------------------------------------------------------------------------


def _lifecycle_job(world: SimWorld, seconds_per_step: float = 1.0) -> str:
    spec = {
        "model": "gpt-4o-mini-2024-07-18",
        "lifecycle": {"total_steps": 30, "n_epochs": 3, "seconds_per_step": seconds_per_step},
    }
    return str(world.add_job(spec)["id"])


async def test_pause_needs_a_trained_step(
    sim_http: httpx.AsyncClient, sim_world: SimWorld, sim_clock: SimClock
) -> None:
    job_id = _lifecycle_job(sim_world)
    sim_clock.advance(90.5)  # 30 s validating, 60 s queued: running, no step done yet
    assert (await get_json(sim_http, f"{JOBS}/{job_id}"))["status"] == "running"
    early = await sim_http.post(f"{JOBS}/{job_id}/pause")
    assert early.status_code == 400
    assert early.json()["error"]["code"] == "unexpectedEntityState"
    assert "training step" in early.json()["error"]["message"]
    sim_clock.advance(1)  # step 1 done
    assert (await sim_http.post(f"{JOBS}/{job_id}/pause")).json()["status"] == "pausing"


async def test_pausing_makes_a_deployable_checkpoint(
    sim_http: httpx.AsyncClient, sim_world: SimWorld, sim_clock: SimClock
) -> None:
    job_id = _lifecycle_job(sim_world)
    sim_clock.advance(90 + 4.5)  # step 4 done; the first epoch's checkpoint comes at step 10
    url = f"{JOBS}/{job_id}"
    assert (await get_json(sim_http, f"{url}/checkpoints"))["data"] == []
    assert (await sim_http.post(f"{url}/pause")).json()["status"] == "pausing"
    sim_clock.advance(8)
    assert (await get_json(sim_http, url))["status"] == "paused"
    checkpoints = (await get_json(sim_http, f"{url}/checkpoints"))["data"]
    assert [c["step_number"] for c in checkpoints] == [4]
    assert checkpoints[0]["fine_tuned_model_checkpoint"].endswith(":ckpt-step-4")
    resumed = (await sim_http.post(f"{url}/resume")).json()
    assert resumed["status"] == "resuming"
    assert (await sim_http.post(f"{url}/pause")).status_code == 400  # not while resuming
    sim_clock.advance(8)
    assert (await get_json(sim_http, url))["status"] == "running"
    sim_clock.advance(3600)
    done = await get_json(sim_http, url)
    assert done["status"] == "succeeded"
    steps = [c["step_number"] for c in (await get_json(sim_http, f"{url}/checkpoints"))["data"]]
    assert steps == [30, 20, 10]  # the pause's checkpoint gave way to the epochs' as usual


async def test_a_resuming_job_can_be_cancelled(
    sim_http: httpx.AsyncClient, sim_world: SimWorld, sim_clock: SimClock
) -> None:
    job_id = _lifecycle_job(sim_world)
    sim_clock.advance(95)
    await sim_http.post(f"{JOBS}/{job_id}/pause")
    sim_clock.advance(8)
    assert (await sim_http.post(f"{JOBS}/{job_id}/resume")).json()["status"] == "resuming"
    cancelled = await sim_http.post(f"{JOBS}/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


# -- the demo's base URL and the server ---------------------------------------------------------


def test_demo_base_url_is_the_dated_routes() -> None:
    url = httpx.URL(azure.DEMO_BASE_URL)
    assert url.host.endswith(".invalid") and url.path == "/openai"
    assert url.params["api-version"] == azure.API_VERSION == load_spec()["info"]["version"]
    assert azure.DEMO_V1_BASE_URL == f"{azure.DEMO_ENDPOINT}/openai/v1"


def test_the_server_prints_azures_base_url(sim_world: SimWorld) -> None:
    with running_sim(world=sim_world) as sim:
        url = httpx.URL(sim.base_url)
        assert url.host == "127.0.0.1" and url.path == "/openai"
        assert url.params["api-version"] == azure.API_VERSION
        answer = httpx.get(
            sim.base_url.replace("/openai?", "/openai/fine_tuning/jobs?"), headers=KEY
        )
        assert answer.status_code == 200 and answer.headers["apim-request-id"]


def test_the_module_serves_azure_with_its_flags() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = ["--port", "0", "--speed", "0", "--flavor", "azure", "--refuse-creates"]
    process = subprocess.Popen(
        [sys.executable, "-m", "ftmon.sim", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = httpx.URL(process.stdout.readline().strip())
        assert first.host == "127.0.0.1" and first.path == "/openai"
        assert first.params["api-version"] == azure.API_VERSION
        control = first.copy_with(path="/_sim/winddown", query=None)
        for _ in range(200):  # the URL is printed before uvicorn finishes starting
            try:
                answer = httpx.get(control)
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        assert answer.json() == {"refuse_creates": True}
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- the official SDK's Azure client over TCP ---------------------------------------------------


def test_the_openai_sdks_azure_client(sim_tcp: str, sim_world: SimWorld) -> None:
    endpoint = str(httpx.URL(sim_tcp).copy_with(path="/", query=None)).rstrip("/")
    client = openai.AzureOpenAI(
        azure_endpoint=endpoint,
        api_key=AZURE_KEY,
        api_version=azure.API_VERSION,
        max_retries=0,
        timeout=10,
    )
    every = list(client.fine_tuning.jobs.list(limit=4))
    assert len(every) == 15 and "pending" in {j.status for j in every}
    running = next(j for j in every if j.status == "running" and j.suffix == "catalog-long")
    events = client.fine_tuning.jobs.list_events(running.id, limit=5)
    assert events.data and events.data[0].object == "fine_tuning.job.event"
    checkpoints = client.fine_tuning.jobs.checkpoints.list(running.id)
    assert checkpoints.object == "list"
    assert client.fine_tuning.jobs.pause(running.id).status == "pausing"
    files = client.files.list()
    assert any(f.purpose == "fine-tune-results" for f in files)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")

    token, _ = sim_world.mint_entra_token(3600)
    with_token = openai.AzureOpenAI(
        azure_endpoint=endpoint,
        azure_ad_token_provider=lambda: token,
        api_version=azure.API_VERSION,
        max_retries=0,
        timeout=10,
    )
    assert with_token.fine_tuning.jobs.retrieve(running.id).status == "pausing"
    sim_world.clock.advance(3600)
    with pytest.raises(openai.AuthenticationError):
        with_token.fine_tuning.jobs.retrieve(running.id)


# -- the spec check itself ----------------------------------------------------------------------


def test_the_azure_spec_check_is_strict_where_not_patched(sim_world: SimWorld) -> None:
    checker: AzureSpecChecker = default_checker()
    job = azure.job_view(sim_world.list_jobs(limit=1)[0][0])
    url = f"/openai/fine_tuning/jobs/{job['id']}"
    assert checker.check("GET", url, 200, job) == []
    for status in ("created", "pending", "resuming", "pausing", "paused"):
        assert checker.check("GET", url, 200, {**job, "status": status}) == []
    assert checker.check("GET", url, 200, {**job, "status": "queued"})
    assert checker.check("GET", url, 200, {**job, "status": "validating_files"})
    assert checker.check("GET", url, 200, {**job, "created_at": "2026-01-01"})
    assert checker.check("GET", url, 200, {k: v for k, v in job.items() if k != "model"})
    assert checker.check("GET", url, 200, {**job, "hyperparameters": {"n_epochs": "auto"}})
    assert checker.check("POST", "/openai/fine_tuning/jobs", 200, job)  # create answers 201
    assert checker.check("POST", "/openai/fine_tuning/jobs", 201, job) == []
    assert checker.check("DELETE", url, 204, None) == []
    assert checker.check("DELETE", url, 200, {"deleted": True})
    assert checker.check("GET", url, 404, azure.NOT_FOUND) == []
    openai_error = {"error": {"message": "m", "type": "t", "param": None, "code": None}}
    assert checker.check("GET", url, 400, openai_error)  # code null, OpenAI's shape
    assert checker.check("GET", url, 400, {"error": {"code": "nope", "message": "m"}})
    apim = {"statusCode": 401, "message": azure.MISSING_KEY_MESSAGE}
    assert checker.check("GET", url, 401, apim) == []
    assert checker.check("GET", url, 403, apim)  # only a 401 comes from API Management
    assert checker.check("GET", url, 401, {**apim, "statusCode": "401"})
    permissions = "/openai/v1/fine_tuning/checkpoints/ft:x/permissions"
    assert checker.check("GET", permissions, 200, {"object": "list", "data": []})
