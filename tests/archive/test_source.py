"""An archive read back as the API: every reader gets from it what it got from the live API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from archkit import HookTransport, error_answer, make_client
from support.spec import SpecObserver

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.pagination import iter_items
from ftmon.archive.source import (
    READ_ONLY,
    ArchiveSource,
    ArchiveTransport,
    archive_client,
    archive_settings,
    describe,
)
from ftmon.archive.writer import archive
from ftmon.config import Settings
from ftmon.export import export_job
from ftmon.monitor import reads
from ftmon.monitor.engine import Monitor
from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld


def dumped(items: list[Any]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


async def every_job(client: FineTuningClient, **filters: Any) -> list[dict[str, Any]]:
    items = [
        job
        async for job in iter_items(lambda after: client.list_jobs(after=after, limit=4, **filters))
    ]
    return dumped(items)


@pytest.fixture
async def both(
    spec_observer: SpecObserver,
    sim_world: SimWorld,
    sim_clock: SimClock,
    sim_transport: httpx.AsyncBaseTransport,
    tmp_path: Path,
) -> tuple[FineTuningClient, FineTuningClient, Path]:
    """The live simulator's client and the client of its archive (made with an admin key)."""
    sim_clock.advance(600)  # the running jobs have metrics and checkpoints by now
    for job in sim_world.list_jobs(limit=100)[0]:
        for checkpoint in sim_world.list_checkpoints(job["id"], limit=2)[0]:
            name = checkpoint["fine_tuned_model_checkpoint"]
            sim_world.create_permissions(name, ["proj_a", "proj_b", "proj_c"])
    live = make_client(sim_transport)
    directory = tmp_path / "archive"
    summary = await archive(live, directory)
    assert summary.error is None
    return live, observed_client(directory, spec_observer), directory


class Observed(httpx.AsyncBaseTransport):
    """The archive's transport, every answer also checked against the OpenAPI spec (as the
    simulator's are): the archive answers in the API's shapes, errors too."""

    def __init__(self, inner: httpx.AsyncBaseTransport, observer: SpecObserver) -> None:
        self.inner = inner
        self.observer = observer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = await self.inner.handle_async_request(request)
        body = await answer.aread()
        route = "/v1/" + request.url.path.split("/v1/", 1)[1]
        parsed = json.loads(body) if "json" in answer.headers.get("content-type", "") else None
        self.observer(request.method, route, answer.status_code, parsed)
        return httpx.Response(answer.status_code, headers=answer.headers, content=body)


def observed_client(directory: Path, observer: SpecObserver) -> FineTuningClient:
    source = ArchiveSource(directory)
    settings = archive_settings(Settings(), directory, source.manifest)
    transport = Observed(ArchiveTransport(source, settings.base_url), observer)
    return FineTuningClient(settings, transport=transport)


async def test_job_lists_and_filters_are_the_live_ones(
    both: tuple[FineTuningClient, FineTuningClient, Path], spec_observer: SpecObserver
) -> None:
    live, old, _ = both
    checked = spec_observer.checked
    assert await every_job(old) == await every_job(live)
    assert len(await every_job(old)) == 15
    for filters in ({"without_metadata": True}, {"metadata": {"team": "search"}}):
        assert await every_job(old, **filters) == await every_job(live, **filters)
    first = (await old.list_jobs(limit=3)).data[0]
    assert (await old.retrieve_job(first.id)) == (await live.retrieve_job(first.id))
    assert await old.retrieve_job_json(first.id) == await live.retrieve_job_json(first.id)
    assert spec_observer.checked > checked + 20  # the archive's answers were checked too


async def test_events_checkpoints_metrics_and_permissions_are_the_live_ones(
    both: tuple[FineTuningClient, FineTuningClient, Path],
) -> None:
    live, old, _ = both
    shared = 0
    for job in (await live.list_jobs(limit=100)).data:
        assert dumped(await reads.all_events(old, job.id)) == dumped(
            await reads.all_events(live, job.id)
        )
        assert dumped(await reads.all_events(old, job.id, cap=7)) == dumped(
            await reads.all_events(live, job.id, cap=7)
        )
        checkpoints = await reads.all_checkpoints(old, job.id)
        assert dumped(checkpoints) == dumped(await reads.all_checkpoints(live, job.id))
        series_old = await reads.job_series(old, job)
        series_live = await reads.job_series(live, job)
        assert series_old.source == series_live.source
        assert series_old.series.names() == series_live.series.names()
        for name in series_live.series.names():
            assert series_old.series.column(name) == series_live.series.column(name)
        for checkpoint in checkpoints:
            name = checkpoint.fine_tuned_model_checkpoint
            for order in ("asc", "desc"):
                assert dumped((await old.list_permissions(name, order=order, limit=2)).data) == (
                    dumped((await live.list_permissions(name, order=order, limit=2)).data)
                )
            shared += len((await old.list_permissions(name)).data)
    assert shared > 0, "the default world shares some checkpoint"


