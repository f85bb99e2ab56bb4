"""Jobs move through the real lifecycle as the clock advances, with realistic events and files.

On both flavours (Azure's statuses through ``support.flavors``); the world-level tests that read no
response are flavour-free and run once per flavour all the same, cheaply.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import re
import time
from typing import Any

import httpx
from support.flavors import BOTH, azure_errors, expected_status
from support.simkit import SIM_START, all_pages, get_json, job_by_suffix

from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld

pytestmark = BOTH
JOBS = "/fine_tuning/jobs"
STEP = re.compile(
    r"^Step (\d+)/(\d+): training loss=\d+\.\d\d"
    r"(, validation loss=\d+\.\d\d(, full validation loss=\d+\.\d\d)?)?$"
)


async def _job(client: httpx.AsyncClient, suffix: str) -> dict[str, Any]:
    jobs = (await get_json(client, JOBS, params={"limit": 100}))["data"]
    return job_by_suffix(jobs, suffix)


async def _events(client: httpx.AsyncClient, job_id: str) -> list[dict[str, Any]]:
    """All events, oldest first."""
    return list(reversed(await all_pages(client, f"{JOBS}/{job_id}/events", limit=100)))


def test_default_world_covers_every_status_and_method(sim_world: SimWorld) -> None:
    jobs, more = sim_world.list_jobs(limit=100)
    assert len(jobs) >= 12 and not more
    statuses = [j["status"] for j in jobs]
    assert set(statuses) == {
        "validating_files", "queued", "running", "succeeded", "failed", "cancelled", "pausing",
        "paused",
    }  # fmt: skip
    assert statuses.count("running") >= 2 and statuses.count("succeeded") >= 3
    assert {j["method"]["type"] for j in jobs} == {"supervised", "dpo", "reinforcement"}
    assert len({j["model"] for j in jobs}) >= 4
    errors = [j["error"] for j in jobs if j["status"] != "failed"]
    assert None in errors and {} in errors
    assert {"code": None, "message": None, "param": None} in errors
    assert any(j["integrations"] and j["integrations"][0]["type"] == "wandb" for j in jobs)
    assert any(j["metadata"] for j in jobs) and any(j["metadata"] is None for j in jobs)
    for job in jobs:
        parsed = FineTuningJob.model_validate(job)  # the client's tolerant models read it all
        assert parsed.organization_id == sim_world.organization_id
        assert isinstance(job["seed"], int)


def test_methods_carry_their_hyperparameters(sim_world: SimWorld) -> None:
    jobs = {j["user_provided_suffix"]: j for j in sim_world.list_jobs(limit=100)[0]}
    dpo = jobs["tone-dpo"]
    assert dpo["method"]["dpo"]["hyperparameters"]["beta"] == 0.1
    assert dpo["hyperparameters"] is None
    rft = jobs["math-rft"]["method"]["reinforcement"]
    assert rft["grader"]["type"] == "string_check"
    assert rft["hyperparameters"]["reasoning_effort"] == "medium"
    assert rft["hyperparameters"]["eval_interval"] == 5
    sft = jobs["support-bot"]
    assert sft["hyperparameters"] == sft["method"]["supervised"]["hyperparameters"]
    assert sft["hyperparameters"] == {
        "batch_size": 1,
        "learning_rate_multiplier": 1.8,
        "n_epochs": 3,
    }
    validating = jobs["intent-classifier"]  # "auto" until the files are validated
    assert validating["hyperparameters"]["batch_size"] == "auto"


def test_failed_job_has_a_real_error(sim_world: SimWorld) -> None:
    failed = job_by_suffix(sim_world.list_jobs(limit=100)[0], "intent-v1")
    assert failed["status"] == "failed" and failed["finished_at"]
    error = failed["error"]
    assert error["code"] == "invalid_training_file" and error["param"] == "training_file"
    assert error["message"].startswith("The job failed due to an invalid training file.")
    events, _ = sim_world.list_events(failed["id"])
    assert events[0]["level"] == "error" and events[0]["message"] == error["message"]
    assert events[0]["data"] == {
        "error_code": "invalid_training_file",
        "error_param": "training_file",
    }
    assert FineTuningJob.model_validate(failed).has_error


async def test_status_progression_under_the_clock(
    sim_http: httpx.AsyncClient, sim_clock: SimClock, flavor: str
) -> None:
    job = await _job(sim_http, "intent-classifier")  # created 10 s before the start
    url = f"{JOBS}/{job['id']}"
    assert job["status"] == expected_status("validating_files", flavor)
    assert job["estimated_finish"] is None
    sim_clock.advance(50)
    assert (await get_json(sim_http, url))["status"] == expected_status("queued", flavor)
    sim_clock.advance(45)
    running = await get_json(sim_http, url)
    assert running["status"] == "running" and running["estimated_finish"] > SIM_START
    assert running["hyperparameters"]["batch_size"] == 1
    messages = [e["message"] for e in await _events(sim_http, job["id"])]
    assert messages[0] == f"Created fine-tuning job: {job['id']}"
    assert messages[1] == (
        f"Validating training file: {job['training_file']} and validation file: "
        f"{job['validation_file']}"
    )
    assert messages[2:] == [
        "Files validated, moving job to queued state",
        "Fine-tuning job started",
    ]


async def test_metrics_events_look_real(sim_http: httpx.AsyncClient, sim_clock: SimClock) -> None:
    job = await _job(sim_http, "support-bot-v3")  # 3 x 200 steps, metrics every 2 steps
    events = await _events(sim_http, job["id"])
    metrics = [e for e in events if e["type"] == "metrics"]
    assert len(metrics) == 125  # 250 steps done at the start
    for event in metrics:
        match = STEP.match(event["message"])
        assert match, event["message"]
        data = event["data"]
        assert data["step"] == int(match.group(1)) and data["total_steps"] == 600
        assert {
            "train_loss",
            "train_mean_token_accuracy",
            "valid_loss",
            "valid_mean_token_accuracy",
        } <= set(data)
        assert 0 <= data["train_mean_token_accuracy"] <= 1
        assert FineTuningJobEvent.model_validate(event).is_metrics
    epoch_end = next(e for e in metrics if e["data"]["step"] == 200)
    assert (
        "full_valid_loss" in epoch_end["data"] and "full validation loss=" in epoch_end["message"]
    )
    # The checkpoint of step 200 is listed; its event comes when the job ends, as in real runs.
    assert not [e for e in events if e["message"].startswith("Checkpoint")]
    checkpoints = (await get_json(sim_http, f"{JOBS}/{job['id']}/checkpoints"))["data"]
    assert [c["step_number"] for c in checkpoints] == [200]
    sim_clock.advance(60)  # 50 more steps: 25 more metrics events, no duplicates
    later = await _events(sim_http, job["id"])
    assert later[: len(events)] == events
    assert len([e for e in later if e["type"] == "metrics"]) == 150


async def test_loss_curve_decays_with_noise(sim_http: httpx.AsyncClient) -> None:
    job = await _job(sim_http, "support-bot")
    losses = [
        e["data"]["train_loss"]
        for e in await _events(sim_http, job["id"])
        if e["type"] == "metrics"
    ]
    assert len(losses) == 120
    assert sum(losses[-10:]) < 0.5 * sum(losses[:10])
    ups = sum(1 for a, b in itertools.pairwise(losses) if b > a)
    assert ups > 10  # noisy, not a smooth line


def test_no_validation_file_means_no_validation_metrics(sim_world: SimWorld) -> None:
    job = job_by_suffix(sim_world.list_jobs(limit=100)[0], "sql-gen")
    record = sim_world.events_record(job["id"])["data"]
    metrics = [e for e in record if e["type"] == "metrics"]
    assert metrics and all("valid_loss" not in e["data"] for e in metrics)
    assert all("validation" not in e["message"] for e in metrics)
    checkpoint = sim_world.list_checkpoints(job["id"])[0][0]
    assert set(checkpoint["metrics"]) == {"step", "train_loss", "train_mean_token_accuracy"}


async def test_run_to_success(sim_http: httpx.AsyncClient, sim_clock: SimClock) -> None:
    job = await _job(sim_http, "support-bot-v3")
    assert job["status"] == "running" and job["fine_tuned_model"] is None
    sim_clock.advance(3600)
    done = await get_json(sim_http, f"{JOBS}/{job['id']}")
    assert done["status"] == "succeeded" and done["estimated_finish"] is None
    assert done["fine_tuned_model"].startswith("ft:gpt-4o-mini-2024-07-18:acme-ml:support-bot-v3:")
    assert done["finished_at"] > done["created_at"] and done["trained_tokens"] > 0
    assert len(done["result_files"]) == 1
    events = await _events(sim_http, job["id"])
    checkpoints = (await get_json(sim_http, f"{JOBS}/{job['id']}/checkpoints"))["data"]
    assert [c["step_number"] for c in checkpoints] == [600, 400, 200]
    names = [c["fine_tuned_model_checkpoint"] for c in checkpoints]
    model = done["fine_tuned_model"]
    assert [e["message"] for e in events[-6:]] == [
        f"Checkpoint created at step 200 with Snapshot ID: {names[2]}",
        f"Checkpoint created at step 400 with Snapshot ID: {names[1]}",
        f"New fine-tuned model created: {model}",
        "Evaluating model against our usage policies",
        "Usage policy evaluations completed, model is now enabled for sampling",
        "The job has successfully completed",
    ]
    assert events[-1]["created_at"] == done["finished_at"]
    assert events[-7]["type"] == "metrics" and events[-7]["data"]["step"] == 600
    # The last step's checkpoint is the job's model; the others have ids of their own.
    assert names[0] == model
    stem, _, model_id = model.rpartition(":")
    for name, step in zip(names[1:], (400, 200), strict=True):
        assert re.fullmatch(rf"{re.escape(stem)}:[0-9A-Za-z]{{8}}:ckpt-step-{step}", name)
    assert len({name.split(":")[4] for name in names}) == 3 and model_id not in names[1]
    for checkpoint in checkpoints:
        parsed = FineTuningJobCheckpoint.model_validate(checkpoint)
        assert checkpoint["id"].startswith("ftckpt_")
        assert parsed.metrics.full_valid_loss is not None
        assert checkpoint["fine_tuning_job_id"] == job["id"]


async def test_only_the_last_three_checkpoints_are_kept(
    sim_http: httpx.AsyncClient, sim_world: SimWorld, flavor: str
) -> None:
    job = await _job(sim_http, "sql-gen")  # 4 epochs
    created = [
        e["message"]
        for e in await _events(sim_http, job["id"])
        if e["message"].startswith("Checkpoint")
    ]
    kept = (await get_json(sim_http, f"{JOBS}/{job['id']}/checkpoints"))["data"]
    assert [c["step_number"] for c in kept] == [240, 180, 120]
    assert kept[0]["fine_tuned_model_checkpoint"] == job["fine_tuned_model"]
    assert created == [
        f"Checkpoint created at step {c['step_number']} with Snapshot ID: "
        f"{c['fine_tuned_model_checkpoint']}"
        for c in reversed(kept[1:])
    ]
    pruned = sim_world.job(job["id"]).checkpoint_name(60)
    assert pruned.endswith(":ckpt-step-60") and pruned.startswith("ft:gpt-4.1-2025-04-14:")
    if azure_errors(flavor):
        return  # Azure has no checkpoint permissions (test_sim_azure.py)
    with_admin = {"Authorization": "Bearer sk-admin-x"}
    gone = await sim_http.get(f"/fine_tuning/checkpoints/{pruned}/permissions", headers=with_admin)
    assert gone.status_code == 404
    kept_name = kept[-1]["fine_tuned_model_checkpoint"]
    here = await sim_http.get(
        f"/fine_tuning/checkpoints/{kept_name}/permissions", headers=with_admin
    )
    assert here.status_code == 200


async def test_result_file_is_a_per_step_csv(sim_http: httpx.AsyncClient) -> None:
    job = await _job(sim_http, "support-bot")
    file_id = job["result_files"][0]
    meta = await get_json(sim_http, f"/files/{file_id}")
    assert meta["purpose"] == "fine-tune-results" and meta["filename"] == "step_metrics.csv"
    content = (await sim_http.get(f"/files/{file_id}/content")).content
    assert len(content) == meta["bytes"]
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert list(rows[0]) == [
        "step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy",
    ]  # fmt: skip
    assert [int(r["step"]) for r in rows] == list(range(1, 121))
    events = await _events(sim_http, job["id"])
    by_step = {e["data"]["step"]: e["data"] for e in events if e["type"] == "metrics"}
    for row in rows:
        assert float(row["train_loss"]) == by_step[int(row["step"])]["train_loss"]
        assert float(row["valid_loss"]) == by_step[int(row["step"])]["valid_loss"]


async def test_one_result_file_is_served_base64(sim_http: httpx.AsyncClient) -> None:
    job = await _job(sim_http, "tone-dpo")
    content = (await sim_http.get(f"/files/{job['result_files'][0]}/content")).content
    assert not content.startswith(b"step,")
    decoded = base64.b64decode(content).decode()
    assert decoded.startswith(
        "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
    )
    assert len(decoded.splitlines()) == 301


def test_worlds_are_reproducible() -> None:
    def snapshot(seed: int) -> list[Any]:
        world = SimWorld(seed=seed, clock=SimClock(start=SIM_START, speed=0))
        jobs = world.list_jobs(limit=100)[0]
        return [jobs, [world.list_events(j["id"], limit=5)[0] for j in jobs]]

    assert snapshot(7) == snapshot(7)
    assert snapshot(7)[0][0]["id"] != snapshot(8)[0][0]["id"]


def test_a_running_clock_moves_the_world() -> None:
    world = SimWorld(clock=SimClock(start=SIM_START, speed=500))
    before = job_by_suffix(world.list_jobs(limit=100)[0], "intent-classifier")["status"]
    time.sleep(0.25)  # ~125 simulated seconds: running from +95 s, done after +545 s
    after = job_by_suffix(world.list_jobs(limit=100)[0], "intent-classifier")["status"]
    assert (before, after) == ("validating_files", "running")
