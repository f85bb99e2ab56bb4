"""Bad archives, hostile answers and interrupted runs: a clear message naming the file, nothing
read or written outside the directory, and a manifest that verifies after every interruption."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from archkit import HookTransport, all_files, events_of, make_client, manifest

from ftmon import exits
from ftmon.api import errors
from ftmon.archive import manifest as manifest_module
from ftmon.archive import source as source_module
from ftmon.archive import store as store_module
from ftmon.archive.command import run
from ftmon.archive.layout import ArchiveError
from ftmon.archive.source import archive_client
from ftmon.archive.store import LOCK
from ftmon.archive.verify import verify
from ftmon.archive.writer import Selection, archive
from ftmon.config import Settings
from ftmon.monitor import reads
from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld


@pytest.fixture
async def made(sim_transport: httpx.AsyncBaseTransport, tmp_path: Path) -> Path:
    directory = tmp_path / "archive"
    summary = await archive(make_client(sim_transport), directory)
    assert summary.error is None
    return directory


def a_job_file(directory: Path, name: str = "events.jsonl") -> Path:
    return max((directory / "jobs").glob(f"*/{name}"), key=lambda p: p.stat().st_size)


def outside_snapshot(tmp_path: Path, directory: Path) -> dict[str, bytes]:
    return {k: v for k, v in all_files(tmp_path).items() if not k.startswith(directory.name)}


# -- not an archive, damaged, missing, links ----------------------------------------------------


async def test_a_directory_that_is_not_an_archive(
    sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ArchiveError, match=r"holds files but no manifest\.json"):
        await archive(make_client(sim_transport), tmp_path)
    assert all_files(tmp_path) == {"notes.txt": b"mine"}
    with pytest.raises(ArchiveError, match=r"not an ftmon archive: it has no manifest\.json"):
        archive_client(Settings(), tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "something else"}')
    with pytest.raises(ArchiveError, match=r"manifest\.json is not an ftmon archive's"):
        archive_client(Settings(), tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ArchiveError, match=r"manifest\.json is not JSON"):
        verify(tmp_path)


async def test_an_edited_file_is_named_by_verify_and_by_the_reader(made: Path) -> None:
    job_file = next((made / "jobs").glob("*/job-*.json"))
    text = job_file.read_bytes()
    job_file.write_bytes(text.replace(b'"status": "', b'"status": "X', 1)[: len(text)])
    relpath = str(job_file.relative_to(made))
    report = verify(made)
    assert not report.ok and report.problems == [
        f"{relpath} does not match the SHA-256 the manifest lists (edited or damaged)"
    ]
    client = archive_client(Settings(), made)  # same size: found when read
    job_id = job_file.parent.name
    with pytest.raises(errors.FtmonApiError) as caught:
        await client.retrieve_job(job_id)
    assert relpath in str(caught.value) and caught.value.status_code == 500


async def test_a_truncated_or_missing_file_is_named_and_the_archive_refused(
    made: Path, sim_transport: httpx.AsyncBaseTransport
) -> None:
    events = a_job_file(made)
    relpath = str(events.relative_to(made))
    events.write_bytes(events.read_bytes()[:-1])
    for attempt in (
        lambda: archive_client(Settings(), made),
        lambda: verify(made).raise_first(),
    ):
        with pytest.raises(ArchiveError, match="truncated") as caught:
            attempt()
        assert relpath in caught.value.message
    with pytest.raises(ArchiveError, match="needs repair") as caught:
        await archive(make_client(sim_transport), made)
    assert relpath in caught.value.message
    events.unlink()
    with pytest.raises(ArchiveError, match=f"{relpath} is missing"):
        archive_client(Settings(), made)


async def test_a_link_out_of_the_archive_is_never_followed(
    made: Path, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    events = a_job_file(made)
    relpath = str(events.relative_to(made))
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(events.read_bytes())  # the same bytes: only the link gives it away
    events.unlink()
    events.symlink_to(outside)
    before = outside.read_bytes()
    report = verify(made)
    assert report.problems == [f"{relpath} is a symbolic link (not followed: it could point out "
                               "of the archive)"]  # fmt: skip
    with pytest.raises(ArchiveError, match="symbolic link"):
        archive_client(Settings(), made)
    with pytest.raises(ArchiveError, match="symbolic link"):
        await archive(make_client(sim_transport), made)
    assert outside.read_bytes() == before
    # a job's directory that is a link to a directory outside
    events.unlink()
    events.write_bytes(before)
    job_dir = events.parent
    elsewhere = tmp_path / "elsewhere"
    job_dir.rename(elsewhere)
    job_dir.symlink_to(elsewhere, target_is_directory=True)
    assert any("symbolic link" in p for p in verify(made).problems)
    with pytest.raises(ArchiveError, match="symbolic link"):
        archive_client(Settings(), made)


async def test_hostile_ids_from_the_api_are_skipped_and_nothing_leaves_the_directory(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    hostile = ["../escaped", "a/b", ".hidden", "..", "x\x00y"]

    async def rename(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/fine_tuning/jobs"):
            answer = await sim_transport.handle_async_request(request)
            await answer.aread()
            body = json.loads(answer.content)
            for job, bad in zip(body["data"], hostile, strict=False):
                job["id"] = bad
            body["data"][-1]["training_file"] = "../../training"
            return httpx.Response(200, json=body, request=request)
        return None

    directory = tmp_path / "archive"
    before = outside_snapshot(tmp_path, directory)
    client = make_client(HookTransport(sim_transport, rename))
    summary = await archive(client, directory)
    assert [s["job"] for s in summary.skipped] == [repr(b) for b in hostile]
    assert all("cannot name a file" in s["reason"] for s in summary.skipped)
    assert any("'../../training'" in note for note in summary.notes)
    assert sorted(os.listdir(tmp_path)) == ["archive"]
    assert outside_snapshot(tmp_path, directory) == before
    assert len(manifest(directory)["jobs"]) == 15 - len(hostile)
    assert verify(directory).ok
    # the command says so, and ends with REJECTED
    from test_command import FakeOut, parse

    out = FakeOut()
    assert await run(client, parse(str(directory)), out) == exits.REJECTED
    assert any("'../escaped'" in note and "cannot name a file" in note for note in out.notes)


async def test_absurd_sizes_are_refused_before_reading(
    made: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "JSON_CAP", 100)
    client = archive_client(Settings(), made)
    job_id = next(iter(manifest(made)["jobs"]))
    with pytest.raises(errors.FtmonApiError, match="more than the 100 read whole"):
        await client.retrieve_job(job_id)
    monkeypatch.setattr(manifest_module, "MANIFEST_CAP", 1000)
    with pytest.raises(ArchiveError, match=r"manifest.json holds [\d,]+ bytes, more than"):
        archive_client(Settings(), made)


# -- interrupted runs ---------------------------------------------------------------------------


async def test_a_tail_past_the_manifest_is_cut_back_before_appending(
    made: Path, sim_world: SimWorld, sim_clock: SimClock, sim_transport: httpx.AsyncBaseTransport
) -> None:
    running = next(j for j in sim_world.list_jobs(limit=100)[0] if j["status"] == "running")
    events = made / "jobs" / running["id"] / "events.jsonl"
    listed = events.read_bytes()
    with events.open("ab") as handle:  # what a run killed after appending leaves behind
        handle.write(b'{"id": "ftevent-half", "message": "half writ')
    report = verify(made)
    assert report.ok and report.tails == [str(events.relative_to(made))]
    client = archive_client(Settings(), made)  # the reader serves the listed part only
    assert len(await reads.all_events(client, running["id"])) == len(listed.splitlines())
    sim_clock.advance(3600)
    await archive(make_client(sim_transport), made)
    assert events_of(made, running["id"]) == sim_world.events_record(running["id"])["data"]
    assert b"ftevent-half" not in events.read_bytes()
    assert verify(made).ok and not verify(made).tails


class _Interrupt:
    """At the ``at``-th request of a run: a simulator fault, Ctrl-C or a lost network."""

    KINDS = ("500", "503", "drop", "garbage", "429", "timeout", "ctrl-c", "network")

    def __init__(self, world: SimWorld, at: int, kind: str) -> None:
        self.world, self.at, self.kind, self.seen = world, at, kind, 0
        #: The task running the archive: Ctrl-C cancels it, as ``asyncio.run`` does.
        self.task: asyncio.Task[Any] | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response | None:
        self.seen += 1
        if self.seen != self.at:
            return None
        if self.kind == "ctrl-c":
            assert self.task is not None
            self.task.cancel()
            return None
        if self.kind == "network":
            raise httpx.ConnectError("network is unreachable", request=request)
        self.world.faults.add(self.kind, count=1, delay=5.0 if self.kind == "timeout" else None)
        return None


def _unlisted(directory: Path) -> set[str]:
    """Files on disk that the manifest does not list: what an interrupted run left behind."""
    listed = {*manifest(directory)["files"], "manifest.json", LOCK}
    return set(all_files(directory)) - listed


def _comparable(directory: Path) -> dict[str, Any]:
    data = manifest(directory)
    for entry in data["jobs"].values():
        entry.pop("archived_at")
    return {"jobs": data["jobs"], "files": data["files"], "objects": data["file_objects"]}


async def test_runs_interrupted_one_after_another_end_as_an_uninterrupted_one(
    sim_world: SimWorld,
    sim_transport: httpx.AsyncBaseTransport,
    tmp_path: Path,
) -> None:
    """Run after run on one archive, each interrupted one request later than the last (a
    simulator fault, a lost network, Ctrl-C, in turn), until one completes: after each, the
    manifest verifies; at the end the archive is the one an uninterrupted run makes."""
    settings_timeout = 0.3
    clean = tmp_path / "clean"
    await archive(make_client(sim_transport), clean, concurrency=2)
    directory = tmp_path / "archive"
    at, runs = 1, 0
    while True:
        hook = _Interrupt(sim_world, at, _Interrupt.KINDS[runs % len(_Interrupt.KINDS)])
        client = make_client(HookTransport(sim_transport, hook), timeout=settings_timeout)
        hook.task = asyncio.ensure_future(archive(client, directory, concurrency=2))
        try:
            summary = await hook.task
        except asyncio.CancelledError:
            summary = None
        sim_world.faults.clear()
        runs += 1
        if directory.exists() and (directory / "manifest.json").exists():
            report = verify(directory)
            assert report.ok, (at, hook.kind, report.problems)
        if summary is not None and summary.error is None:
            break
        at += 1
        assert runs < 400
    assert runs > 10
    assert _comparable(directory) == _comparable(clean)
    assert _unlisted(directory) == set()  # no temporary file left behind


async def test_a_full_disk_at_each_write_leaves_a_manifest_that_verifies(
    sim_world: SimWorld,
    sim_transport: httpx.AsyncBaseTransport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """For every write k of a whole run (a file, an append, the manifest itself): a fresh
    archive whose k-th write fails with ENOSPC verifies, and the next run completes it."""
    jobs = sim_world.list_jobs(limit=100)[0]
    chosen = [next(j["id"] for j in jobs if j["status"] == s) for s in ("running", "succeeded")]
    selection = Selection(job_ids=chosen)
    count = {"n": 0, "at": 0}

    def failing(real: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            count["n"] += 1
            if count["n"] == count["at"]:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(*args, **kwargs)

        return write

    for module in (store_module, manifest_module):
        monkeypatch.setattr(module, "write_bytes_atomic", failing(module.write_bytes_atomic))
    monkeypatch.setattr(store_module.os, "pwrite", failing(os.pwrite))
    clean = tmp_path / "clean"
    await archive(make_client(sim_transport), clean, selection)
    writes = count["n"]
    assert writes > 10
    for at in range(1, writes + 1):
        directory = tmp_path / f"at-{at}"
        count["n"], count["at"] = 0, at
        try:
            summary = await archive(make_client(sim_transport), directory, selection)
        except OSError as exc:  # the first manifest, written before anything else
            assert at == 1 and exc.errno == errno.ENOSPC
        else:
            assert isinstance(summary.error, OSError), at
            assert summary.error.errno == errno.ENOSPC
        if (directory / "manifest.json").exists():
            assert verify(directory).ok, at
        count["at"] = 0
        assert (await archive(make_client(sim_transport), directory, selection)).error is None
        assert _comparable(directory) == _comparable(clean), at
        assert _unlisted(directory) == set(), at


async def test_a_run_interrupted_at_each_of_its_requests_is_completed_by_the_next(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    """For every request k of a whole run: a fresh archive interrupted at its k-th request (the
    kinds in turn) verifies, and one more run makes it the uninterrupted run's archive."""
    jobs = sim_world.list_jobs(limit=100)[0]
    statuses = ("running", "succeeded", "cancelled", "failed")
    selection = Selection(
        job_ids=[next(j["id"] for j in jobs if j["status"] == s) for s in statuses]
    )
    clean = tmp_path / "clean"
    counted = HookTransport(sim_transport)
    await archive(make_client(counted), clean, selection, concurrency=2)
    total = len(counted.requests)
    assert total > 15
    for at in range(1, total + 1):
        directory = tmp_path / f"at-{at}"
        hook = _Interrupt(sim_world, at, _Interrupt.KINDS[at % len(_Interrupt.KINDS)])
        client = make_client(HookTransport(sim_transport, hook), timeout=0.3)
        hook.task = asyncio.ensure_future(archive(client, directory, selection, concurrency=2))
        with contextlib.suppress(asyncio.CancelledError):
            await hook.task  # an error, or a run that got past it (a garbled download read again)
        sim_world.faults.clear()
        if (directory / "manifest.json").exists():
            report = verify(directory)
            assert report.ok, (at, hook.kind, report.problems)
        again = await archive(make_client(sim_transport), directory, selection, concurrency=2)
        assert again.error is None, (at, hook.kind)
        assert _comparable(directory) == _comparable(clean), (at, hook.kind)
        assert _unlisted(directory) == set(), (at, hook.kind)


