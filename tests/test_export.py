"""Export round-trips: what is written reads back as what the API holds, and holds no key."""

from __future__ import annotations

import csv
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from ftmon.api.client import FineTuningClient, decode_result_file
from ftmon.api.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftmon.config import Secret, Settings
from ftmon.export import FILES, default_directory, export_job, files_for, safe_name
from ftmon.monitor.series import MAX_SERIES, MetricSeries
from ftmon.present.fields import job_title
from ftmon.present.svg import loss_svg, nice_ticks, reward_svg
from ftmon.sim.world import SimWorld

API_KEY = "sk-proj-EXPORTKEY0123456789abcdef"
ADMIN_KEY = "sk-admin-EXPORTADMIN0123456789"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def client(sim_transport: httpx.AsyncBaseTransport) -> FineTuningClient:
    settings = Settings(
        api_key=Secret(API_KEY),
        admin_key=Secret(ADMIN_KEY),
        base_url="http://sim.test/v1",
        max_retries=0,
    )
    return FineTuningClient(settings, transport=sim_transport)


def first(world: SimWorld, status: str, method: str = "supervised") -> dict:
    jobs, _ = world.list_jobs(limit=100)
    return next(
        j for j in jobs if j["status"] == status and j.get("method", {}).get("type") == method
    )


