"""``ftmon archive DIR``'s arguments, output and exit codes (wired into the CLI elsewhere)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from archkit import make_client

from ftmon import exits
from ftmon.archive import command
from ftmon.sim.world import SimWorld


class TtyIO(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeOut:
    """What the headless Output offers the command."""

    def __init__(self, *, json_mode: bool = False, tty: bool = False) -> None:
        self.json_mode = json_mode
        self.stderr: io.StringIO = TtyIO() if tty else io.StringIO()
        self.lines: list[str] = []
        self.notes: list[str] = []
        self.documents: list[Any] = []

    def line(self, text: Any = "") -> None:
        self.lines.append(str(text))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def document(self, data: Any) -> None:
        self.documents.append(json.loads(json.dumps(data)))


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(list(argv))


async def test_json_is_one_document_and_no_progress(
    sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    out = FakeOut(json_mode=True, tty=True)
    code = await command.run(make_client(sim_transport), parse(str(tmp_path / "a")), out)
    assert code == exits.OK
    (doc,) = out.documents
    assert doc["complete"] is True and doc["jobs"]["in_archive"] == 15
    assert out.stderr.getvalue() == "" and out.lines == []


async def test_progress_on_a_terminal_and_a_summary(
    sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    out = FakeOut(tty=True)
    code = await command.run(make_client(sim_transport), parse(str(tmp_path / "a")), out)
    assert code == exits.OK
    progress = out.stderr.getvalue()
    assert "archived 15/15 jobs" in progress and progress.endswith("\n")
    assert "15 jobs listed, 15 fetched, 0 unchanged" in out.lines[0]
    out = FakeOut()  # not a terminal: no progress
    await command.run(make_client(sim_transport), parse(str(tmp_path / "a")), out)
    assert out.stderr.getvalue() == "" and "8 unchanged" in out.lines[0]


async def test_verify_and_exit_codes(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    client = make_client(sim_transport)
    directory = tmp_path / "a"
    args = parse(str(directory), "--job", "ftjob-none")
    assert await command.run(client, args, FakeOut()) == exits.NOT_FOUND
    await command.run(client, parse(str(directory)), FakeOut())
    out = FakeOut()
    assert await command.run(client, parse(str(directory), "--verify"), out) == exits.OK
    assert "verifies" in out.lines[0]
    victim = next((directory / "jobs").glob("*/events.jsonl"))
    victim.write_bytes(victim.read_bytes()[:-10])
    out = FakeOut()
    assert await command.run(client, parse(str(directory), "--verify"), out) == exits.USAGE
    assert str(victim.relative_to(directory)) in out.notes[0] and "truncated" in out.notes[0]
    with pytest.raises(exits.CommandError) as caught:
        await command.run(client, parse(str(directory)), FakeOut())
    assert caught.value.code == exits.USAGE and "events.jsonl" in caught.value.message
    with pytest.raises(exits.CommandError) as caught:
        await command.run(client, parse(str(directory), "--job", "../x"), FakeOut())
    assert caught.value.code == exits.USAGE


def test_since_takes_a_date_or_a_time() -> None:
    assert command.since_date("2026-01-31") == 1769817600
    assert command.since_date("2026-01-31T01:00:00Z") == 1769817600 + 3600
    with pytest.raises(argparse.ArgumentTypeError):
        command.since_date("last tuesday")
    args = parse("d", "--status", "succeeded", "failed", "--job", "a", "--job", "b")
    assert args.statuses == ["succeeded", "failed"] and args.jobs == ["a", "b"]
