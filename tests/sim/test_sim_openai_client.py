"""The official ``openai`` SDK, an independent client, drives every operation over real TCP.

OpenAI only (permissions, graders, the metadata filter); the SDK's ``AzureOpenAI`` client drives
the azure flavour in ``test_sim_azure.py``.
"""

from __future__ import annotations

import openai
import pytest
from support.simkit import ADMIN_KEY, TEST_KEY

from ftmon.sim.world import SimWorld

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def client(sim_tcp: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=TEST_KEY, base_url=sim_tcp, max_retries=0, timeout=10)


@pytest.fixture
def admin(sim_tcp: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=ADMIN_KEY, base_url=sim_tcp, max_retries=0, timeout=10)


def test_jobs_list_retrieve_events_checkpoints(client: openai.OpenAI) -> None:
    first = client.fine_tuning.jobs.list(limit=5)
    assert len(first.data) == 5 and first.has_more
    every = list(client.fine_tuning.jobs.list(limit=4))  # the SDK follows `after` itself
    assert len(every) == 15
    assert len({j.id for j in every}) == 15
    stamps = [j.created_at for j in every]
    assert stamps == sorted(stamps, reverse=True)
    assert {j.status for j in every} >= {"running", "succeeded", "failed", "cancelled", "queued"}

    tagged = client.fine_tuning.jobs.list(metadata={"team": "search"})
    assert tagged.data and all(j.metadata["team"] == "search" for j in tagged.data)

    done = next(
        j
        for j in every
        if j.status == "succeeded" and j.validation_file and j.method.type == "supervised"
    )
    job = client.fine_tuning.jobs.retrieve(done.id)
    assert job.fine_tuned_model and job.fine_tuned_model.startswith("ft:")
    assert job.result_files and job.trained_tokens and job.finished_at

    events = client.fine_tuning.jobs.list_events(done.id, limit=10)
    assert len(events.data) == 10 and events.has_more
    assert events.data[0].message == "The job has successfully completed"
    older = client.fine_tuning.jobs.list_events(done.id, limit=10, after=events.data[-1].id)
    assert older.data[0].created_at <= events.data[-1].created_at
    assert {e.id for e in older.data}.isdisjoint(e.id for e in events.data)

    checkpoints = client.fine_tuning.jobs.checkpoints.list(done.id)
    assert len(checkpoints.data) == 3
    assert checkpoints.data[0].fine_tuned_model_checkpoint == job.fine_tuned_model  # the last
    assert checkpoints.data[1].fine_tuned_model_checkpoint.endswith(
        f":ckpt-step-{checkpoints.data[1].step_number}"
    )
    assert checkpoints.data[0].metrics.full_valid_loss is not None

    rft = next(j for j in every if j.status == "succeeded" and j.method.type == "reinforcement")
    kinds = {e.type for e in client.fine_tuning.jobs.list_events(rft.id, limit=10).data}
    assert "moderation_checks" in kinds  # the SDK takes an event type it does not list
    rewards = client.fine_tuning.jobs.checkpoints.list(rft.id).data
    assert 3 <= len(rewards) <= 4 and rewards[0].fine_tuned_model_checkpoint == rft.fine_tuned_model
    assert all(c.metrics.train_loss is None for c in rewards)


def test_create_cancel_pause_resume(client: openai.OpenAI, sim_world: SimWorld) -> None:
    line = (
        b'{"messages": [{"role": "user", "content": "hi"}, '
        b'{"role": "assistant", "content": "hello"}]}\n'
    )
    upload = client.files.create(file=("train.jsonl", line * 12), purpose="fine-tune")
    assert upload.purpose == "fine-tune" and upload.bytes == len(line) * 12
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=upload.id, suffix="sdk", metadata={"by": "sdk"}
    )
    assert job.status == "validating_files" and job.model == "gpt-4o-mini-2024-07-18"
    with pytest.raises(openai.BadRequestError) as bad:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-nope")
    assert bad.value.body["param"] == "training_file"  # type: ignore[index]

    sim_world.clock.advance(55)  # validated (~20 s), queued (30 s), a few of 36 steps done
    assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
    paused = client.fine_tuning.jobs.pause(job.id)
    assert paused.status == "pausing"
    sim_world.clock.advance(60)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "paused"
    assert client.fine_tuning.jobs.resume(job.id).status == "running"
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")


