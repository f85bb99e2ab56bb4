"""Every client operation round-trips through the simulator (spec-validated), and once over TCP."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from support.simkit import ADMIN_KEY, TEST_KEY

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import FineTuningJob
from ftmon.api.pagination import EventTail, iter_items
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings
from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld

GOOD_LINE = (
    b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n'
)


def sim_settings(base_url: str = "http://sim.test/v1", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": Secret(TEST_KEY),
        "admin_key": Secret(ADMIN_KEY),
        "base_url": base_url,
        "timeout": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def make_client(
    sim_transport: httpx.AsyncBaseTransport,
) -> AsyncIterator[Callable[..., FineTuningClient]]:
    made: list[FineTuningClient] = []
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    def make(**overrides: Any) -> FineTuningClient:
        client = FineTuningClient(
            sim_settings(**overrides),
            transport=sim_transport,
            retry=RetryPolicy(max_attempts=4, rng=random.Random(3)),
            sleep=fake_sleep,
        )
        client.sleeps = sleeps  # type: ignore[attr-defined]
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., FineTuningClient]) -> FineTuningClient:
    return make_client()


async def all_jobs(client: FineTuningClient, **kwargs: Any) -> list[FineTuningJob]:
    return [
        j async for j in iter_items(lambda after: client.list_jobs(after=after, limit=4, **kwargs))
    ]


def by_suffix(jobs: list[FineTuningJob], suffix: str) -> FineTuningJob:
    return next(j for j in jobs if j.display_suffix == suffix)


# -- jobs ------------------------------------------------------------------------------------------


async def test_list_every_job_across_pages(client, sim_world: SimWorld):
    jobs = await all_jobs(client)
    assert len(jobs) == sim_world.job_count() >= 12
    assert len({j.id for j in jobs}) == len(jobs)
    created = [j.created_at or 0 for j in jobs]
    assert created == sorted(created, reverse=True)  # newest first
    assert {"running", "succeeded", "failed", "cancelled", "paused"} <= {j.status for j in jobs}


async def test_list_jobs_by_metadata_and_without(client):
    everything = await all_jobs(client)
    legal = await all_jobs(client, metadata={"team": "legal"})
    assert legal and all((j.metadata or {}).get("team") == "legal" for j in legal)
    assert {j.id for j in legal} == {
        j.id for j in everything if (j.metadata or {}).get("team") == "legal"
    }
    bare = await all_jobs(client, without_metadata=True)
    assert bare and all(not j.metadata for j in bare)
    assert {j.id for j in bare} == {j.id for j in everything if not j.metadata}


async def test_retrieve_a_job(client):
    listed = (await client.list_jobs(limit=1)).data[0]
    job = await client.retrieve_job(listed.id)
    assert job.id == listed.id and job.status == listed.status


async def test_pause_resume_and_cancel(client, sim_clock: SimClock):
    running = next(j for j in await all_jobs(client) if j.status == "running")
    paused = await client.pause_job(running.id)
    assert paused.status in {"pausing", "paused"}
    sim_clock.advance(120)
    assert (await client.retrieve_job(running.id)).status == "paused"
    resumed = await client.resume_job(running.id)
    assert resumed.status not in {"pausing", "paused"} and not resumed.is_final
    cancelled = await client.cancel_job(running.id)
    assert cancelled.status in {"cancelling", "cancelled"}
    sim_clock.advance(120)
    assert (await client.retrieve_job(running.id)).status == "cancelled"


async def test_acting_on_a_final_job_is_a_typed_error(client):
    done = next(j for j in await all_jobs(client) if j.status == "succeeded")
    with pytest.raises(errors.FtmonApiError) as info:
        await client.cancel_job(done.id)
    assert info.value.status_code in {400, 409}
    assert info.value.api_message
    assert info.value.request_id


async def test_unknown_job_is_not_found_with_the_api_message(client):
    with pytest.raises(errors.NotFoundError) as info:
        await client.retrieve_job("ftjob-nope")
    assert "ftjob-nope" in str(info.value)
    assert info.value.request_id and info.value.request_id in str(info.value)


async def test_upload_create_and_follow_a_job(client, sim_clock: SimClock, tmp_path):
    source = tmp_path / "train.jsonl"
    source.write_bytes(GOOD_LINE * 20)
    uploaded = await client.upload_file(source)
    assert uploaded.filename == "train.jsonl" and uploaded.purpose == "fine-tune"
    assert uploaded.bytes == len(GOOD_LINE * 20)
    assert (await client.retrieve_file(uploaded.id)).id == uploaded.id
    assert await client.file_content(uploaded.id) == GOOD_LINE * 20

    job = await client.create_job(
        {
            "model": "gpt-4.1-mini",
            "training_file": uploaded.id,
            "suffix": "round-trip",
            "metadata": {"owner": "api-tests"},
            "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1}}},
        }
    )
    assert job.status == "validating_files" and job.display_suffix == "round-trip"

    tail = EventTail()
    fetch = lambda after: client.list_events(job.id, after=after, limit=5)  # noqa: E731
    first = await tail.poll(fetch)
    assert first and first[0].message
    sim_clock.advance(600)
    more = await tail.poll(fetch)
    assert more
    assert not {e.id for e in first} & {e.id for e in more}
    times = [e.created_at or 0 for e in first + more]
    assert times == sorted(times)  # oldest first, in order across polls
    sim_clock.advance(3600)
    done = await client.retrieve_job(job.id)
    assert done.status == "succeeded" and done.result_files
    rest = await tail.poll(fetch)
    assert len({e.id for e in first + more + rest}) == len(first + more + rest)
    assert await tail.poll(fetch) == []


async def test_checkpoints_and_the_result_csv(client):
    done = [j for j in await all_jobs(client) if j.status == "succeeded"]
    for job in done:
        page = await client.list_checkpoints(job.id, limit=10)
        assert page.data and all(c.fine_tuning_job_id == job.id for c in page.data)
        assert all(c.fine_tuned_model_checkpoint for c in page.data)
        csv = await client.result_csv(job.result_files[0])
        header = csv.splitlines()[0].split(",")
        assert header[0] == "step" and len(csv.splitlines()) > 2
    # One seeded job serves its result file base64-encoded: it reads the same.
    raw = await client.file_content(by_suffix(done, "tone-dpo").result_files[0])
    assert b"," not in raw
    assert (await client.result_csv(by_suffix(done, "tone-dpo").result_files[0])).startswith(
        "step,"
    )


async def test_checkpoint_permissions_with_the_admin_key(client):
    done = next(j for j in await all_jobs(client) if j.status == "succeeded")
    checkpoint = (await client.list_checkpoints(done.id)).data[0]
    model = checkpoint.fine_tuned_model_checkpoint
    assert model and model.startswith("ft:")
    created = await client.create_permissions(model, ["proj_a", "proj_b"])
    assert sorted(p.project_id or "" for p in created.data) == ["proj_a", "proj_b"]
    listed = await client.list_permissions(model, order="asc", limit=10)
    assert {p.id for p in created.data} <= {p.id for p in listed.data}
    only_a = await client.list_permissions(model, project_id="proj_a")
    assert [p.project_id for p in only_a.data] == ["proj_a"]
    gone = await client.delete_permission(model, created.data[0].id)
    assert gone.deleted and gone.id == created.data[0].id
    after = await client.list_permissions(model)
    assert created.data[0].id not in {p.id for p in after.data}


async def test_permissions_with_a_plain_key_as_admin_key_are_refused(make_client):
    client = make_client(admin_key=Secret(TEST_KEY))
    with pytest.raises((errors.PermissionDeniedError, errors.AuthenticationError)) as info:
        await client.list_permissions("ft:gpt-4o-mini-2024-07-18:acme-ml:x:y:ckpt-step-1")
    assert "admin key" in str(info.value)


async def test_permissions_without_admin_key_never_reach_the_simulator(
    make_client, sim_world: SimWorld
):
    client = make_client(admin_key=None)
    before = sim_world.stats_snapshot()
    with pytest.raises(errors.MissingAdminKeyError):
        await client.list_permissions("ft:any")
    assert sim_world.stats_snapshot() == before


async def test_files_list_and_delete(client, tmp_path):
    source = tmp_path / "extra.jsonl"
    source.write_bytes(GOOD_LINE * 10)
    uploaded = await client.upload_file(source)
    files = [f async for f in iter_items(lambda after: client.list_files(after=after, limit=3))]
    assert uploaded.id in {f.id for f in files}
    fine_tune = await client.list_files(purpose="fine-tune", limit=100)
    assert fine_tune.data and all(f.purpose == "fine-tune" for f in fine_tune.data)
    deleted = await client.delete_file(uploaded.id)
    assert deleted.deleted and deleted.id == uploaded.id
    with pytest.raises(errors.NotFoundError):
        await client.retrieve_file(uploaded.id)


async def test_wrong_key_is_an_authentication_error(make_client):
    wrong = "sk-invalid-000000000000000"  # the simulator refuses keys with this prefix
    client = make_client(api_key=Secret(wrong))
    with pytest.raises(errors.AuthenticationError) as info:
        await client.list_jobs()
    assert str(info.value).startswith("The API key was not accepted (401")
    assert "Incorrect API key provided" in str(info.value)
    assert wrong not in str(info.value)


async def test_azure_header_mode_is_accepted(make_client):
    client = make_client(auth_header="api-key", base_url="http://sim.test/v1")
    assert (await client.list_jobs(limit=2)).data


# -- faults -------------------------------------------------------------------------------------


async def test_rate_limit_then_success_honours_retry_after(client, sim_world: SimWorld):
    sim_world.faults.add("429", count=2, retry_after=3)
    page = await client.list_jobs(limit=2)
    assert page.data
    assert client.sleeps == [3.0, 3.0]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["500", "502", "503", "drop"])
async def test_passing_faults_are_retried(client, sim_world: SimWorld, kind):
    sim_world.faults.add(kind, count=1)
    assert (await client.list_jobs(limit=1)).data
    assert len(client.sleeps) == 1  # type: ignore[attr-defined]


@pytest.mark.sim_off_spec
async def test_garbage_body_is_a_decode_error(client, sim_world: SimWorld):
    sim_world.faults.add("garbage", count=1)
    with pytest.raises(errors.DecodeError):
        await client.list_jobs(limit=1)


async def test_create_job_is_not_repeated_after_a_server_error(
    client, sim_world: SimWorld, tmp_path
):
    source = tmp_path / "train.jsonl"
    source.write_bytes(GOOD_LINE * 20)
    uploaded = await client.upload_file(source)
    before = sim_world.job_count()
    sim_world.faults.add("500", route="/v1/fine_tuning/jobs", method="POST", count=1)
    with pytest.raises(errors.ServerError):
        await client.create_job({"model": "gpt-4.1-mini", "training_file": uploaded.id})
    assert sim_world.job_count() == before
    assert client.sleeps == []  # type: ignore[attr-defined]
    sim_world.faults.add("429", route="/v1/fine_tuning/jobs", method="POST", count=1)
    job = await client.create_job({"model": "gpt-4.1-mini", "training_file": uploaded.id})
    assert sim_world.job_count() == before + 1
    assert (await client.retrieve_job(job.id)).id == job.id


# -- over real TCP -------------------------------------------------------------------------------


async def test_smoke_over_tcp(sim_tcp: str, sim_world: SimWorld):
    async def no_sleep(_: float) -> None:
        return None

    async with FineTuningClient(sim_settings(sim_tcp), sleep=no_sleep) as client:
        jobs = await all_jobs(client)
        assert len(jobs) == sim_world.job_count()
        done = next(j for j in jobs if j.status == "succeeded")
        assert (await client.retrieve_job(done.id)).id == done.id
        assert (await client.result_csv(done.result_files[0])).startswith("step,")
        events = await client.list_events(done.id, limit=3)
        assert len(events.data) == 3
        sim_world.faults.add("503", count=1)
        assert (await client.list_jobs(limit=1)).data  # retried over the wire
