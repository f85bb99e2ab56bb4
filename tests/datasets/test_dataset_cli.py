"""``ftmon create``, ``ftmon export`` and ``ftmon files`` run in process against the simulator."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dskit import good, jsonl
from support.cli import Run

from ftmon import exits
from ftmon.cli import _add_connection_options
from ftmon.headless import prompt
from ftmon.headless.commands import register_commands
from ftmon.headless.create import create_command
from ftmon.headless.export_cmd import export_command
from ftmon.sim.world import SimWorld

MODEL = "gpt-4.1-mini-2025-04-14"


@dataclass
class Commands:
    """``run("create", ...)``: one command line on the simulator (the shared ``cli`` fixture),
    with no terminal to ask on; ``requests()`` counts what reached the simulator since."""

    cli: Callable[..., Run]
    world: SimWorld

    def __call__(self, *argv: str) -> Run:
        return self.cli(*argv)

    def requests(self) -> int:
        return int(self.world.stats.snapshot()["total"])


@pytest.fixture
def run(cli: Callable[..., Run], sim_world: SimWorld, monkeypatch: pytest.MonkeyPatch) -> Commands:
    monkeypatch.setattr(prompt, "stdin_is_terminal", lambda: False)
    sim_world.stats.reset()
    return Commands(cli, sim_world)


def write(path: Path, records: list[Any] | bytes) -> Path:
    path.write_bytes(records if isinstance(records, bytes) else jsonl(records))
    return path


def test_create_checks_uploads_creates_and_prints_the_id(run: Commands, tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", good("supervised", 12))
    code, out, err = run(
        "create", "-m", MODEL, "-t", str(train), "--epochs", "2", "--suffix", "cli", "--yes"
    )
    assert code == exits.OK, err
    job_id = out.strip()
    assert out == f"{job_id}\n" and job_id.startswith("ftjob-")
    job = run.world.get_job(job_id)
    assert job["model"] == MODEL and job["user_provided_suffix"] == "cli"
    assert job["method"]["supervised"]["hyperparameters"]["n_epochs"] == 2
    assert run.world.file_content(job["training_file"]) == train.read_bytes()
    assert "train.jsonl: 12 examples · ≈" in err and "(2 epochs)" in err
    assert f"uploaded {train} as {job['training_file']}" in err


def test_create_with_an_uploaded_file_id_and_json_output(run: Commands, tmp_path: Path) -> None:
    uploaded = run.world.upload_file("t.jsonl", "fine-tune", jsonl(good("dpo", 10)))
    code, out, err = run(
        "create", "-m", MODEL, "-t", uploaded["id"], "--method", "dpo", "--beta", "0.2",
        "--metadata", "team=search", "--wandb-project", "ft", "--yes", "--json",
    )  # fmt: skip
    assert code == exits.OK, err
    job = json.loads(out)
    assert job["training_file"] == uploaded["id"]
    assert job["method"]["type"] == "dpo"
    assert job["method"]["dpo"]["hyperparameters"]["beta"] == 0.2
    assert job["metadata"] == {"team": "search"}
    assert job["integrations"][0]["wandb"]["project"] == "ft"


def test_invalid_options_are_named_and_nothing_is_sent(run: Commands) -> None:
    code, out, err = run(
        "create", "-m", MODEL, "-t", "file-x", "--epochs", "0", "--seed", "x", "--yes"
    )
    assert code == exits.USAGE and out == ""
    assert "ftmon: --epochs: from 1 to 50, or auto" in err
    assert "ftmon: --seed: a whole number from 0 to 2147483647" in err
    assert run.requests() == 0


def test_a_broken_local_file_is_reported_by_line_and_not_uploaded(
    run: Commands, tmp_path: Path
) -> None:
    lines = [json.dumps(r) for r in good("supervised", 12)]
    lines[2] = "{nope"
    lines[6] = json.dumps({"messages": [{"role": "user", "content": "hi"}]})
    train = tmp_path / "train.jsonl"
    train.write_text("\n".join(lines) + "\n")
    code, out, err = run("create", "-m", MODEL, "-t", str(train), "--yes")
    assert code == exits.USAGE and out == ""
    assert f"{train}:3: invalid JSON" in err
    assert f"{train}:7: no assistant message with content or tool_calls" in err
    assert "2 problems" in err and "nothing was uploaded or created" in err
    assert run.requests() == 0


def test_dry_run_prints_the_request_and_sends_nothing(run: Commands, tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", good("supervised", 10))
    code, out, err = run("create", "-m", MODEL, "-t", str(train), "--seed", "7", "--dry-run")
    assert code == exits.OK, err
    assert json.loads(out) == {
        "model": MODEL,
        "training_file": str(train),
        "method": {"type": "supervised", "supervised": {}},
        "seed": 7,
    }
    assert "would be the id of the upload" in err
    assert run.requests() == 0


def test_no_terminal_and_no_yes_refuses_before_any_request(run: Commands) -> None:
    code, _, err = run("create", "-m", MODEL, "-t", "file-abc")
    assert code == exits.USAGE and "pass --yes" in err
    assert run.requests() == 0


def test_read_only_refuses(run: Commands) -> None:
    code, _, err = run("--read-only", "create", "-m", MODEL, "-t", "file-x", "--yes")
    assert code == exits.REFUSED and "read-only" in err


def test_the_apis_refusal_names_the_option(run: Commands, tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", good("supervised", 10))
    code, out, err = run("create", "-m", "no-such-model", "-t", str(train), "--yes")
    assert code == exits.REJECTED and out == ""
    assert "ftmon: --model: The request was rejected (400 Bad Request)" in err
    assert "not available for fine-tuning" in err


def test_watch_follows_the_new_job_to_success(run: Commands, tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", good("supervised", 10))
    code, out, err = run(
        "create", "-m", MODEL, "-t", str(train), "--epochs", "1", "--yes", "--watch"
    )
    assert code == exits.OK, err
    job_id = out.splitlines()[0]
    assert run.world.get_job(job_id)["status"] == "succeeded"
    assert "succeeded" in out.splitlines()[-1]


def test_watch_exits_1_when_the_service_fails_the_file(run: Commands, tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", b"{not json\n" * 12)
    code, out, err = run("create", "-m", MODEL, "-t", str(train), "--no-check", "--yes", "--watch")
    assert code == exits.JOB_FAILED, err
    job = run.world.get_job(out.splitlines()[0])
    assert job["status"] == "failed" and job["error"]["param"] == "training_file"
    assert "invalid_training_file" in out


def test_export_writes_every_file(run: Commands, tmp_path: Path) -> None:
    jobs, _ = run.world.list_jobs(limit=100)
    job = next(j for j in jobs if j["status"] == "succeeded")
    code, out, err = run("export", job["id"], "--out", str(tmp_path / "x"))
    assert code == exits.OK, err
    assert out.startswith(f"exported {job['id']} to {tmp_path / 'x'}: ")
    for name in ("job.json", "events.jsonl", "metrics.csv", "checkpoints.json", "loss.svg"):
        assert (tmp_path / "x" / name).is_file()
        assert str(tmp_path / "x" / name) in out
    code, out, _ = run("export", job["id"], "--out", str(tmp_path / "y"), "--json")
    report = json.loads(out)
    assert report["metrics_source"] == "result_file" and report["events"] > 0


def test_export_of_an_unknown_job_exits_4(run: Commands, tmp_path: Path) -> None:
    code, _, err = run("export", "ftjob-nope", "--out", str(tmp_path))
    assert code == exits.NOT_FOUND and "ftjob-nope" in err


def test_files_upload_list_and_rm(run: Commands, tmp_path: Path) -> None:
    train = write(tmp_path / "data.jsonl", good("reinforcement", 10))
    code, out, err = run("files", "upload", str(train), "--method", "reinforcement")
    assert code == exits.OK, err
    file_id = out.strip()
    assert run.world.file_content(file_id) == train.read_bytes()
    code, out, _ = run("files", "list")
    assert code == exits.OK and file_id in out and "data.jsonl" in out
    code, out, _ = run("files", "list", "--json")
    assert file_id in [f["id"] for f in json.loads(out)]
    code, out, _ = run("files", "rm", file_id, "--yes")
    assert code == exits.OK and out == f"deleted {file_id}\n"
    code, out, _ = run("files", "list", "--json")
    assert file_id not in [f["id"] for f in json.loads(out)]


def test_files_upload_refuses_a_broken_file(run: Commands, tmp_path: Path) -> None:
    train = write(tmp_path / "data.jsonl", good("supervised", 10))
    code, _, err = run("files", "upload", str(train), "--method", "dpo")
    assert code == exits.USAGE and f"{train}:1: a chat record" in err
    assert run.requests() == 0


def test_files_check_is_local_and_lists_every_problem(run: Commands, tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", b"{x\n[]\n")
    code, out, _ = run("files", "check", str(path))
    assert code == exits.USAGE
    assert out.splitlines() == [
        f"{path}:1: invalid JSON: Expecting property name enclosed in double quotes at column 2",
        f"{path}:2: expected one JSON object per line, got a list",
        f"{path}: 2 examples; at least 10 are needed",
        f"{path}: 3 problems · 2 examples · ≈0 tokens · ≈0 billed tokens (25 epochs, auto)",
    ]
    good_path = write(tmp_path / "g.jsonl", good("supervised", 10))
    code, out, _ = run("files", "check", str(good_path), "--json")
    assert code == exits.OK and json.loads(out)["ok"] is True
    assert run.requests() == 0


def test_registration_adds_the_commands_with_help() -> None:
    parser = argparse.ArgumentParser(prog="ftmon")
    register_commands(parser.add_subparsers(dest="command"), _add_connection_options)
    args = parser.parse_args(["create", "-m", "m", "-t", "f", "--demo", "--seed", "5"])
    assert args.handler.__doc__ == create_command.__doc__ and args.demo is True
    assert args.job_seed == "5" and not hasattr(args, "seed")  # --seed of --demo is untouched
    assert parser.parse_args(["export", "J"]).handler.__doc__ == export_command.__doc__