def exported_texts(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` by relative path, as text."""
    return {
        str(p.relative_to(directory)): p.read_text()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def read_events(path: Path) -> list[FineTuningJobEvent]:
    return [
        FineTuningJobEvent.model_validate(json.loads(line))
        for line in path.read_text().splitlines()
    ]


async def test_a_succeeded_job_round_trips(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    job = first(sim_world, "succeeded")
    result = await export_job(client, job["id"], tmp_path / "out")
    assert sorted(p.name for p in result.paths.values()) == sorted(FILES)
    # job.json is the job as the API sent it
    assert json.loads(result.paths["job"].read_text()) == sim_world.get_job(job["id"])
    # events.jsonl: every event, oldest first
    record = sim_world.events_record(job["id"])["data"]
    events = read_events(result.paths["events"])
    assert [e.id for e in events] == [e["id"] for e in record]
    assert result.events == len(record)
    # metrics.csv: the result file's series
    expected = MetricSeries()
    expected.fill_from_csv(decode_result_file(sim_world.file_content(job["result_files"][0])))
    assert len(expected) > 10
    written = MetricSeries()
    assert written.fill_from_csv(result.paths["metrics"].read_text()) == len(expected)
    assert written.rows() == expected.rows()
    assert result.metrics_source == "result_file"
    # checkpoints.json: every checkpoint, by step
    raw, _ = sim_world.list_checkpoints(job["id"], limit=100)
    saved = [
        FineTuningJobCheckpoint.model_validate(c)
        for c in json.loads(result.paths["checkpoints"].read_text())
    ]
    assert [c.id for c in saved] == [c["id"] for c in sorted(raw, key=lambda c: c["step_number"])]


async def test_all_pages_of_events_are_exported_not_only_the_newest(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    job = first(sim_world, "running")
    record = sim_world.events_record(job["id"])["data"]
    assert len(record) > 100  # more than one page of 100
    result = await export_job(client, job["id"], tmp_path)
    events = read_events(result.paths["events"])
    assert [e.id for e in events] == [e["id"] for e in record]
    # a running job's metrics come from its metrics events
    assert result.metrics_source == "events"
    steps = [e.data["step"] for e in events if e.data and "step" in e.data]
    with result.paths["metrics"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in rows] == sorted(set(steps))
    assert float(rows[-1]["train_loss"]) == pytest.approx(
        next(e.data["train_loss"] for e in reversed(events) if e.data and "step" in e.data)
    )


async def test_the_loss_plot_is_an_svg_with_axes_and_a_legend(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    job = first(sim_world, "running")
    result = await export_job(client, job["id"], tmp_path)
    root = ET.fromstring(result.paths["loss"].read_text())
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "step" in texts and "loss" in texts
    assert {"training loss", "validation loss"} <= set(texts)
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2
    assert all(len(line.get("points", "").split()) > 50 for line in lines)


async def test_no_key_is_ever_written_even_when_the_server_echoes_one(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    added = sim_world.add_job(
        {
            "id": "ftjob-echo",
            "status": "failed",
            "model": "gpt-4o-mini-2024-07-18",
            "suffix": f"leak-{API_KEY}",
            "metadata": {"note": ADMIN_KEY},
            "events": [{"message": f"Bad key {API_KEY} for org"}],
        }
    )
    result = await export_job(client, added["id"], tmp_path)
    for name, text in exported_texts(tmp_path).items():
        assert API_KEY not in text and ADMIN_KEY not in text, name
    assert "leak-****" in result.paths["job"].read_text()
    assert "Bad key **** for org" in result.paths["events"].read_text()


async def test_a_normal_export_holds_no_key(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    for status in ("succeeded", "running", "failed"):
        job = first(sim_world, status)
        await export_job(client, job["id"], tmp_path / status)
    texts = exported_texts(tmp_path)
    assert len(texts) == 3 * len(FILES)
    for name, text in texts.items():
        assert API_KEY not in text and ADMIN_KEY not in text, name
        assert "EXPORTKEY" not in text and "EXPORTADMIN" not in text, name


async def test_a_job_without_metrics_still_exports(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    job = first(sim_world, "queued")
    result = await export_job(client, job["id"], tmp_path)
    assert result.paths["metrics"].read_text() == "step\n"
    assert "no metrics" in result.paths["loss"].read_text()
    assert FineTuningJob.model_validate_json(result.paths["job"].read_text()).id == job["id"]


def test_default_directory_never_lets_api_text_climb_out() -> None:
    assert default_directory("ftjob-abc", Path("/x")) == Path("/x/ftmon-export-ftjob-abc")
    assert safe_name("../../etc\x1b[2J") == "etc_2J"
    assert safe_name("") == "job"


def test_compare_plot_has_one_entry_per_job_and_curve() -> None:
    a, b = MetricSeries(), MetricSeries()
    for step in range(1, 50):
        a.add(step, {"train_loss": 2 / step, "valid_loss": 2.2 / step})
        b.add(step, {"train_loss": 3 / step})
    root = ET.fromstring(loss_svg([("run <a>", a), ("run b", b)], title="compare"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "run <a> · train" in texts and "run <a> · valid" in texts and "run b · train" in texts
    assert len(list(root.iter(f"{SVG}polyline"))) == 3


def test_nice_ticks() -> None:
    assert nice_ticks(0, 300) == [0, 100, 200, 300]
    assert nice_ticks(0.13, 2.4) == [0.5, 1.0, 1.5, 2.0]
    assert nice_ticks(1, 1) == [1]


async def test_compare_series_reads_each_jobs_metrics(
    client: FineTuningClient, sim_world: SimWorld
) -> None:
    from ftmon.api.models import FineTuningJob
    from ftmon.export import compare_series

    done, running = first(sim_world, "succeeded"), first(sim_world, "running")
    jobs = [FineTuningJob.model_validate(j) for j in (done, running)]
    found = await compare_series(client, jobs)
    assert list(found) == [done["id"], running["id"]]
    label, series = found[done["id"]]
    assert label.startswith(done["id"]) and series.complete and len(series) > 10
    assert len(found[running["id"]][1]) > 50 and not found[running["id"]][1].complete


RFT_METHOD = {
    "type": "reinforcement",
    "reinforcement": {
        "grader": {
            "type": "string_check",
            "name": "exact_match",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}}",
            "operation": "eq",
        },
        "hyperparameters": {},
    },
}


def rft_data(step: int) -> dict:
    """A reinforcement job's metrics ``data``, nested as the API sends it; no loss."""
    return {
        "step": step,
        "train_mean_reward": step / 4,
        "full_valid_mean_reward": 0.5,
        "reasoning_tokens_mean": 900.0,
        "scores": {"graders": [{"name": "exact_match", "train_reward_mean": step / 4}]},
        "usage": {"samples": {"train_samples": 32}},
        "errors": {"graders": [{"name": "exact_match", "sample_parse_error": False}]},
        "timing": {"step": {"train": 2.5}},
    }


async def test_a_reinforcement_job_exports_every_series_and_its_events_as_sent(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    events = [
        {
            "offset_seconds": step,
            "type": "metrics",
            "message": f"Step {step}/2",
            "data": rft_data(step),
        }
        for step in (1, 2)
    ]
    job = sim_world.add_job({"status": "running", "method": RFT_METHOD, "events": events})
    sim_world.clock.advance(3)
    result = await export_job(client, job["id"], tmp_path)
    assert result.metrics_source == "events" and result.steps == 2 and result.notes == []
    assert result.paths["metrics"].read_text().splitlines() == [
        "step,train_mean_reward,full_valid_mean_reward,reasoning_tokens_mean,"
        "scores.graders.exact_match.train_reward_mean,timing.step.train,usage.samples.train_samples",
        "1,0.25,0.5,900.0,0.25,2.5,32.0",
        "2,0.5,0.5,900.0,0.5,2.5,32.0",
    ]
    written = [json.loads(line) for line in result.paths["events"].read_text().splitlines()]
    assert [e["data"] for e in written if e.get("type") == "metrics"] == [
        rft_data(1),
        rft_data(2),
    ]


async def test_an_export_says_when_series_were_dropped_over_the_cap(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    data = {"step": 1, "train_loss": 1.0, **{f"n{i:03d}": float(i) for i in range(MAX_SERIES + 5)}}
    job = sim_world.add_job(
        {"status": "running", "events": [{"type": "metrics", "message": "x", "data": data}]}
    )
    sim_world.clock.advance(1)
    result = await export_job(client, job["id"], tmp_path)
    assert result.notes == [
        "5 more metric series dropped: a job keeps at most 64 besides its loss, accuracy and reward"
    ]
    assert result.to_dict()["notes"] == result.notes
    header = result.paths["metrics"].read_text().splitlines()[0].split(",")
    assert header[:3] == ["step", "train_loss", "n000"] and len(header) == MAX_SERIES + 2


def svg_texts(root: ET.Element) -> list[str | None]:
    return [t.text for t in root.iter(f"{SVG}text")]


def plotted_circles(root: ET.Element) -> list[ET.Element]:
    """The points drawn in the plot (not the legend's markers)."""
    legend = {id(c) for g in root.iter(f"{SVG}g") for c in g.iter(f"{SVG}circle")}
    return [c for c in root.iter(f"{SVG}circle") if id(c) not in legend]


async def test_a_reinforcement_job_exports_its_mean_reward_as_reward_svg(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    job_id = sim_world.highlights["job:math-rft"]
    result = await export_job(client, job_id, tmp_path)
    assert sorted(p.name for p in result.paths.values()) == sorted(files_for("reinforcement"))
    assert "loss" not in result.paths and not (tmp_path / "loss.svg").exists()
    with result.paths["metrics"].open() as handle:
        rows = list(csv.DictReader(handle))
    train = [r for r in rows if r.get("train_mean_reward")]
    full = [r for r in rows if r.get("full_valid_mean_reward")]
    assert len(train) > 50 and len(full) > 5
    root = ET.fromstring(result.paths["reward"].read_text())
    texts = svg_texts(root)
    assert (
        texts[0]
        == f"mean reward · {job_title(FineTuningJob.model_validate(sim_world.get_job(job_id)))}"
    )
    assert "mean reward" in texts and "step" in texts and "loss" not in texts
    assert {"training mean reward", "full validation mean reward"} <= set(texts)
    assert "no metrics" not in texts
    # the training reward a line through every step, full validation a point each, and each
    # grader's validation reward dashed, named in the legend
    graders = [
        name.split(".")[2]
        for name in rows[0]
        if name.startswith("scores.graders.") and name.endswith(".valid_reward_mean")
    ]
    assert graders and {f"grader {g} valid reward" for g in graders} <= set(texts)
    lines = list(root.iter(f"{SVG}polyline"))
    (line,) = [one for one in lines if one.get("stroke-dasharray") is None]
    dashed = [one for one in lines if one.get("stroke-dasharray") is not None]
    assert len(dashed) == min(len(graders), 3)
    assert all(len(one.get("points", "").split()) == len(full) for one in dashed)
    assert len(line.get("points", "").split()) == len(train)
    assert len(plotted_circles(root)) == len(full)
    # the line rises as the reward does: its last point is drawn higher (a smaller y)
    first_y = float(line.get("points", "").split()[0].split(",")[1])
    last_y = float(line.get("points", "").split()[-1].split(",")[1])
    assert last_y < first_y
    # the JSON summary names the file for what it holds
    assert result.to_dict()["files"]["reward"].endswith("reward.svg")


async def test_a_supervised_jobs_plot_is_still_the_loss_chart(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    for status in ("succeeded", "running"):
        job = first(sim_world, status)
        result = await export_job(client, job["id"], tmp_path / status)
        assert sorted(p.name for p in result.paths.values()) == sorted(files_for("supervised"))
        assert files_for("supervised") == FILES and files_for("dpo") == FILES
        series = MetricSeries()
        series.fill_from_csv(result.paths["metrics"].read_text())
        title = job_title(FineTuningJob.model_validate(job))
        # byte for byte what the loss chart draws of the written metrics, titled as before
        assert result.paths["loss"].read_text() == loss_svg(
            [(title, series)], title=f"loss · {title}"
        )


def test_the_loss_chart_is_byte_for_byte_what_it_was() -> None:
    """Pinned: the reward chart shares the drawing code, and must not move a loss chart's
    byte (exports are diffed and archived). 2,000 steps: thinned, validation points too."""
    series = MetricSeries()
    for step in range(1, 2001):
        row = {"train_loss": 2.0 / step + (step % 7) / 100}
        if step % 50 == 0:
            row["valid_loss"] = 2.1 / step + 0.02
        if step % 500 == 0:
            row["full_valid_loss"] = 2.05 / step + 0.01
        series.add(step, row)
    text = loss_svg([("ftjob-x (run)", series)], title="loss · ftjob-x (run)")
    assert hashlib.sha256(text.encode()).hexdigest() == (
        "962595e8896724466d888a7d0e28427ec87476618553bc98be7032577957ee25"
    )


def test_the_reward_chart_draws_graders_scores_dashed_and_keeps_clear_of_the_curve() -> None:
    series = MetricSeries()
    for step in range(1, 41):
        series.add(step, rft_data(step) | {"valid_mean_reward": step / 5})
    root = ET.fromstring(reward_svg(series, title="mean reward · run"))
    texts = svg_texts(root)
    assert {
        "training mean reward",
        "validation mean reward",
        "full validation mean reward",
        "grader exact_match train reward",
    } <= set(texts)
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 3  # training, validation, the grader's score
    assert [line.get("stroke-dasharray") for line in lines] == [None, None, "6 4"]
    # the reward rises to the top right corner: the legend goes to the bottom right
    (box,) = (r for g in root.iter(f"{SVG}g") for r in g.iter(f"{SVG}rect"))
    assert float(box.get("y", "0")) > 450 / 2


def test_a_reinforcement_job_without_metrics_yet_says_so() -> None:
    root = ET.fromstring(reward_svg(MetricSeries(), title="mean reward · queued"))
    assert "no metrics" in svg_texts(root)
