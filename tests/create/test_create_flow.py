"""The create flow with no UI, against the in-process simulator: its steps and callbacks in order,
refusals that stop it before anything is uploaded, upload progress, files it will not read."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import FileObject
from ftmon.config import Secret, Settings
from ftmon.create.flow import Callbacks, CreateFlow, Refusal, Stage
from ftmon.create.request import CreateInput, check_input
from ftmon.datasets.problems import DatasetReport
from ftmon.sim.world import SimWorld

MODEL = "gpt-4.1-mini-2025-04-14"
GRADER = {
    "type": "string_check",
    "name": "exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.reference_answer}}",
    "operation": "eq",
}


def chat(i: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": f"Question {i}?"},
            {"role": "assistant", "content": f"Answer {i}."},
        ]
    }


def graded(i: int) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"{i} + 1?"}], "reference_answer": str(i + 1)}


def write(path: Path, records: list[dict[str, Any]], broken: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(r) for r in records]
    for number, text in (broken or {}).items():
        lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def client(sim_transport: httpx.AsyncBaseTransport) -> FineTuningClient:
    settings = Settings(
        api_key=Secret("sk-test-0000"), base_url="http://sim.test/v1", max_retries=0
    )
    return FineTuningClient(settings, transport=sim_transport)


class Recorder:
    """Every callback as a tuple, in the order they came; progress reports counted apart."""

    def __init__(self, *, stop: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.progress: dict[tuple[str, str | None], list[tuple[int, int]]] = {}
        self.stop = stop

    def callbacks(self) -> Callbacks:
        return Callbacks(
            on_stage=lambda s: self.calls.append(("stage", s.kind, s.field)),
            on_progress=self.on_progress,
            on_stage_end=lambda s: self.calls.append(("end", s.kind, s.field)),
            on_checked=self.on_checked,
            on_uploaded=self.on_uploaded,
            on_refused=self.on_refused,
            should_stop=lambda: self.stop,
        )

    def on_progress(self, stage: Stage, done: int, total: int) -> None:
        self.progress.setdefault((stage.kind, stage.field), []).append((done, total))

    def on_checked(self, stage: Stage, report: DatasetReport) -> None:
        self.calls.append(("checked", stage.field, report.examples))

    def on_uploaded(self, stage: Stage, uploaded: FileObject) -> None:
        self.calls.append(("uploaded", stage.field, uploaded.id))

    def on_refused(self, refusal: Refusal) -> None:
        self.calls.append(("refused", refusal.kind, refusal.field))


def posts(world: SimWorld) -> int:
    return sum(n for r, n in world.stats.snapshot()["routes"].items() if r.startswith("POST "))


def flow_for(client: FineTuningClient, rec: Recorder, **fields: str) -> CreateFlow:
    inp = CreateInput(model=MODEL, **fields)
    checked = check_input(inp)
    assert checked.ok, checked.errors
    return CreateFlow(client, inp, checked.local_files(), rec.callbacks())


async def test_every_step_in_order_from_local_files_to_the_job(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    train = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    valid = write(tmp_path / "valid.jsonl", [chat(i) for i in range(3)])
    rec = Recorder()
    flow = flow_for(client, rec, training_file=str(train), validation_file=str(valid), seed="5")
    assert await flow.check()
    ids = await flow.upload_files()
    assert ids is not None
    job = await flow.create()
    assert rec.calls == [
        ("stage", "check", "training_file"),
        ("end", "check", "training_file"),
        ("checked", "training_file", 12),
        ("stage", "check", "validation_file"),  # a validation file needs no minimum
        ("end", "check", "validation_file"),
        ("checked", "validation_file", 3),
        # supervised: no grader to check
        ("stage", "upload", "training_file"),
        ("end", "upload", "training_file"),
        ("uploaded", "training_file", ids["training_file"]),
        ("stage", "upload", "validation_file"),
        ("end", "upload", "validation_file"),
        ("uploaded", "validation_file", ids["validation_file"]),
        ("stage", "create", None),
        ("end", "create", None),
    ]
    assert flow.refusal is None and set(flow.reports) == {"training_file", "validation_file"}
    created = sim_world.get_job(job.id)
    assert created["training_file"] == ids["training_file"]
    assert created["validation_file"] == ids["validation_file"] and created["seed"] == 5
    assert sim_world.file_content(ids["training_file"]) == train.read_bytes()
    size = train.stat().st_size
    assert rec.progress[("check", "training_file")][-1] == (size, size)


async def test_the_body_puts_the_uploads_ids_in_the_paths_places(
    client: FineTuningClient, tmp_path: Path
) -> None:
    train = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    flow = flow_for(client, Recorder(), training_file=str(train), suffix="s")
    assert flow.body()["training_file"] == str(train)  # before the upload: the path
    assert flow.body({"training_file": "<upload>"})["training_file"] == "<upload>"
    ids = await flow.upload_files()
    assert ids is not None and flow.body()["training_file"] == ids["training_file"]
    sent: list[dict[str, Any]] = []

    async def submit(body: dict[str, Any]) -> str:
        sent.append(body)
        return "handed over"

    assert await flow.create(submit=submit) == "handed over"
    assert sent == [flow.body()]


async def test_a_files_problems_stop_the_flow_before_any_upload(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    train = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)], broken={3: "{oops"})
    valid = write(tmp_path / "valid.jsonl", [chat(i) for i in range(3)])
    rec = Recorder()
    flow = flow_for(client, rec, training_file=str(train), validation_file=str(valid))
    sim_world.stats.reset()
    files = len(sim_world.files)
    assert not await flow.check()
    assert rec.calls == [
        ("stage", "check", "training_file"),
        ("end", "check", "training_file"),
        ("refused", "problems", "training_file"),  # the validation file is not even read
    ]
    refusal = flow.refusal
    assert refusal is not None and refusal.path == train and refusal.reason == "1 problem"
    assert refusal.report is not None and refusal.report.problems[0].line == 3
    assert sim_world.stats.snapshot()["total"] == 0 and len(sim_world.files) == files


async def test_a_grader_the_api_refuses_stops_the_flow_after_the_checks(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    train = write(tmp_path / "rft.jsonl", [graded(i) for i in range(12)])
    rec = Recorder()
    wrong = json.dumps({**GRADER, "type": "exact_match"})
    flow = flow_for(client, rec, training_file=str(train), method="reinforcement", grader=wrong)
    files = len(sim_world.files)
    assert not await flow.check()
    assert rec.calls[-3:] == [
        ("stage", "grader", "grader"),
        ("end", "grader", "grader"),
        ("refused", "refused", "grader"),
    ]
    assert flow.refusal is not None
    assert flow.refusal.reason.startswith("the API refused it: Invalid 'grader.type'")
    assert len(sim_world.files) == files

    good = flow_for(
        client, Recorder(), training_file=str(train), method="reinforcement",
        grader=json.dumps(GRADER),
    )  # fmt: skip
    assert await good.check() and good.refusal is None


async def test_upload_progress_is_reported_to_the_end(
    client: FineTuningClient, tmp_path: Path
) -> None:
    train = write(tmp_path / "train.jsonl", [chat(i) for i in range(5000)])
    rec = Recorder()
    flow = flow_for(client, rec, training_file=str(train))
    assert await flow.upload_files() is not None
    sent = rec.progress[("upload", "training_file")]
    size = train.stat().st_size
    assert len(sent) > 2 and sent[-1] == (size, size)
    assert [done for done, _ in sent] == sorted(done for done, _ in sent)
    assert {total for _, total in sent} == {size}


async def test_a_file_that_is_not_regular_is_refused_unread(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    fifo = tmp_path / "train.jsonl"
    os.mkfifo(fifo)  # reading it would block until someone writes
    inp = CreateInput(model=MODEL, training_file=str(fifo))
    sim_world.stats.reset()
    for step in ("check_files", "upload_files"):
        rec = Recorder()
        flow = CreateFlow(client, inp, {"training_file": fifo}, rec.callbacks())
        assert await getattr(flow, step)() is None
        refusal = flow.refusal
        assert refusal is not None and refusal.kind == "unreadable"
        assert refusal.field == "training_file" and "FIFO" in refusal.reason
        assert rec.calls[-1] == ("refused", "unreadable", "training_file")
    assert sim_world.stats.snapshot()["total"] == 0


async def test_should_stop_ends_a_check_without_a_refusal(
    client: FineTuningClient, tmp_path: Path
) -> None:
    train = write(tmp_path / "train.jsonl", [chat(i) for i in range(30_000)])  # > 1 MiB
    rec = Recorder(stop=True)
    flow = flow_for(client, rec, training_file=str(train))
    assert await flow.check_files() is None
    assert flow.refusal is None
    assert rec.calls == [("stage", "check", "training_file"), ("end", "check", "training_file")]


async def test_an_api_failure_is_raised_and_the_stage_says_where(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    train = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    rec = Recorder()
    flow = flow_for(client, rec, training_file=str(train))
    sim_world.faults.add("500", route="/v1/files", method="POST", count=1)
    with pytest.raises(errors.ServerError):
        await flow.upload_files()
    assert flow.stage == Stage("upload", "training_file", train)
    assert rec.calls == [("stage", "upload", "training_file"), ("end", "upload", "training_file")]
    assert flow.file_ids == {} and flow.refusal is None
