"""Uploads through the simulator: streamed with progress, listed, deleted, and refused as real."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from dskit import good, jsonl

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings
from ftmon.datasets.upload import human_size, list_training_files, upload_with_progress
from ftmon.sim.world import SimWorld


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
    data = jsonl(good("supervised", 4000))
    path.write_bytes(data)
    seen: list[tuple[int, int]] = []
    uploaded = await upload_with_progress(
        client, path, on_progress=lambda s, t: seen.append((s, t))
    )
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
        path.write_bytes(jsonl(good("supervised", 10)))
        ids.append((await upload_with_progress(client, path)).id)
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
        await upload_with_progress(client, path)
    assert caught.value.api_param == "file"
    assert "jsonl" in str(caught.value).lower()


async def test_a_missing_local_file_is_an_os_error(
    client: FineTuningClient, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await upload_with_progress(client, tmp_path / "nope.jsonl")


def test_human_size() -> None:
    assert human_size(812) == "812 B"
    assert human_size(4_200_000) == "4.2 MB"
    assert human_size(None) == "?"
