"""``ftmon models`` and ``ftmon models rm``: the join, its marks, the requests it costs, and the
delete's confirmation, read-only refusal and exit codes (all on the simulator, spec-checked)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from support.cli import Run, Sim

from ftmon import exits
from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.headless import prompt
from ftmon.sim.world import SimWorld

Cli = Callable[..., Run]


def _job(world: SimWorld, suffix: str) -> dict:
    jobs, _ = world.list_jobs(limit=100)
    return next(j for j in jobs if j.get("user_provided_suffix") == suffix)


def test_json_joins_models_with_jobs_and_checkpoints(cli: Cli, sim: Sim) -> None:
    run = cli("models", "--json")
    assert run.code == 0, run.err
    found = run.json()
    models = {m["model"]: m for m in found["models"]}
    org = sim.world.organization_id
    listed = {m["id"] for m in sim.world.list_models() if m["owned_by"] == org}
    assert set(models) == listed
    job = _job(sim.world, "support-bot")
    final = models[job["fine_tuned_model"]]
    assert final["job_id"] == job["id"] and final["kind"] == "final"
    assert final["base_model"] == job["model"] and final["suffix"] == "support-bot"
    checkpoints, _ = sim.world.list_checkpoints(job["id"])
    for checkpoint in checkpoints:
        row = models[checkpoint["fine_tuned_model_checkpoint"]]
        assert row["job_id"] == job["id"]
        assert row["step"] == (None if row["kind"] == "final" else checkpoint["step_number"])
    best = final["job_best"]
    assert best["rule"] == "lowest full validation loss" and best["value"] is not None
    assert (
        sum(models[c["fine_tuned_model_checkpoint"]]["best_checkpoint"] for c in checkpoints) == 1
    )
    foreign = models[sim.world.highlights["foreign_model"]]
    assert foreign["job_unknown"] and foreign["job_id"] is None
    assert foreign["suffix"] == "helpdesk-legacy" and foreign["base_model"].startswith("gpt-4o")
    assert found["jobs_whose_model_is_gone"] == [] and found["checkpoints_unread"] == 0


def test_a_deleted_model_marks_its_job(cli: Cli, sim: Sim) -> None:
    job = _job(sim.world, "sql-gen")
    sim.world.delete_model(job["fine_tuned_model"])
    found = cli("models", "--json").json()
    assert [g["job_id"] for g in found["jobs_whose_model_is_gone"]] == [job["id"]]
    assert job["fine_tuned_model"] not in {m["model"] for m in found["models"]}
    run = cli("models")
    assert any(line.startswith(job["id"]) and "model gone" in line for line in run.out.splitlines())
    assert any(line.split() == [job["fine_tuned_model"], "gone"] for line in run.out.splitlines())
    assert "1 job with its model gone" in run.err


def test_requests_are_bounded(cli: Cli, sim: Sim) -> None:
    sim.world.stats.reset()
    assert cli("models", "--json").code == 0
    routes = sim.world.stats.routes
    assert routes["GET /v1/models"] == 1
    assert routes["GET /v1/fine_tuning/jobs"] == 1  # 15 jobs: one page of 100
    succeeded = [j for j in sim.world.list_jobs(limit=100)[0] if j["status"] == "succeeded"]
    checkpoints = routes["GET /v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints"]
    assert checkpoints == len(succeeded)
    assert sim.world.stats.total == 2 + len(succeeded)


def test_human_table_fits_80_columns(cli: Cli, sim: Sim) -> None:
    run = cli("models")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["model", "step"]  # no room for the created time at 80
    assert all(len(line) <= 80 for line in lines)
    job = _job(sim.world, "support-bot")
    assert any(line.startswith(job["id"]) for line in lines)
    # The base model keeps its date: it tells gpt-4o-mini snapshots apart.
    (job_line,) = [line for line in lines if line.startswith(job["id"])]
    assert job["model"] in job_line
    assert any(line.strip().startswith(job["fine_tuned_model"]) for line in lines)  # never cut
    assert any("★" in line for line in lines)
    assert any(line.startswith("job unknown") for line in lines)
    assert sim.world.highlights["foreign_model"] in run.out
    assert "1 job unknown" in run.err


def test_empty_world(cli: Cli, sim: Sim) -> None:
    # The default world always has models; an org with none says so.
    for model in sim.world.list_models():
        if model["owned_by"] == sim.world.organization_id:
            sim.world.delete_model(model["id"])
    run = cli("models")
    assert "model gone" in run.out  # every succeeded job's model is gone now
    assert not cli("models", "--json").json()["models"]


# -- ftmon models rm ----------------------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def answer(text: str) -> None:
        monkeypatch.setattr(prompt, "stdin_is_terminal", lambda: True)
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return answer


def test_rm_with_yes(cli: Cli, sim: Sim) -> None:
    name = _job(sim.world, "sql-gen")["fine_tuned_model"]
    run = cli("models", "rm", name, "--yes", "--json")
    assert run.code == 0, run.err
    assert run.json() == {"id": name, "object": "model", "deleted": True}
    assert name not in {m["id"] for m in sim.world.list_models()}
    again = cli("models", "rm", name, "--yes")
    assert again.code == exits.NOT_FOUND


def test_rm_asks_and_no_changes_nothing(cli: Cli, sim: Sim, terminal) -> None:
    name = _job(sim.world, "sql-gen")["fine_tuned_model"]
    terminal("n\n")
    run = cli("models", "rm", name)
    assert run.code == exits.REFUSED and "not confirmed" in run.err
    assert name in {m["id"] for m in sim.world.list_models()}
    terminal("y\n")
    run = cli("models", "rm", name)
    assert run.code == 0 and run.out == f"deleted {name}\n"


def test_rm_refusals_send_nothing(cli: Cli, sim: Sim, tmp_path) -> None:
    name = _job(sim.world, "sql-gen")["fine_tuned_model"]
    sim.world.stats.reset()
    run = cli("--read-only", "models", "rm", name, "--yes")
    assert run.code == exits.REFUSED and "read-only mode" in run.err
    run = cli("--archive", str(tmp_path), "models", "rm", name, "--yes")
    assert run.code == exits.REFUSED and "read-only mode" in run.err
    run = cli("models", "rm", "gpt-4o-mini-2024-07-18", "--yes")
    assert run.code == exits.REJECTED and "one of OpenAI's models" in run.err
    run = cli("models", "rm", name)  # no terminal, no --yes
    assert run.code == exits.USAGE and "pass --yes" in run.err
    assert sim.world.stats.total == 0
    assert name in {m["id"] for m in sim.world.list_models()}


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from ftmon.cli import main

    for argv in (["models"], ["models", "rm"]):
        with pytest.raises(SystemExit) as stop:
            main([*argv, "--help"])
        assert stop.value.code == 0
        text = capsys.readouterr().out
        assert "--json" in text and "exit codes:" in text
    assert "--yes" in text and "OpenAI's" in text


def test_names_read_as_the_api_writes_them() -> None:
    from ftmon.present.models import checkpoint_step, is_base_model, name_parts, stem

    final = "ft:gpt-4o-mini-2024-07-18:acme::abc123"
    step = "ft:gpt-4o-mini-2024-07-18:acme:bot:9uJPavMj:ckpt-step-200"
    assert name_parts(final) == ("gpt-4o-mini-2024-07-18", None)
    assert name_parts(step) == ("gpt-4o-mini-2024-07-18", "bot")
    assert checkpoint_step(step) == 200 and checkpoint_step(final) is None
    assert stem(step) == "ft:gpt-4o-mini-2024-07-18:acme:bot"
    assert is_base_model("gpt-4o-mini") and is_base_model("../x")
    assert not is_base_model(final) and not is_base_model("curie:ft-acme-2023-01-01")
    assert name_parts("gpt-4o") == (None, None)


def test_no_model_list_is_said_plainly(cli: Cli, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider without the route (the azure flavour, an archive) answers 404."""

    async def missing(self: FineTuningClient) -> None:
        raise errors.NotFoundError("Not found (404)", status_code=404)

    monkeypatch.setattr(FineTuningClient, "list_models", missing)
    run = cli("models")
    assert run.code == exits.REJECTED
    assert run.err.startswith("ftmon: this API has no model list (GET /models answered 404)")


