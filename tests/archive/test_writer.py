"""``ftmon archive``: what the API sent, as sent, and only what changed the second time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
from archkit import (
    ADMIN_KEY,
    API_KEY,
    HookTransport,
    all_files,
    error_answer,
    events_of,
    job_entry,
    make_client,
    manifest,
    read_json,
)

from ftmon import __version__
from ftmon.archive.verify import verify
from ftmon.archive.writer import NO_ADMIN_KEY, Selection, archive
from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld


def jobs_of(world: SimWorld) -> list[dict]:
    return world.list_jobs(limit=1000)[0]


async def test_every_job_is_archived_as_the_api_sent_it(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    directory = tmp_path / "archive"
    summary = await archive(make_client(sim_transport), directory)
    assert summary.error is None and not summary.skipped
    data = manifest(directory)
    jobs = jobs_of(sim_world)
    assert sorted(data["jobs"]) == sorted(j["id"] for j in jobs)
    assert data["base_url"] == "http://sim.test/v1"
    assert data["ftmon_version"] == __version__
    assert data["format"] == "ftmon-archive" and data["created"].endswith("Z")
    for job in jobs:
        entry = data["jobs"][job["id"]]
        assert read_json(directory, entry["job"]["path"]) == job
        record = sim_world.events_record(job["id"])["data"]
        assert events_of(directory, job["id"]) == record  # oldest first, as sent
        assert entry["events"]["count"] == len(record)
        assert entry["events"]["newest_id"] == (record[-1]["id"] if record else None)
        checkpoints = read_json(directory, entry["checkpoints"]["path"])["data"]
        assert checkpoints == sim_world.list_checkpoints(job["id"], limit=100)[0]
        permissions = read_json(directory, entry["permissions"]["path"])
        for checkpoint in checkpoints:
            name = checkpoint["fine_tuned_model_checkpoint"]
            listed = sim_world.list_permissions(name, limit=100)[0]
            assert permissions[name]["data"] == listed
        assert entry["final"] == (job["status"] in ("succeeded", "failed", "cancelled"))
        assert entry["complete"] == entry["final"]
        for file_id in [job["training_file"], *(job["result_files"] or [])]:
            objects = data["file_objects"][file_id]
            assert read_json(directory, objects["metadata"]["path"]) == sim_world.get_file(file_id)
            content = (directory / objects["content"]["path"]).read_bytes()
            assert content == sim_world.file_content(file_id)
    # every file is listed with its size and SHA-256, and the list is every file
    files = all_files(directory)
    listed = data["files"]
    assert sorted(listed) == sorted(set(files) - {"manifest.json", ".ftmon-archive.lock"})
    for path, entry in listed.items():
        sha = hashlib.sha256(files[path]).hexdigest()
        assert entry == {"size": len(files[path]), "sha256": sha}
    assert verify(directory).ok


async def test_no_key_reaches_any_file_even_when_the_server_echoes_it(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    job = next(j for j in jobs_of(sim_world) if j["status"] == "succeeded")
    echoed = f"an echo of {API_KEY} and {ADMIN_KEY}"

    async def echo(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith(f"/jobs/{job['id']}/events"):
            answer = await sim_transport.handle_async_request(request)
            await answer.aread()
            body = json.loads(answer.content)
            for event in body["data"]:
                event["message"] = echoed
            return httpx.Response(200, json=body, request=request)
        return None

    directory = tmp_path / "archive"
    await archive(make_client(HookTransport(sim_transport, echo)), directory)
    files = all_files(directory)
    assert events_of(directory, job["id"])[0]["message"] == "an echo of **** and ****"
    for path, data in files.items():
        assert API_KEY.encode() not in data and ADMIN_KEY.encode() not in data, path
    assert verify(directory).ok


async def test_a_second_run_fetches_only_what_can_still_change(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    directory = tmp_path / "archive"
    await archive(make_client(sim_transport), directory)
    before = all_files(directory)
    sim_world.stats.reset()
    summary = await archive(make_client(sim_transport), directory)
    jobs = jobs_of(sim_world)
    running = [j for j in jobs if j["status"] not in ("succeeded", "failed", "cancelled")]
    assert summary.jobs_unchanged == len(jobs) - len(running)
    assert summary.jobs_fetched == len(running) and summary.events_added == 0
    routes = sim_world.stats.snapshot()["routes"]
    # one list page; per job not yet final: one page of events (meets the newest archived),
    # its checkpoints and their permissions; nothing of a final job
    assert routes.pop("GET /v1/fine_tuning/jobs") == 1
    assert routes.pop("GET /v1/fine_tuning/jobs/{fine_tuning_job_id}/events") == len(running)
    assert routes.pop("GET /v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints") == len(running)
    permissions = "GET /v1/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"
    assert set(routes) <= {permissions}
    after = all_files(directory)
    for path, data in before.items():  # nothing archived is rewritten or lost
        if path != "manifest.json":
            assert after[path] == data, path


async def test_new_events_are_appended_and_the_archived_ones_kept(
    sim_world: SimWorld,
    sim_clock: SimClock,
    sim_transport: httpx.AsyncBaseTransport,
    tmp_path: Path,
) -> None:
    directory = tmp_path / "archive"
    await archive(make_client(sim_transport), directory)
    running = next(j for j in jobs_of(sim_world) if j["status"] == "running")
    old_events = (directory / "jobs" / running["id"] / "events.jsonl").read_bytes()
    old_job_path = job_entry(directory, running["id"])["job"]["path"]
    sim_clock.advance(3 * 3600)
    summary = await archive(make_client(sim_transport), directory)
    assert summary.events_added > 0
    record = sim_world.events_record(running["id"])["data"]
    assert events_of(directory, running["id"]) == record
    new_events = (directory / "jobs" / running["id"] / "events.jsonl").read_bytes()
    assert new_events.startswith(old_events)
    entry = job_entry(directory, running["id"])
    assert read_json(directory, entry["job"]["path"]) == sim_world.get_job(running["id"])
    # the job's earlier state has a new name; the old one, no longer listed, is removed
    assert entry["job"]["path"] != old_job_path and not (directory / old_job_path).exists()
    assert verify(directory).ok


async def test_without_an_admin_key_permissions_are_marked_and_fetched_later(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    directory = tmp_path / "archive"
    transport = HookTransport(sim_transport)
    await archive(make_client(transport, admin=False), directory)
    assert not any("permissions" in r for r in transport.requests)
    job = next(j for j in jobs_of(sim_world) if j["status"] == "succeeded")
    assert job_entry(directory, job["id"])["permissions"] == {"not_archived": NO_ADMIN_KEY}
    assert job_entry(directory, job["id"])["complete"] is True
    # a later run with the admin key fetches them, and nothing else of a final job
    transport.requests.clear()
    await archive(make_client(transport, admin=True), directory)
    entry = job_entry(directory, job["id"])
    assert "path" in entry["permissions"]
    assert not any(r.endswith("/content") for r in transport.requests)


async def test_a_refused_download_is_recorded_and_the_run_goes_on(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    message = "To help mitigate abuse, downloading of fine-tune training files is disabled."

    async def refuse(request: httpx.Request) -> httpx.Response | None:
        path = request.url.path
        if path.endswith("/content"):
            file_id = path.split("/")[-2]
            if sim_world.get_file(file_id)["purpose"] == "fine-tune":
                return error_answer(400, message, request)
        return None

    directory = tmp_path / "archive"
    summary = await archive(make_client(HookTransport(sim_transport, refuse)), directory)
    assert summary.error is None and summary.refusals
    job = next(j for j in jobs_of(sim_world) if j["status"] == "succeeded")
    objects = manifest(directory)["file_objects"]
    training = objects[job["training_file"]]
    assert training["content_refused"] == {"status": 400, "message": message}
    assert "content" not in training and "metadata" in training
    assert "content" in objects[job["result_files"][0]]  # a result file downloads
    assert job_entry(directory, job["id"])["complete"] is True
    assert verify(directory).ok


async def test_selection_by_id_date_and_status(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    jobs = jobs_of(sim_world)
    client = make_client(sim_transport)
    one = jobs[3]["id"]
    summary = await archive(client, tmp_path / "one", Selection(job_ids=[one, "ftjob-nope"]))
    assert list(manifest(tmp_path / "one")["jobs"]) == [one]
    assert summary.not_found == ["ftjob-nope"]
    await archive(client, tmp_path / "failed", Selection(statuses=frozenset({"failed"})))
    statuses = {e["status"] for e in manifest(tmp_path / "failed")["jobs"].values()}
    assert statuses == {"failed"}
    cut = sorted(j["created_at"] for j in jobs)[len(jobs) // 2]
    await archive(client, tmp_path / "since", Selection(since=cut))
    archived = manifest(tmp_path / "since")["jobs"]
    assert sorted(archived) == sorted(j["id"] for j in jobs if j["created_at"] >= cut)


async def test_a_job_whose_reads_are_refused_is_left_for_the_next_run(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    job = next(j for j in jobs_of(sim_world) if j["status"] == "succeeded")

    async def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith(f"/jobs/{job['id']}/checkpoints"):
            return error_answer(400, "checkpoints are unavailable", request)
        return None

    directory = tmp_path / "archive"
    summary = await archive(make_client(HookTransport(sim_transport, refuse)), directory)
    assert summary.error is None and not summary.complete
    assert [f["job"] for f in summary.failed] == [job["id"]]
    assert summary.failed[0]["error"]["api_message"] == "checkpoints are unavailable"
    assert job["id"] not in manifest(directory)["jobs"] and verify(directory).ok
    again = await archive(make_client(sim_transport), directory)
    assert again.complete and job_entry(directory, job["id"])["complete"] is True
    assert again.jobs_fetched == 1 + sum(
        1 for j in jobs_of(sim_world) if j["status"] not in ("succeeded", "failed", "cancelled")
    )