async def test_an_export_from_the_archive_is_the_live_export(
    both: tuple[FineTuningClient, FineTuningClient, Path], tmp_path: Path
) -> None:
    live, old, _ = both
    for job in (await live.list_jobs(limit=100)).data:
        a = await export_job(live, job.id, tmp_path / "live" / job.id)
        b = await export_job(old, job.id, tmp_path / "old" / job.id)
        assert a.paths.keys() == b.paths.keys()
        for key in a.paths:
            assert a.paths[key].read_bytes() == b.paths[key].read_bytes(), (job.id, key)


async def test_files_and_their_content_as_archived(
    both: tuple[FineTuningClient, FineTuningClient, Path],
) -> None:
    live, old, _ = both
    job = next(j for j in (await live.list_jobs(limit=100)).data if j.result_files)
    for file_id in (job.training_file, job.result_files[0]):
        assert await old.retrieve_file(file_id) == await live.retrieve_file(file_id)
        assert await old.file_content(file_id) == await live.file_content(file_id)
    assert await reads.result_text(old, job) == await reads.result_text(live, job)
    listed = (await old.list_files(limit=5)).data
    assert listed and all(f.id for f in listed)
    with pytest.raises(errors.NotFoundError):
        await old.retrieve_file("file-notarchived")


async def test_the_engine_polls_an_archive_as_it_polls_the_api(
    both: tuple[FineTuningClient, FineTuningClient, Path],
) -> None:
    live, old, _ = both
    monitors = [Monitor(c, page_size=20) for c in (live, old)]
    for monitor in monitors:
        await monitor.poll_once()
        monitor.select(monitor.jobs()[0].id)
        await monitor.poll_once()
    a, b = monitors
    assert [j.id for j in a.jobs()] == [j.id for j in b.jobs()]
    selected = a.jobs()[0].id
    assert [e.message for e in a.events(selected)] == [e.message for e in b.events(selected)]
    assert a.checkpoints(selected) == b.checkpoints(selected)


async def test_every_write_is_refused_read_only(
    both: tuple[FineTuningClient, FineTuningClient, Path],
) -> None:
    _, old, directory = both
    job = (await old.list_jobs(limit=1)).data[0]
    before = {p: p.read_bytes() for p in directory.rglob("*") if p.is_file()}
    for attempt in (
        old.cancel_job(job.id),
        old.pause_job(job.id),
        old.create_job({"model": "gpt-4o-mini", "training_file": "file-x"}),
        old.delete_file(job.training_file or "file-x"),
        old.create_permissions("ft:x", ["proj_1"]),
    ):
        with pytest.raises(errors.PermissionDeniedError) as caught:
            await attempt
        assert caught.value.api_message == READ_ONLY
    assert {p: p.read_bytes() for p in directory.rglob("*") if p.is_file()} == before
    assert old.settings.read_only and old.settings.base_url.startswith("file:///")
    assert old.settings.base_url.endswith(f"{directory.name}/v1")
    assert describe(directory)["base_url"] == "http://sim.test/v1"


async def test_a_refused_download_is_refused_again(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/content") and "file-" in request.url.path:
            file_id = request.url.path.split("/")[-2]
            if sim_world.get_file(file_id)["purpose"] == "fine-tune":
                return error_answer(
                    403, "Not allowed to download files of purpose: fine-tune", request
                )
        return None

    directory = tmp_path / "archive"
    await archive(make_client(HookTransport(sim_transport, refuse), admin=False), directory)
    old = archive_client(Settings(), directory)
    job = (await old.list_jobs(limit=1)).data[0]
    with pytest.raises(errors.PermissionDeniedError) as caught:
        await old.file_content(job.training_file or "")
    assert caught.value.api_message == "Not allowed to download files of purpose: fine-tune"
    checkpoints = [
        c
        for j in (await old.list_jobs(limit=100)).data
        for c in await reads.all_checkpoints(old, j.id)
    ]
    checkpoint = checkpoints[0]
    with pytest.raises(errors.PermissionDeniedError) as caught:
        await old.list_permissions(checkpoint.fine_tuned_model_checkpoint)
    assert "no admin key" in (caught.value.api_message or "")


async def test_a_directory_with_spaces_and_unicode_in_its_name(
    sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    directory = tmp_path / "my runs é #1"
    await archive(make_client(sim_transport), directory)
    old = archive_client(Settings(), directory)
    jobs = (await old.list_jobs(limit=100)).data
    assert len(jobs) == 15
    events = await reads.all_events(old, jobs[0].id)
    assert events == await reads.all_events(make_client(sim_transport), jobs[0].id)
    body = json.loads((directory / "manifest.json").read_text())
    assert body["runs"] == 1
