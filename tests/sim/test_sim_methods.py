"""Each method runs as the API reports it: metrics events, checkpoint names and which are kept,
the moderation checks, and the result CSV's columns (see ``ftmon/sim/methods.py``). On both
flavours: Azure's jobs carry the same events, checkpoints and files."""

from __future__ import annotations

import base64
import csv
import io
import re
from typing import Any

import httpx
import pytest
from support.flavors import BOTH
from support.simkit import SIM_START, all_pages, get_json

from ftmon.api.models import FineTuningJobEvent
from ftmon.sim.clock import SimClock
from ftmon.sim.curves import Grader
from ftmon.sim.errors import ApiError
from ftmon.sim.methods import graders_of
from ftmon.sim.world import SimWorld

pytestmark = BOTH
JOBS = "/fine_tuning/jobs"
LOSS_STEP = re.compile(
    r"^Step (\d+)/(\d+): training loss=(\d+\.\d\d)"
    r"(, validation loss=\d+\.\d\d(, full validation loss=\d+\.\d\d)?)?$"
)
# As OpenAI's RFT guide shows it, the space before the first comma included.
REWARD_STEP = re.compile(
    r"^Step (\d+)/(\d+) , train mean reward=(\d\.\d\d)"
    r"(, full validation mean reward=(\d\.\d\d), full validation mean parse error=(\d\.\d\d))?$"
)
RFT_KEYS = {
    "step", "usage", "errors", "scores", "timing", "total_steps", "train_mean_reward",
    "reasoning_tokens_mean", "completion_tokens_mean", "mean_unresponsive_rewards",
}  # fmt: skip
RFT_VALID_KEYS = {
    "full_valid_mean_reward", "full_valid_mean_parse_error", "valid_reasoning_tokens_mean",
}  # fmt: skip
LOSS_KEYS = {"step", "total_steps", "train_loss", "train_mean_token_accuracy"}
LOSS_VALID_KEYS = {"valid_loss", "valid_mean_token_accuracy"}
LOSS_FULL_KEYS = {"full_valid_loss", "full_valid_mean_token_accuracy"}
CLOSING = [
    "Evaluating model against our usage policies",
    "Usage policy evaluations completed, model is now enabled for sampling",
    "The job has successfully completed",
]


