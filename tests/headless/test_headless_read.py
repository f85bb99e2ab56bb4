"""The read commands (jobs, show, events, checkpoints, metrics) on the simulator."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable

import pytest
from headkit import lifecycle_job
from support.cli import Run, Sim

from ftmon import exits
from ftmon.api.models import FineTuningJob, FineTuningJobEvent
from ftmon.monitor.doctor import Thresholds
from ftmon.monitor.records import EventRecord
from ftmon.monitor.series import MAX_SERIES, MetricSeries
from ftmon.present.doctor import job_diagnosis
from ftmon.present.fields import job_fields
from ftmon.sim.world import SimWorld

Cli = Callable[..., Run]


def all_jobs(world: SimWorld) -> list[dict]:
    return [as_read(j) for j in world.list_jobs(limit=1000)[0]]


def as_read(job: dict) -> dict:
    """The API's job as ``--json`` gives it back: exactly, except ``null`` lists read as ``[]``."""
    lists = ("result_files", "integrations")
    return {k: ([] if k in lists and v is None else v) for k, v in job.items()}


def job_id(world: SimWorld, suffix: str) -> str:
    return world.highlights[f"job:{suffix}"]


# -- jobs ----------------------------------------------------------------------------------------


def test_jobs_lists_every_job_newest_first_in_80_columns(cli: Cli, sim: Sim) -> None:
    run = cli("jobs")
    assert run.code == 0 and run.err == ""
    lines = run.out.splitlines()
    # 80 columns: two lines a job, so that the model keeps its date and nothing is cut.
    assert lines[0].split() == ["status", "id", "progress", "age"]
    assert lines[1].split() == ["model", "·", "suffix"]
    jobs = all_jobs(sim.world)
    assert [line.split()[2] for line in lines[2::2]] == [j["id"] for j in jobs]  # glyph, status
    assert [line.split()[0] for line in lines[3::2]] == [j["model"] for j in jobs]
    assert "gpt-4.1-2025-04-14" in run.out  # the date kept
    assert "…" not in run.out
    assert all(len(line) <= 80 for line in lines)
    running = next(line for line in lines if job_id(sim.world, "support-bot-v3") in line)
    assert running.startswith("▶ running") and "%" in running
    done = next(line for line in lines if job_id(sim.world, "faq-bot-v2") in line)
    assert done.startswith("✔ succeeded") and "30/30 100%" in done
    cancelled = next(line for line in lines if job_id(sim.world, "ranker") in line)
    assert "572/600 95%" in cancelled  # a finished job's progress too, from its newest events


def test_jobs_json_is_the_api_objects(cli: Cli, sim: Sim) -> None:
    run = cli("jobs", "--json")
    assert run.code == 0
    assert run.json() == all_jobs(sim.world)


def test_jobs_status_filter_and_active(cli: Cli, sim: Sim) -> None:
    jobs = all_jobs(sim.world)
    run = cli("jobs", "--status", "running,paused", "--json")
    assert [j["id"] for j in run.json()] == [
        j["id"] for j in jobs if j["status"] in ("running", "paused")
    ]
    active = cli("jobs", "--status", "active", "--json").json()
    assert {j["status"] for j in active} == {
        "validating_files",
        "queued",
        "running",
        "pausing",
        "paused",
    }
    none = cli("jobs", "--status", "cancelled", "--metadata", "team=nobody")
    assert (none.code, none.out, none.err) == (0, "", "ftmon: no jobs match\n")


def test_an_unknown_status_is_a_usage_error_naming_the_valid_ones(cli: Cli, sim: Sim) -> None:
    sim.world.stats.reset()
    run = cli("jobs", "--status", "running,no-such-status")
    assert (run.code, run.out) == (exits.USAGE, "")
    assert "unknown --status 'no-such-status'" in run.err
    for status in ("queued", "running", "paused", "succeeded", "cancelled", "active"):
        assert status in run.err
    assert "resuming" not in run.err  # Azure's alone
    assert sim.connects == 0  # refused before connecting
    # Spelled as the API may spell it: still known.
    assert cli("jobs", "--status", "Canceled", "--json").code == exits.OK


def test_jobs_limit_fetches_one_small_page_and_says_there_are_more(cli: Cli, sim: Sim) -> None:
    sim.world.stats.reset()
    run = cli("jobs", "--limit", "3")
    assert run.code == 0
    assert len(run.out.splitlines()) == 8  # a header and each job in two lines (80 columns)
    assert sim.world.stats.count("GET", "/v1/fine_tuning/jobs") == 1
    assert run.err == "ftmon: 3 shown; more with --limit N or --all\n"


