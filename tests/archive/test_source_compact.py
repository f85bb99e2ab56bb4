"""The archive source holds little of what it serves: an events file's ids as hashes (found again
by reading the lines back), and of each manifest entry only the paths a request reads. What it
answers is what it answered when it held them whole."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from archkit import make_client, manifest

from ftmon.api import errors
from ftmon.archive import source as source_module
from ftmon.archive.source import archive_client
from ftmon.archive.writer import archive
from ftmon.config import Settings
from ftmon.monitor import reads


@pytest.fixture
async def made(sim_transport: httpx.AsyncBaseTransport, tmp_path: Path) -> Path:
    directory = tmp_path / "archive"
    summary = await archive(make_client(sim_transport), directory)
    assert summary.error is None
    return directory


def longest_events(directory: Path) -> tuple[str, list[str]]:
    """(the job with the most archived events, their ids newest first)."""
    data = manifest(directory)
    job_id = max(data["jobs"], key=lambda j: data["jobs"][j]["events"]["count"])
    path = directory / data["jobs"][job_id]["events"]["path"]
    ids = [json.loads(line)["id"] for line in path.read_text().splitlines()]
    return job_id, ids[::-1]


async def test_events_page_by_id_even_when_every_id_hashes_the_same(
    made: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, ids = longest_events(made)
    assert len(ids) > 10
    monkeypatch.setattr(source_module, "_id_hash", lambda event_id: 7)
    client = archive_client(Settings(), made)
    paged: list[str] = []
    after: str | None = None
    while True:
        page = await client.list_events(job_id, after=after, limit=3)
        paged += [event.id for event in page.data]
        if not page.has_more:
            break
        after = page.data[-1].id
    assert paged == ids
    with pytest.raises(errors.FtmonApiError, match="No event found with id ftevent-none"):
        await client.list_events(job_id, after="ftevent-none", limit=3)


async def test_entries_of_an_unknown_shape_are_error_answers_where_they_are_read(
    made: Path,
) -> None:
    data = manifest(made)
    job_id, _ = longest_events(made)
    data["jobs"][job_id]["checkpoints"] = 42
    data["jobs"][job_id]["permissions"] = ["path"]
    file_id = next(f for f, entry in data["file_objects"].items() if "metadata" in entry)
    data["file_objects"][file_id]["metadata"] = {"no": "path"}
    (made / "manifest.json").write_text(json.dumps(data))
    client = archive_client(Settings(), made)
    assert (await client.retrieve_job(job_id)).id == job_id
    assert (await reads.all_events(client, job_id))[0].id
    with pytest.raises(errors.FtmonApiError, match="an entry this ftmon cannot read"):
        await client.list_checkpoints(job_id)
    with pytest.raises(errors.FtmonApiError, match="an entry this ftmon cannot read"):
        await client.retrieve_file(file_id)