def test_unread_checkpoints_join_by_their_stem(sim: Sim) -> None:
    from ftmon.api.models import FineTuningJob, Model
    from ftmon.present.models import build_inventory

    jobs = [FineTuningJob.model_validate(j) for j in sim.world.list_jobs(limit=100)[0]]
    models = [Model.model_validate(m) for m in sim.world.list_models()]
    found = build_inventory(models, jobs, {}, unread=5)
    assert [row.model.id for row in found.unknown] == [sim.world.highlights["foreign_model"]]
    steps = [row for group in found.groups for row in group.rows if row.step is not None]
    assert steps and all(row.job is not None for row in steps)
    assert all(group.best is None for group in found.groups)


def test_shared_lists_each_models_projects(cli: Cli, sim: Sim) -> None:
    name = _job(sim.world, "sql-gen")["fine_tuned_model"]
    sim.world.create_permissions(name, ["proj_abc", "proj_def"])
    assert cli("models", "--json").json()["models"][0]["shared_with"] is None  # not asked
    sim.world.stats.reset()
    found = cli("models", "--shared", "--json").json()
    shared = {m["model"]: m["shared_with"] for m in found["models"]}
    assert sorted(shared[name]) == ["proj_abc", "proj_def"]
    assert shared[sim.world.highlights["foreign_model"]] is None  # 404: no permissions there
    assert all(v == [] for k, v in shared.items() if k != name and v is not None)
    routes = sim.world.stats.routes
    perms = "GET /v1/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"
    assert routes[perms] == len(shared)
    run = cli("models", "--shared")
    assert "    shared with proj_" in run.out


def test_shared_needs_an_admin_key(cli: Cli, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    sim.world.stats.reset()
    run = cli("models", "--shared")
    assert run.code == exits.AUTH and "OPENAI_ADMIN_KEY" in run.err
    assert sim.world.stats.total == 0


def test_hostile_model_names_reach_the_terminal_clean(cli: Cli, sim: Sim) -> None:
    from test_headless_hostile import HOSTILE, assert_safe

    name = f"ft:gpt-4o-mini-2024-07-18:acme:{HOSTILE}:x1"
    sim.world.models.foreign[name] = sim.world.now() - 86400
    run = cli("models")
    assert run.code == 0, run.err
    assert_safe(run.out)
    assert_safe(run.err)
    assert "[/bold][@click=app.quit]x[/]" in run.out  # markup shown as text
    found = cli("models", "--json")
    assert found.out.isascii()
    assert name in {m["model"] for m in found.json()["models"]}
