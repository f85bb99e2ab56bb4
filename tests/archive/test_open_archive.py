"""An archive opened as the API: ``--archive DIR`` for the read commands and the TUI, with no
key and no network, read-only (the TUI: tests/tui/test_archive_tui.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import httpx
import pytest
from archkit import make_client

from ftmon import exits
from ftmon.archive import command
from ftmon.cli import main
from ftmon.sim.world import SimWorld


class Quiet:
    json_mode = True

    def line(self, text: object = "") -> None: ...

    def note(self, message: str) -> None: ...

    def document(self, data: object) -> None: ...

    stderr = None


@pytest.fixture
async def archived(sim_transport: httpx.AsyncBaseTransport, tmp_path: Path) -> Path:
    """The simulator's seeded world, archived."""
    directory = tmp_path / "archive"
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    code = await command.run(
        make_client(sim_transport), parser.parse_args([str(directory)]), Quiet()
    )
    assert code == exits.OK
    return directory


def test_read_commands_take_an_archive_with_no_key(
    archived: Path, sim_world: SimWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs", "--archive", str(archived), "--all", "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)
    live, _ = sim_world.list_jobs(limit=100)
    assert [j["id"] for j in jobs] == [j["id"] for j in live]
    job_id = live[0]["id"]
    assert main(["events", job_id, "--archive", str(archived), "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in events] == [e["id"] for e in sim_world.events_record(job_id)["data"]]


def test_a_change_is_refused_before_anything_is_tried(
    archived: Path, sim_world: SimWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    running = next(j for j in sim_world.list_jobs(limit=100)[0] if j["status"] == "running")
    code = main(["cancel", running["id"], "--yes", "--archive", str(archived)])
    assert code != 0 and "read-only" in capsys.readouterr().err


def test_not_an_archive_is_a_usage_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "stuff").mkdir()
    assert main(["jobs", "--archive", str(tmp_path / "stuff")]) == exits.USAGE
    assert "manifest" in capsys.readouterr().err


def test_ftmon_archive_then_read_it_back_with_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "runs"
    assert main(["--demo", "--speed", "0", "archive", str(directory), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["complete"] is True and first["jobs"]["in_archive"] == 15
    # A second run fetches only what can still change: the jobs not yet final.
    assert main(["--demo", "--speed", "0", "archive", str(directory), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["jobs"]["unchanged"] == first["jobs"]["final_and_complete"]
    assert main(["jobs", "--archive", str(directory), "--json", "--all"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 15