def test_a_manifest_that_names_paths_or_ids_outside_is_refused(made: Path) -> None:
    data = manifest(made)
    for key, value in (
        ("files", {**data["files"], "../outside": {"size": 1, "sha256": "0" * 64}}),
        ("files", {**data["files"], "/etc/passwd": {"size": 1, "sha256": "0" * 64}}),
        ("jobs", {**data["jobs"], "../evil": {}}),
    ):
        (made / "manifest.json").write_text(json.dumps({**data, key: value}))
        with pytest.raises(ArchiveError) as caught:
            verify(made)
        assert caught.value.message.startswith("manifest.json: ")
        assert (
            "outside" in caught.value.message
            or "evil" in caught.value.message
            or ("passwd" in caught.value.message)
        )


async def test_one_run_at_a_time_writes_an_archive(
    sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    from ftmon.archive.store import lock_archive

    directory = tmp_path / "archive"
    held = lock_archive(directory)
    try:
        with pytest.raises(ArchiveError, match="another ftmon archive is writing"):
            await archive(make_client(sim_transport), directory)
    finally:
        os.close(held)
    assert (await archive(make_client(sim_transport), directory)).complete
    assert verify(directory).ok


async def test_a_manifest_entry_of_an_unknown_shape_is_an_error_answer_not_a_crash(
    made: Path,
) -> None:
    data = manifest(made)
    job_id = next(iter(data["jobs"]))
    data["jobs"][job_id]["events"] = ["not", "an", "object"]
    (made / "manifest.json").write_text(json.dumps(data))
    client = archive_client(Settings(), made)
    with pytest.raises(errors.FtmonApiError, match="an entry this ftmon cannot read"):
        await reads.all_events(client, job_id)
    assert (await client.retrieve_job(job_id)).id == job_id