def test_files(client: openai.OpenAI) -> None:
    upload = client.files.create(file=("notes.jsonl", b'{"a": 1}\n'), purpose="fine-tune")
    assert client.files.retrieve(upload.id).filename == "notes.jsonl"
    assert upload.id in {f.id for f in client.files.list(purpose="fine-tune")}
    assert client.files.content(upload.id).content == b'{"a": 1}\n'
    results = [f for f in client.files.list() if f.purpose == "fine-tune-results"]
    assert results
    csv = client.files.content(results[0].id).content
    assert len(csv) == results[0].bytes
    deleted = client.files.delete(upload.id)
    assert deleted.deleted and deleted.id == upload.id
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(upload.id)


def test_checkpoint_permissions(
    client: openai.OpenAI, admin: openai.OpenAI, sim_world: SimWorld
) -> None:
    done = next(j for j in client.fine_tuning.jobs.list(limit=100) if j.status == "succeeded")
    name = client.fine_tuning.jobs.checkpoints.list(done.id).data[0].fine_tuned_model_checkpoint
    perms = admin.fine_tuning.checkpoints.permissions
    created = perms.create(name, project_ids=["proj_a", "proj_b"])
    assert [p.project_id for p in created.data] == ["proj_a", "proj_b"]
    listed = perms.retrieve(name)
    assert {p.project_id for p in listed.data} == {"proj_a", "proj_b"}
    assert [p.project_id for p in perms.list(name, order="ascending")] == ["proj_a", "proj_b"]
    only_b = perms.retrieve(name, project_id="proj_b")
    assert [p.project_id for p in only_b.data] == ["proj_b"]
    gone = perms.delete(created.data[0].id, fine_tuned_model_checkpoint=name)
    assert gone.deleted and gone.id == created.data[0].id
    assert [p.project_id for p in perms.retrieve(name).data] == ["proj_b"]
    with pytest.raises(openai.PermissionDeniedError):
        client.fine_tuning.checkpoints.permissions.retrieve(name)
    with pytest.raises(openai.NotFoundError):
        perms.retrieve("ft:gpt-4o-mini-2024-07-18:nobody::missing:ckpt-step-1")


def test_graders(client: openai.OpenAI) -> None:
    grader = {
        "type": "string_check",
        "name": "exact",
        "input": "{{sample.output_text}}",
        "reference": "{{item.label}}",
        "operation": "eq",
    }
    assert client.fine_tuning.alpha.graders.validate(grader=grader).grader is not None
    hit = client.fine_tuning.alpha.graders.run(
        grader=grader, model_sample="42", item={"label": "42"}
    )
    miss = client.fine_tuning.alpha.graders.run(
        grader=grader, model_sample="41", item={"label": "42"}
    )
    assert (hit.reward, miss.reward) == (1.0, 0.0)
    assert hit.metadata.name == "exact"


def test_missing_key_is_401(sim_tcp: str) -> None:
    anonymous = openai.OpenAI(api_key="sk-invalid-key", base_url=sim_tcp, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        anonymous.fine_tuning.jobs.list()
    assert "sk-invalid" not in str(raised.value)  # keys are never echoed back


def test_models_list_retrieve_delete(client: openai.OpenAI, sim_world: SimWorld) -> None:
    every = list(client.models.list())  # the SDK reads the one page, no cursor
    ids = {m.id for m in every}
    assert "gpt-4o-mini-2024-07-18" in ids
    mine = sorted(m.id for m in every if m.owned_by == sim_world.organization_id)
    assert mine and all(name.startswith("ft:") for name in mine)
    one = client.models.retrieve(mine[0])  # a ':' in the path, as the SDK sends it
    assert one.id == mine[0] and one.object == "model"
    deleted = client.models.delete(mine[0])
    assert deleted.deleted and deleted.id == mine[0]
    assert mine[0] not in {m.id for m in client.models.list()}
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve(mine[0])
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-4o-mini-2024-07-18")