def _record(world: SimWorld, key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    job_id = world.highlights[f"job:{key}"]
    return world.get_job(job_id), world.events_record(job_id)["data"]


def _metrics(events: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {e["data"]["step"]: e for e in events if e["type"] == "metrics"}


def _checkpoints(world: SimWorld, job_id: str) -> list[dict[str, Any]]:
    return world.list_checkpoints(job_id, limit=100)[0]


def _csv(world: SimWorld, job: dict[str, Any]) -> list[dict[str, str]]:
    raw = world.file_content(job["result_files"][0])
    text = raw.decode() if raw.startswith(b"step,") else base64.b64decode(raw).decode()
    return list(csv.DictReader(io.StringIO(text)))


# -- supervised and DPO ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["support-bot", "tone-dpo"])
def test_loss_methods_send_the_supervised_shape(sim_world: SimWorld, key: str) -> None:
    """Supervised as OpenAI's guide shows; DPO the same (a guess: the DPO guide says nothing)."""
    job, events = _record(sim_world, key)
    metrics = _metrics(events)
    epochs = job["method"][job["method"]["type"]]["hyperparameters"]["n_epochs"]
    total = next(iter(metrics.values()))["data"]["total_steps"]
    epoch_ends = {round(total * e / epochs) for e in range(1, epochs + 1)}
    for step, event in metrics.items():
        match = LOSS_STEP.match(event["message"])
        assert match, event["message"]
        data = event["data"]
        assert f"{data['train_loss']:.2f}" == match.group(3)
        full = LOSS_FULL_KEYS if step in epoch_ends else set()
        assert set(data) == LOSS_KEYS | LOSS_VALID_KEYS | full
        assert ("full validation loss=" in event["message"]) == (step in epoch_ends)
        assert FineTuningJobEvent.model_validate(event).is_metrics
    if key == "tone-dpo":
        first = metrics[min(metrics)]["data"]["train_loss"]
        assert 0.4 < first < 1.0  # a DPO loss starts near log(2)


def test_loss_checkpoints_carry_loss_metrics(sim_world: SimWorld) -> None:
    job, events = _record(sim_world, "tone-dpo")
    metrics = _metrics(events)
    for checkpoint in _checkpoints(sim_world, job["id"]):
        step = checkpoint["step_number"]
        assert set(checkpoint["metrics"]) == {"step"} | (LOSS_KEYS - {"total_steps"}) | (
            LOSS_VALID_KEYS | LOSS_FULL_KEYS
        )
        assert checkpoint["metrics"]["full_valid_loss"] == metrics[step]["data"]["full_valid_loss"]


# -- reinforcement ----------------------------------------------------------------------------


def test_reinforcement_metrics_have_the_rft_guide_shape(sim_world: SimWorld) -> None:
    _, events = _record(sim_world, "math-rft")  # 100 steps, eval_interval 5, string_check
    metrics = _metrics(events)
    assert sorted(metrics) == list(range(1, 101))
    for step, event in metrics.items():
        match = REWARD_STEP.match(event["message"])
        assert match, event["message"]
        data = event["data"]
        evaluated = step % 5 == 0
        assert set(data) == RFT_KEYS | (RFT_VALID_KEYS if evaluated else set())
        assert "train_loss" not in data and data["total_steps"] == 100
        assert f"{data['train_mean_reward']:.2f}" == match.group(3)
        assert 0 <= data["train_mean_reward"] <= 1
        assert data["scores"]["train_reward_mean"] == data["train_mean_reward"]
        [grader] = data["scores"]["graders"]
        assert grader["name"] == "exact answer" and grader["type"] == "string_check"
        assert [g["name"] for g in data["errors"]["graders"]] == ["exact answer"]
        assert data["usage"]["graders"] == []  # a string check uses no model
        assert (
            data["usage"]["samples"]["train_reasoning_tokens_mean"]
            == (data["reasoning_tokens_mean"])
        )
        assert data["completion_tokens_mean"] > data["reasoning_tokens_mean"]
        timing = set(data["timing"]["step"])
        if evaluated:
            assert match.group(4), event["message"]
            assert f"{data['full_valid_mean_reward']:.2f}" == match.group(5)
            assert f"{data['full_valid_mean_parse_error']:.2f}" == match.group(6)
            assert data["scores"]["valid_reward_mean"] == data["full_valid_mean_reward"]
            assert set(grader) == {"name", "type", "train_reward_mean", "valid_reward_mean"}
            assert timing == {"eval", "sampling", "training", "full_iteration"}
        else:
            assert not match.group(4) and "valid_reward_mean" not in data["scores"]
            assert timing == {"sampling", "training", "full_iteration"}
        assert FineTuningJobEvent.model_validate(event).is_metrics


def test_model_graders_report_their_model_and_tokens(sim_world: SimWorld) -> None:
    _, events = _record(sim_world, "grader-rft")  # running; a score_model grader, eval every 10
    metrics = _metrics(events)
    event = metrics[30]["data"]
    [usage] = event["usage"]["graders"]
    assert usage["model"] == "gpt-4.1-2025-04-14" and usage["name"] == "rubric grader"
    totals = event["model_graders_token_usage"]["gpt-4.1-2025-04-14"]
    assert totals["train_prompt_tokens"] == usage["train_prompt_tokens_count"]
    assert totals["eval_prompt_tokens"] == usage["valid_prompt_tokens_count"]
    [latency] = event["timing"]["graders"]
    assert latency["train_execution_latency_mean"] > 1  # a model grader is slow
    between = next(s for s in metrics if s % 10)
    assert (
        "eval_prompt_tokens"
        not in metrics[between]["data"]["model_graders_token_usage"]["gpt-4.1-2025-04-14"]
    )


def test_a_multi_grader_reports_each_part() -> None:
    string = {"type": "string_check", "name": "compliant"}
    model = {"type": "score_model", "name": "explanation", "model": "gpt-4o-2024-08-06"}
    # The RFT guide's example maps names to graders; the spec has one grader; lists happen.
    assert graders_of({"type": "multi", "graders": {"a": string, "b": model}}) == (
        Grader("compliant", "string_check"),
        Grader("explanation", "score_model", "gpt-4o-2024-08-06"),
    )
    assert graders_of({"type": "multi", "graders": {"x": {"type": "python"}}}) == (
        Grader("x", "python"),
    )
    assert graders_of({"type": "multi", "graders": model}) == (
        Grader("explanation", "score_model", "gpt-4o-2024-08-06"),
    )
    assert graders_of({"type": "multi", "graders": [string]}) == (
        Grader("compliant", "string_check"),
    )
    assert graders_of(None) == (Grader("grader", "string_check"),)


def test_an_added_reinforcement_job_with_a_multi_grader(sim_world: SimWorld) -> None:
    grader = {
        "type": "multi",
        "name": "both",
        "graders": {
            "compliant": {"type": "string_check", "name": "compliant"},
            "explanation": {"type": "score_model", "name": "explanation", "model": "gpt-4o"},
        },
        "calculate_output": "0.5 * compliant + 0.5 * explanation",
    }
    method = {
        "type": "reinforcement",
        "reinforcement": {"grader": grader, "hyperparameters": {"eval_interval": 4}},
    }
    job = sim_world.add_job(
        {
            "model": "o4-mini-2025-04-16",
            "method": method,
            "validation_file": "file-valid",
            "user_provided_suffix": "multi",
            "lifecycle": {"total_steps": 10, "n_epochs": 1, "validate_seconds": 1},
        }
    )
    sim_world.clock.advance(600)
    done = sim_world.get_job(job["id"])
    assert done["status"] == "succeeded"
    metrics = _metrics(sim_world.events_record(job["id"])["data"])
    assert [s for s, e in metrics.items() if "full_valid_mean_reward" in e["data"]] == [4, 8, 10]
    scores = metrics[8]["data"]["scores"]["graders"]
    assert [(g["name"], g["type"]) for g in scores] == [
        ("compliant", "string_check"),
        ("explanation", "score_model"),
    ]
    assert list(metrics[8]["data"]["model_graders_token_usage"]) == ["gpt-4o"]
    columns = list(_csv(sim_world, done)[0])
    assert columns[-8:] == [
        "scores/graders/compliant/train_reward_mean",
        "scores/graders/compliant/valid_reward_mean",
        "errors/graders/compliant/train_sample_parse_error_count",
        "errors/graders/compliant/train_other_error_count",
        "scores/graders/explanation/train_reward_mean",
        "scores/graders/explanation/valid_reward_mean",
        "errors/graders/explanation/train_sample_parse_error_count",
        "errors/graders/explanation/train_other_error_count",
    ]


def test_reinforcement_keeps_its_best_checkpoints(sim_world: SimWorld) -> None:
    """ "The three with the highest valid_reward_mean scores" (OpenAI's RFT guide), and the last
    step's, which is the job's model; not the last three."""
    job, events = _record(sim_world, "math-rft")
    rewards = {
        step: e["data"]["full_valid_mean_reward"]
        for step, e in _metrics(events).items()
        if "full_valid_mean_reward" in e["data"]
    }
    assert sorted(rewards) == list(range(5, 101, 5))  # a validation step every eval_interval
    best = sorted(rewards, key=lambda s: (rewards[s], s), reverse=True)[:3]
    kept = _checkpoints(sim_world, job["id"])
    assert [c["step_number"] for c in kept] == sorted({*best, 100}, reverse=True)
    assert set(best) != {90, 95, 100}  # the seeded run slips late: the best are earlier
    assert kept[0]["fine_tuned_model_checkpoint"] == job["fine_tuned_model"]
    for checkpoint in kept:
        metrics = checkpoint["metrics"]
        assert set(metrics) == {
            "step", "train_mean_reward", "full_valid_mean_reward", "full_valid_mean_parse_error",
            "reasoning_tokens_mean", "completion_tokens_mean",
        }  # fmt: skip
        assert metrics["full_valid_mean_reward"] == rewards[checkpoint["step_number"]]
        assert "train_loss" not in metrics
    # The snapshots that were dropped are gone as models too.
    late = max(step for step in rewards if step not in best and step != 100)
    with pytest.raises(ApiError, match="does not exist"):
        sim_world.list_permissions(sim_world.job(job["id"]).checkpoint_name(late))
    listed = [c["fine_tuned_model_checkpoint"] for c in kept]
    assert all(sim_world.list_permissions(name)[0] == [] for name in listed)


def test_a_running_reinforcement_job_keeps_the_best_so_far(sim_world: SimWorld) -> None:
    job, events = _record(sim_world, "grader-rft")
    rewards = {
        step: e["data"]["full_valid_mean_reward"]
        for step, e in _metrics(events).items()
        if "full_valid_mean_reward" in e["data"]
    }
    assert len(rewards) > 3 and all(step % 10 == 0 for step in rewards)
    best = sorted(rewards, key=lambda s: (rewards[s], s), reverse=True)[:3]
    kept = [c["step_number"] for c in _checkpoints(sim_world, job["id"])]
    assert kept == sorted(best, reverse=True)


async def test_a_reinforcement_job_reports_its_moderation_checks(
    sim_http: httpx.AsyncClient, sim_world: SimWorld
) -> None:
    job_id = sim_world.highlights["job:math-rft"]
    job = await get_json(sim_http, f"{JOBS}/{job_id}")
    # Over HTTP: the responses are checked against the spec (which gains this event type).
    events = list(reversed(await all_pages(sim_http, f"{JOBS}/{job_id}/events", limit=100)))
    checks = [e for e in events if e["type"] == "moderation_checks"]
    assert len(checks) == 1
    [check] = checks
    assert check["level"] == "info"
    assert check["message"] == f"Moderation checks for snapshot {job['fine_tuned_model']} passed."
    assert check["data"]["snapshot"] == job["fine_tuned_model"] and check["data"]["passed"]
    results = check["data"]["results"]
    assert len(results) == 13 and all(r["passed"] for r in results)
    assert {"hate", "violence", "self-harm/intent", "sexual/minors"} <= {
        r["category"] for r in results
    }
    messages = [e["message"] for e in events]
    at = messages.index(check["message"])
    assert messages[at - 1] == CLOSING[0] and messages[at + 1 :] == CLOSING[1:]
    supervised = sim_world.events_record(sim_world.highlights["job:support-bot"])["data"]
    assert not [e for e in supervised if e["type"] == "moderation_checks"]


# -- checkpoint names and the closing events ----------------------------------------------------


@pytest.mark.parametrize("key", ["support-bot", "tone-dpo", "sql-gen", "faq-bot-v2", "math-rft"])
def test_checkpoint_names_and_the_closing_events(sim_world: SimWorld, key: str) -> None:
    job, events = _record(sim_world, key)
    model = job["fine_tuned_model"]
    stem, _, model_id = model.rpartition(":")
    assert re.fullmatch(r"[0-9A-Za-z]{8}", model_id)
    kept = _checkpoints(sim_world, job["id"])
    # The last step's checkpoint is the model itself; every other one has an id of its own.
    assert kept[0]["fine_tuned_model_checkpoint"] == model
    ids = {model_id}
    for checkpoint in kept[1:]:
        name, step = checkpoint["fine_tuned_model_checkpoint"], checkpoint["step_number"]
        match = re.fullmatch(rf"{re.escape(stem)}:([0-9A-Za-z]{{8}}):ckpt-step-{step}", name)
        assert match, name
        ids.add(match.group(1))
    assert len(ids) == len(kept)
    # The job's end names each other kept checkpoint, oldest first, then the model, at once.
    closing = [e for e in events if e["type"] != "metrics"][-len(kept) - 3 - (key == "math-rft") :]
    expected = [
        f"Checkpoint created at step {c['step_number']} with Snapshot ID: "
        f"{c['fine_tuned_model_checkpoint']}"
        for c in reversed(kept[1:])
    ]
    assert [e["message"] for e in closing[: len(kept)]] == [
        *expected,
        f"New fine-tuned model created: {model}",
    ]
    assert len({e["created_at"] for e in closing[: len(kept)]}) == 1
    assert all(e["data"] == {} for e in closing[: len(kept)])
    assert [e["message"] for e in closing if e["type"] == "message"][-3:] == CLOSING


def test_the_closing_events_wait_for_the_end(sim_world: SimWorld) -> None:
    job_id = sim_world.highlights["job:support-bot-v3"]  # running, past its first epoch
    messages = [e["message"] for e in sim_world.events_record(job_id)["data"]]
    assert not [m for m in messages if m.startswith(("Checkpoint", "New fine-tuned"))]
    [checkpoint] = _checkpoints(sim_world, job_id)  # listed as soon as it is made
    assert checkpoint["fine_tuned_model_checkpoint"].endswith(":ckpt-step-200")
    assert sim_world.get_job(job_id)["fine_tuned_model"] is None


# -- result files -----------------------------------------------------------------------------

LOSS_COLUMNS = ["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"]


@pytest.mark.parametrize("key", ["support-bot", "tone-dpo"])
def test_loss_result_files_have_the_documented_columns(sim_world: SimWorld, key: str) -> None:
    job, _ = _record(sim_world, key)
    rows = _csv(sim_world, job)
    assert list(rows[0]) == LOSS_COLUMNS


def test_the_reinforcement_result_file_has_its_own_columns(sim_world: SimWorld) -> None:
    job, events = _record(sim_world, "math-rft")
    meta = sim_world.get_file(job["result_files"][0])
    assert meta["bytes"] == len(sim_world.file_content(job["result_files"][0]))
    rows = _csv(sim_world, job)
    assert list(rows[0]) == [
        "step", "train_mean_reward", "full_valid_mean_reward", "full_valid_mean_parse_error",
        "reasoning_tokens_mean", "valid_reasoning_tokens_mean", "completion_tokens_mean",
        "mean_unresponsive_rewards", "scores/graders/exact answer/train_reward_mean",
        "scores/graders/exact answer/valid_reward_mean",
        "errors/graders/exact answer/train_sample_parse_error_count",
        "errors/graders/exact answer/train_other_error_count",
    ]  # fmt: skip
    assert [int(r["step"]) for r in rows] == list(range(1, 101))
    metrics = _metrics(events)
    for row in rows:
        data = metrics[int(row["step"])]["data"]
        assert float(row["train_mean_reward"]) == data["train_mean_reward"]
        assert float(row["reasoning_tokens_mean"]) == data["reasoning_tokens_mean"]
        grader = data["scores"]["graders"][0]
        assert (
            float(row["scores/graders/exact answer/train_reward_mean"])
            == (grader["train_reward_mean"])
        )
        if "full_valid_mean_reward" in data:
            assert float(row["full_valid_mean_reward"]) == data["full_valid_mean_reward"]
        else:
            assert row["full_valid_mean_reward"] == row["valid_reasoning_tokens_mean"] == ""


def test_reinforcement_runs_are_reproducible() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        world = SimWorld(seed=seed, clock=SimClock(start=SIM_START, speed=0))
        job_id = world.highlights["job:grader-rft"]
        return [*world.events_record(job_id)["data"], *_checkpoints(world, job_id)]

    assert run(7) == run(7)
    assert run(7) != run(8)