def test_jobs_all_pages_through_everything(cli: Cli, sim: Sim) -> None:
    for n in range(130):
        sim.world.add_job({"suffix": f"bulk-{n}", "status": "succeeded"})
    sim.world.stats.reset()
    run = cli("jobs", "--all", "--json")
    ids = [j["id"] for j in run.json()]
    assert ids == [j["id"] for j in all_jobs(sim.world)] and len(ids) == 145
    assert len(set(ids)) == 145
    assert sim.world.stats.count("GET", "/v1/fine_tuning/jobs") == 2  # 100 a page


def test_jobs_all_prints_no_job_twice_when_a_server_repeats_a_page(
    cli: Cli, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that serves its first page again under a new cursor: each job once."""
    from ftmon.api.client import FineTuningClient

    real = FineTuningClient.list_jobs
    calls: list[str | None] = []

    async def repeating(self: FineTuningClient, *, after: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
        calls.append(after)
        page = await real(self, after=None, **kw)  # type: ignore[arg-type]
        page.has_more = len(calls) < 3
        return page

    monkeypatch.setattr(FineTuningClient, "list_jobs", repeating)
    ids = [j["id"] for j in cli("jobs", "--all", "--json").json()]
    assert len(calls) == 2  # the same last id came back as the cursor: the walk stopped
    assert len(ids) == len(set(ids)) == len(all_jobs(sim.world))


def test_jobs_metadata_filter_is_sent_to_the_api(cli: Cli, sim: Sim) -> None:
    tagged = sim.world.add_job({"suffix": "tagged", "metadata": {"ticket": "T-42"}})["id"]
    run = cli("jobs", "--metadata", "ticket=T-42", "--json")
    assert [j["id"] for j in run.json()] == [tagged]


def test_jobs_in_a_wider_terminal_shows_whole_names(
    cli: Cli, sim: Sim, monkeypatch: object
) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # type: ignore[attr-defined]
    run = cli("jobs")
    assert "◌ validating_files" in run.out and "intent-classifier" in run.out
    assert "catalog-long" in run.out and "gpt-4.1-mini-2025-04-14 " in run.out


# -- show ----------------------------------------------------------------------------------------


def test_show_prints_every_field_as_the_detail_pane(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "faq-bot-v2")
    run = cli("show", jid)
    assert run.code == 0 and run.err == ""
    # Exactly present.job_fields, as the TUI gets them, with progress from the newest events.
    job = FineTuningJob.model_validate(sim.world.get_job(jid))
    series = MetricSeries()
    newest = [FineTuningJobEvent.model_validate(e) for e in sim.world.events_record(jid)["data"]]
    for event in newest[-100:]:
        series.add_event(event)
    # ... and the doctor's phases from the same events (ftmon.present.doctor).
    records = [EventRecord.of(event) for event in newest[-100:]]
    found = job_diagnosis(job, records, series, sim.world.now(), Thresholds())
    fields = job_fields(job, sim.world.now(), series, found)
    pad = max(len(f.label) for f in fields)
    assert run.out.splitlines() == [f"{f.label:<{pad}}  {f.value}".rstrip() for f in fields]
    assert run.out.startswith("status") and "✔ succeeded" in run.out.splitlines()[0]
    labels = {f.label.strip() for f in fields}
    assert {"progress", "fine-tuned model", "n_epochs", "created", "took", "phases"} <= labels


def test_show_json_is_the_job_as_sent(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "intent-v1")
    run = cli("show", jid, "--json")
    assert run.json() == as_read(sim.world.get_job(jid))
    assert run.json()["status"] == "failed"


def test_show_failed_job_states_the_error(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "intent-v1")
    job = sim.world.get_job(jid)
    run = cli("show", jid)
    assert job["error"]["message"] in run.out
    assert "error code" in run.out


def test_show_unknown_job_is_exit_4_with_the_api_message(cli: Cli) -> None:
    run = cli("show", "ftjob-nope")
    assert run.code == exits.NOT_FOUND
    assert run.out == ""
    assert run.err.startswith("ftmon: Not found (404): Could not find fine-tuning job: ftjob-nope")
    assert run.err.count("\n") == 1 and "Traceback" not in run.err


# -- events --------------------------------------------------------------------------------------


def test_events_oldest_first_each_once(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "support-bot-v3")
    record = sim.world.events_record(jid)["data"]
    run = cli("events", jid, "--json")
    assert run.code == 0
    assert run.json() == record
    human = cli("events", jid).out.splitlines()
    assert len(human) == len(record)
    assert human[0].endswith(record[0]["message"]) and human[-1].endswith(record[-1]["message"])


def test_events_since_an_id(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "support-bot-v3")
    record = sim.world.events_record(jid)["data"]
    since = record[-5]["id"]
    run = cli("events", jid, "--since", since, "--json")
    assert run.json() == record[-4:]
    assert run.err == ""


def test_events_since_an_unknown_id_warns_and_shows_all(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "faq-bot-v2")
    run = cli("events", jid, "--since", "ftevent-unknown", "--json")
    assert len(run.json()) == sim.world.events_record(jid)["count"]
    assert "not among the job's events" in run.err


def test_events_of_a_missing_job(cli: Cli) -> None:
    run = cli("events", "ftjob-nope")
    assert run.code == exits.NOT_FOUND and run.out == ""


# -- checkpoints ---------------------------------------------------------------------------------


def test_checkpoints_newest_first_with_whole_model_names(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "faq-bot-v2")
    listed = sim.world.list_checkpoints(jid, limit=100)[0]
    run = cli("checkpoints", jid, "--json")
    assert run.json() == sorted(listed, key=lambda c: c["step_number"], reverse=True)
    human = cli("checkpoints", jid).out
    for ckpt in listed:
        assert ckpt["fine_tuned_model_checkpoint"] in human
    assert human.splitlines()[0].startswith("step 30")
    assert all(len(line) <= 80 for line in human.splitlines() if not line.startswith("step"))


def test_checkpoints_none_yet(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "legal-summarizer")  # queued
    none = cli("checkpoints", jid)
    assert (none.out, none.err) == ("", "ftmon: no checkpoints\n")
    assert cli("checkpoints", jid, "--json").json() == []


# -- metrics -------------------------------------------------------------------------------------


def test_metrics_of_a_succeeded_job_come_from_the_result_file(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "faq-bot-v2")
    job = sim.world.get_job(jid)
    rows = list(
        csv.DictReader(io.StringIO(sim.world.file_content(job["result_files"][0]).decode()))
    )
    run = cli("metrics", jid, "--json")
    body = run.json()
    assert body["source"] == "result_file" and body["complete"] is True
    assert [s["step"] for s in body["steps"]] == [int(r["step"]) for r in rows]
    assert body["steps"][-1]["train_loss"] == float(rows[-1]["train_loss"])
    human = cli("metrics", jid).out.splitlines()
    assert human[0] == f"{jid}: {len(rows)} steps, from the result file"
    assert human[1].split()[0] == "step" and len(human) == len(rows) + 2


def test_metrics_of_a_running_job_come_from_its_events(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "support-bot-v3")
    metrics = [e for e in sim.world.events_record(jid)["data"] if e["type"] == "metrics"]
    body = cli("metrics", jid, "--json").json()
    assert body["source"] == "events" and body["complete"] is False
    assert [s["step"] for s in body["steps"]] == [e["data"]["step"] for e in metrics]
    assert body["total_steps"] == metrics[-1]["data"]["total_steps"]


def test_metrics_when_the_result_file_fails_come_from_the_events_with_a_note(
    cli: Cli, sim: Sim
) -> None:
    jid = job_id(sim.world, "faq-bot-v2")
    sim.world.faults.add("500", duration=600, route="/files")
    run = cli("metrics", jid)
    assert run.code == 0
    assert "result file unreadable" in run.err and "used the metrics events" in run.err
    assert run.out.splitlines()[0].endswith(", from metrics events")
    body = cli("metrics", jid, "--json").json()
    assert body["source"] == "events" and body["steps"]


def test_metrics_csv(cli: Cli, sim: Sim) -> None:
    jid = job_id(sim.world, "support-bot-v3")
    body = cli("metrics", jid, "--json").json()
    rows = list(csv.DictReader(io.StringIO(cli("metrics", jid, "--csv").out)))
    assert len(rows) == len(body["steps"])
    assert float(rows[0]["train_loss"]) == body["steps"][0]["train_loss"]


def test_metrics_of_a_job_just_created(cli: Cli, sim: Sim) -> None:
    jid = lifecycle_job(sim.world, "fresh")
    none = cli("metrics", jid)
    assert (none.out, none.err) == ("", "ftmon: no metrics yet\n")


# -- every series, as the API names it -----------------------------------------------------------

GRADER = {
    "type": "string_check",
    "name": "exact_match",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "operation": "eq",
}
RFT_METHOD = {"type": "reinforcement", "reinforcement": {"grader": GRADER, "hyperparameters": {}}}


def rft_event(step: int, total: int, *, valid: float | None = None) -> dict:
    """A scripted metrics event of a reinforcement job, ``data`` shaped as OpenAI's guide shows."""
    reward = step / total
    data: dict = {
        "step": step,
        "train_mean_reward": reward,
        "reasoning_tokens_mean": 1000.0 + step,
        "scores": {"graders": [{"name": "exact_match", "train_reward_mean": reward}]},
        "usage": {"samples": {"train_samples": 64}},
        "errors": {"graders": [{"name": "exact_match", "python_grader_runtime_error": False}]},
        "timing": {"step": {"train": 12.5}},
    }
    message = f"Step {step}/{total} , train mean reward={reward:.2f}"
    if valid is not None:
        data["full_valid_mean_reward"] = valid
        data["full_valid_mean_parse_error"] = 0.0
        message += f", full validation mean reward={valid:.2f}"
    return {"offset_seconds": step, "type": "metrics", "message": message, "data": data}


RFT_ORDER = [
    "train_mean_reward",
    "full_valid_mean_reward",
    "full_valid_mean_parse_error",
    "reasoning_tokens_mean",
    "scores.graders.exact_match.train_reward_mean",
    "timing.step.train",
    "usage.samples.train_samples",
]


@pytest.fixture
def rft_job(sim: Sim) -> str:
    """A running reinforcement job with three metrics events, the last with validation."""
    events = [rft_event(1, 4), rft_event(2, 4), rft_event(3, 4, valid=0.5)]
    job = sim.world.add_job({"status": "running", "method": RFT_METHOD, "events": events})
    sim.world.clock.advance(5)
    return job["id"]


def test_metrics_json_of_a_reinforcement_job_carries_every_series(cli: Cli, rft_job: str) -> None:
    run = cli("metrics", rft_job, "--json")
    assert run.code == 0 and run.err == ""
    body = run.json()
    assert body["source"] == "events" and body["names"] == RFT_ORDER
    assert body["dropped_series"] == 0
    assert body["steps"][0] == {
        "step": 1,
        "train_mean_reward": 0.25,
        "reasoning_tokens_mean": 1001.0,
        "scores.graders.exact_match.train_reward_mean": 0.25,
        "timing.step.train": 12.5,
        "usage.samples.train_samples": 64.0,
    }
    assert body["steps"][2]["full_valid_mean_reward"] == 0.5


def test_metrics_csv_of_a_reinforcement_job_has_every_column_in_order(
    cli: Cli, rft_job: str
) -> None:
    lines = cli("metrics", rft_job, "--csv").out.splitlines()
    assert lines == [
        ",".join(["step", *RFT_ORDER]),
        "1,0.25,,,1001.0,0.25,12.5,64.0",
        "2,0.5,,,1002.0,0.5,12.5,64.0",
        "3,0.75,0.5,0.0,1003.0,0.75,12.5,64.0",
    ]


def test_metrics_table_keeps_the_headline_and_says_what_did_not_fit(
    cli: Cli, rft_job: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = cli("metrics", rft_job)
    lines = run.out.splitlines()
    assert lines[0] == f"{rft_job}: 3 steps, from metrics events"
    assert lines[1].split() == "step train reward full reward parse errors reasoning tokens".split()
    assert lines[2].split() == ["1", "0.2500", "—", "—", "1001"]
    assert lines[4].split() == ["3", "0.7500", "0.5000", "0.0000", "1003"]
    assert all(len(line) <= 80 for line in lines)
    assert run.err == (
        "ftmon: 3 more series left out at 80 columns: --csv or --json carry every one\n"
    )
    monkeypatch.setenv("COLUMNS", "160")
    wide = cli("metrics", rft_job)
    assert wide.err == "" and " ".join(wide.out.splitlines()[1].split()).endswith(
        "reasoning tokens exact_match train timing.step.train usage.samples.train_samples"
    )
    assert wide.out.splitlines()[4].split()[5:] == ["0.7500", "12.5000", "64"]


def test_events_json_keeps_data_as_sent(cli: Cli, rft_job: str, sim: Sim) -> None:
    sent = [e for e in sim.world.events_record(rft_job)["data"] if e["type"] == "metrics"]
    events = cli("events", rft_job, "--json").json()
    assert [e["data"] for e in events] == [e["data"] for e in sent]
    assert events[-1]["data"]["scores"] == {
        "graders": [{"name": "exact_match", "train_reward_mean": 0.75}]
    }
    assert events[-1]["data"]["errors"] == {
        "graders": [{"name": "exact_match", "python_grader_runtime_error": False}]
    }


def test_metrics_of_a_succeeded_reinforcement_job_come_from_its_result_file(
    cli: Cli, sim: Sim
) -> None:
    csv_text = (
        "step,train_mean_reward,full_valid_mean_reward,scores/graders/exact_match/train_reward_mean,"
        "phase\n"
        "1,0.25,,0.25,sampling\n"
        "2,0.5,0.625,0.5,sampling\n"
    )
    result = sim.world.upload_file("step_metrics.csv", "user_data", csv_text.encode())
    job = sim.world.add_job(
        {"status": "succeeded", "method": RFT_METHOD, "result_files": [result["id"]]}
    )
    body = cli("metrics", job["id"], "--json").json()
    assert body["source"] == "result_file" and body["complete"] is True
    assert body["names"] == [
        "train_mean_reward",
        "full_valid_mean_reward",
        "scores.graders.exact_match.train_reward_mean",
    ]  # a column of text is no series; the CSV's slashes read as the events' dots
    assert body["steps"][1] == {
        "step": 2,
        "train_mean_reward": 0.5,
        "full_valid_mean_reward": 0.625,
        "scores.graders.exact_match.train_reward_mean": 0.5,
    }


def test_metrics_past_the_series_cap_are_dropped_and_the_note_says_so(cli: Cli, sim: Sim) -> None:
    data = {"step": 1, "train_mean_reward": 0.5}
    data.update((f"f{i:04d}", float(i)) for i in range(MAX_SERIES + 36))
    job = sim.world.add_job(
        {
            "status": "running",
            "events": [{"type": "metrics", "message": "Step 1/1", "data": data}],
        }
    )
    sim.world.clock.advance(1)
    note = (
        "ftmon: 36 more metric series dropped: a job keeps at most 64 besides its loss, "
        "accuracy and reward\n"
    )
    body = cli("metrics", job["id"], "--json")
    assert body.json()["dropped_series"] == 36 and len(body.json()["names"]) == MAX_SERIES + 1
    assert body.err == note
    csv_run = cli("metrics", job["id"], "--csv")
    assert csv_run.err == note
    assert csv_run.out.splitlines()[0].split(",")[:3] == ["step", "train_mean_reward", "f0000"]
    human = cli("metrics", job["id"])
    assert human.err.startswith(note)
    left_out = MAX_SERIES + 1 - (len(human.out.splitlines()[1].split()) - 2)
    assert f"ftmon: {left_out} more series left out at 80 columns" in human.err


def test_metric_names_from_a_hostile_server_never_reach_the_terminal_raw(
    cli: Cli, sim: Sim
) -> None:
    key = os.environ["OPENAI_API_KEY"]  # the key the commands run with
    data = {
        "step": 1,
        "red\x1b[31m": 1.0,  # control and format characters: no series of these
        "rtl\u202eevil": 2.0,
        "scores": {"graders": [{"name": "[bold]grader[/bold]", "valid_reward_mean": 0.5}]},
        key: 3.0,  # a server echoing the key as a name: blanked wherever it is written
    }
    job = sim.world.add_job(
        {"status": "running", "events": [{"type": "metrics", "message": "Step 1", "data": data}]}
    )
    sim.world.clock.advance(1)
    body = cli("metrics", job["id"], "--json")
    assert body.json()["names"] == ["****", "scores.graders.[bold]grader[/bold].valid_reward_mean"]
    csv_out = cli("metrics", job["id"], "--csv").out
    assert (
        csv_out.splitlines()[0] == "step,****,scores.graders.[bold]grader[/bold].valid_reward_mean"
    )
    human = cli("metrics", job["id"]).out
    for text in (body.out, csv_out, human):
        assert "\x1b" not in text and "\u202e" not in text and key not in text
    assert "**** [bold]grader[/bold] valid" in " ".join(human.split())


def test_files_list_is_a_table_with_a_header_at_80_columns(cli: Cli, sim: Sim) -> None:
    run = cli("files", "list", "--all")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["id", "size", "age", "file", "name"]
    files = cli("files", "list", "--all", "--json").json()
    assert len(lines) == len(files) + 1
    for line, item in zip(lines[1:], files, strict=True):
        assert line.startswith(item["id"] + "  ") and line.endswith(item["filename"])
    assert all(len(line) <= 80 for line in lines)
