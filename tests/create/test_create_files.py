"""Training files through the simulator: uploaded (streamed, with progress) through the client,
listed, deleted and refused as real; a local file checked off the event loop."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings
from ftmon.create import files
from ftmon.create.files import check_local_file, list_training_files
from ftmon.datasets.validate import CheckCancelled
from ftmon.localread import LocalInputError
from ftmon.sim.world import SimWorld
from ftmon.text import human_size


def chat_lines(count: int) -> bytes:
    line = {"messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}]}
    return (json.dumps(line) + "\n").encode() * count


@pytest.fixture
def client(sim_transport: httpx.AsyncBaseTransport) -> FineTuningClient:
    settings = Settings(
        api_key=Secret("sk-test-0000"), base_url="http://sim.test/v1", max_retries=0
    )
    return FineTuningClient(settings, transport=sim_transport)


async def test_upload_streams_with_progress_and_the_sim_keeps_the_bytes(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    data = chat_lines(6000)
    path.write_bytes(data)
    seen: list[tuple[int, int]] = []
    uploaded = await client.upload_file(path, on_progress=lambda s, t: seen.append((s, t)))
    assert uploaded.id.startswith("file-")
    assert uploaded.filename == "train.jsonl" and uploaded.purpose == "fine-tune"
    assert uploaded.bytes == len(data)
    assert sim_world.file_content(uploaded.id) == data
    assert len(seen) > 3  # chunks of 64 KiB, reported as they go out
    assert seen[-1] == (len(data), len(data))
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)


async def test_uploaded_files_are_listed_newest_first_and_can_be_deleted(
    client: FineTuningClient, tmp_path: Path
) -> None:
    before = {f.id for f in await list_training_files(client)}
    ids = []
    for name in ("a.jsonl", "b.jsonl"):
        path = tmp_path / name
        path.write_bytes(chat_lines(10))
        ids.append((await client.upload_file(path)).id)
    listed = await list_training_files(client)
    assert {f.id for f in listed} == before | set(ids)
    assert all(f.purpose == "fine-tune" for f in listed)
    await client.delete_file(ids[0])
    assert ids[0] not in {f.id for f in await list_training_files(client)}


async def test_a_file_that_is_not_jsonl_is_refused_like_the_real_api(
    client: FineTuningClient, tmp_path: Path
) -> None:
    path = tmp_path / "train.txt"
    path.write_bytes(b"{}\n")
    with pytest.raises(errors.BadRequestError) as caught:
        await client.upload_file(path)
    assert caught.value.api_param == "file"
    assert "jsonl" in str(caught.value).lower()


async def test_a_missing_local_file_is_an_os_error(
    client: FineTuningClient, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await client.upload_file(tmp_path / "nope.jsonl")


async def test_a_fifo_is_refused_before_any_request(
    client: FineTuningClient, sim_world: SimWorld, tmp_path: Path
) -> None:
    fifo = tmp_path / "train.jsonl"
    os.mkfifo(fifo)
    sim_world.stats.reset()
    with pytest.raises(LocalInputError, match="FIFO"):
        await client.upload_file(fifo)  # opening it to read would block until a writer came
    assert sim_world.stats.snapshot()["total"] == 0


async def test_a_local_file_is_checked_with_progress_on_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_lines(40_000))  # a few MiB: several progress reports
    loop_thread = threading.get_ident()
    seen: list[tuple[int, int, int]] = []
    report = await check_local_file(
        path, "supervised", on_progress=lambda d, t: seen.append((threading.get_ident(), d, t))
    )
    assert report.ok and report.examples == 40_000
    assert len(seen) > 1 and {thread for thread, _, _ in seen} == {loop_thread}
    assert seen[-1][1:] == (path.stat().st_size, path.stat().st_size)


async def test_a_validation_file_needs_no_minimum_of_examples(tmp_path: Path) -> None:
    path = tmp_path / "valid.jsonl"
    path.write_bytes(chat_lines(2))
    assert not (await check_local_file(path, "supervised")).ok
    assert (await check_local_file(path, "supervised", validation=True)).ok


async def test_a_check_stops_when_asked_and_when_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(chat_lines(100_000))  # several MiB: asked to stop after each one
    with pytest.raises(CheckCancelled):
        await check_local_file(path, "supervised", should_stop=lambda: True)

    ended: list[type[BaseException] | None] = []
    started = threading.Event()
    checking = files.check_file

    def spy(*args: Any, **kwargs: Any) -> Any:  # how the thread's check ended
        started.set()
        try:
            report = checking(*args, **kwargs)
        except BaseException as exc:
            ended.append(type(exc))
            raise
        ended.append(None)
        return report

    cancelled = threading.Event()

    def should_stop() -> bool:  # in the thread: holds the check until the await is cancelled
        cancelled.wait(10)
        return False

    monkeypatch.setattr(files, "check_file", spy)
    task = asyncio.ensure_future(check_local_file(path, "supervised", should_stop=should_stop))
    for _ in range(1000):  # cancelled before it runs, the thread would never check at all
        if started.is_set():
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    cancelled.set()
    for _ in range(1000):  # the thread cannot be cancelled: it is told to stop, and does
        if ended:
            break
        await asyncio.sleep(0.01)
    assert ended == [CheckCancelled]


def test_human_size() -> None:
    assert human_size(812) == "812 B"
    assert human_size(4_200_000) == "4.2 MB"
    assert human_size(None) == "?"
