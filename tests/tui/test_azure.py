"""Azure OpenAI in the TUI: no checkpoint sharing (P says so, sends nothing), delete a finished
job (D, confirmed; hidden on OpenAI and in read-only), and OpenAI's screen unchanged.

The app runs on the OpenAI-flavoured simulator behind :class:`support.fronts.FrontTransport`
(which answers Azure's job delete) with client settings that say provider ``azure``: the TUI's
logic asks the provider's rules, not the server's flavour.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console
from support.dialogs import decline, wait_shown
from support.fronts import FrontTransport
from tuikit import (
    SECRET_KEY,
    build_app,
    footer_text,
    job_id,
    new_world,
    open_job,
    poll,
    screen_text,
    settle,
    wait_for_workers,
)

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.api.status_rules import OPENAI
from ftmon.config import Secret, Settings
from ftmon.connect import demo_settings
from ftmon.present.provider import NO_CHECKPOINT_SHARING
from ftmon.sim import SimWorld
from ftmon.sim.app import create_app
from ftmon.sim.transport import sim_transport
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.help import HelpScreen, legend_table

WIDE = (120, 36)


@pytest.fixture
def world() -> SimWorld:
    return new_world()


def azure_client(
    world: SimWorld, *, read_only: bool = False, provider: str = "azure"
) -> tuple[FineTuningClient, FrontTransport]:
    """A client whose settings say Azure OpenAI (its ``api-key`` header), on ``world``."""
    settings = replace(
        demo_settings(Settings(read_only=read_only)),
        api_key=Secret(SECRET_KEY),
        provider=provider,
        auth_header="api-key" if provider == "azure" else "bearer",
    )
    front = FrontTransport(sim_transport(create_app(world)))
    return FineTuningClient(settings, transport=front, retry=RetryPolicy(max_attempts=1)), front


def legend_text(hide: frozenset[str]) -> str:
    """Help's status legend as text."""
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(legend_table(hide))
    return console.export_text()


def palette_titles(app: FtmonApp) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


async def test_azure_hides_permissions_and_offers_delete_for_a_finished_job(
    world: SimWorld,
) -> None:
    client, front = azure_client(world)
    app = build_app(world, client=client)
    finished = job_id(world, "support-bot")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, finished)
        assert app.main.monitor.checkpoints(finished)  # OpenAI would offer P here
        assert "perms" not in footer_text(app)
        assert not app.main.check_action("permissions", ())
        assert app.main.check_action("delete_job", ())
        titles = palette_titles(app)
        assert "Delete the selected job" in titles
        assert "Checkpoint permissions" not in titles
        rows = dict((words, keys) for keys, words in app.main.help_rows())
        assert rows["delete a finished job (Azure OpenAI; asks first)"] == "D"
        assert any("OpenAI only" in words for words in rows)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "OpenAI only" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        # A running job: no delete anywhere.
        await open_job(pilot, job_id(world, "catalog-long"))
        assert not app.main.check_action("delete_job", ())
        assert "Delete the selected job" not in palette_titles(app)
    assert not front.sent("DELETE")


async def test_P_on_azure_says_there_is_no_checkpoint_sharing_and_sends_nothing(
    world: SimWorld,
) -> None:
    client, front = azure_client(world)
    app = build_app(world, client=client)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "support-bot"))
        front.requests.clear()
        await pilot.press("P")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.status_line.text == NO_CHECKPOINT_SHARING
        assert NO_CHECKPOINT_SHARING in screen_text(app)
        # The palette's way in says the same (it is not offered, but the action is safe).
        app.main.action_permissions()
        await pilot.pause()
        assert app.screen is app.main
    assert not [p for _, p in front.requests if "permissions" in p]


async def test_D_deletes_a_finished_job_after_the_dialog_and_it_leaves_the_list(
    world: SimWorld,
) -> None:
    client, front = azure_client(world)
    app = build_app(world, client=client)
    job = job_id(world, "support-bot")
    model = world.get_job(job)["fine_tuned_model"]
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("D")
        dialog = await wait_shown(pilot)
        text = screen_text(app)
        assert f"Delete job {job}" in text
        assert "succeeded" in text
        assert "events and its checkpoints" in text
        assert "fine-tuned model is not" in text
        assert model[:30] in text  # its model named, as staying
        assert dialog.focused is not None and dialog.focused.id == "no"
        assert not front.sent("DELETE")
        await pilot.press("right", "enter")
        await pilot.pause()
        await wait_for_workers(pilot, "actions")
        await settle(pilot)
        assert front.sent("DELETE") == [f"/v1/fine_tuning/jobs/{job}"]
        assert app.main.monitor.job(job) is None
        assert job not in [j.id for j in app.main.monitor.jobs()]
        assert job not in app.main.job_list._jobs
        # The cursor and the panes moved on to another job.
        assert app.main.job_list.selected_id not in (None, job)
        assert app.main.selected_id == app.main.job_list.selected_id
        assert any("Job deleted" == n.title for n in app.message_log.notices)
        # A poll after it does not bring it back.
        app.main.monitor.refresh_now()
        await settle(pilot)
        assert app.main.monitor.job(job) is None


async def test_delete_declined_or_refused_sends_nothing(world: SimWorld) -> None:
    client, front = azure_client(world)
    app = build_app(world, client=client)
    finished = job_id(world, "support-bot")
    running = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, finished)
        await pilot.press("D")
        await decline(pilot)
        await settle(pilot)
        assert app.screen is app.main
        assert app.main.monitor.job(finished) is not None
        await open_job(pilot, running)
        await pilot.press("D")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.main.status_line.text == (
            f"cannot delete {running}: only a finished job can be deleted; this one is running"
        )
    assert not front.sent("DELETE")


async def test_read_only_on_azure_says_delete_is_off(world: SimWorld) -> None:
    client, front = azure_client(world, read_only=True)
    app = build_app(world, client=client)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "support-bot"))
        await pilot.press("D")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.status_line.text == "read-only: delete is off"
        assert "Delete the selected job" not in palette_titles(app)
        assert not any("delete a finished" in d for _, d in app.main.help_rows())
    assert not front.sent("DELETE")


async def test_openai_has_no_delete_key_and_keeps_permissions(world: SimWorld) -> None:
    client, front = azure_client(world, provider="openai")
    app = build_app(world, client=client)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job_id(world, "support-bot"))
        assert "perms" in footer_text(app)
        assert not app.main.check_action("delete_job", ())
        assert not any("delete a finished" in d for _, d in app.main.help_rows())
        assert "Delete the selected job" not in palette_titles(app)
        app.main.status_line._clear_note()
        await pilot.press("D")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.status_line.text == ""  # D is simply not a key on OpenAI
    assert not front.sent("DELETE")


async def test_on_the_azure_flavoured_simulator_D_deletes_and_pause_waits_for_a_step() -> None:
    """The simulator's azure flavour (its dated routes, the api-key header, 204 on delete)."""
    from ftmon.sim.azure import DEMO_BASE_URL

    world = new_world(flavor="azure")
    settings = replace(
        demo_settings(Settings()),
        api_key=Secret(SECRET_KEY),
        base_url=DEMO_BASE_URL,
        provider="azure",
        auth_header="api-key",
    )
    client = FineTuningClient(
        settings, transport=sim_transport(create_app(world)), retry=RetryPolicy(max_attempts=1)
    )
    app = build_app(world, client=client)
    job = job_id(world, "support-bot")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("D")
        await wait_shown(pilot)
        await pilot.press("right", "enter")
        await pilot.pause()
        await wait_for_workers(pilot, "actions")
        await settle(pilot)
        assert app.main.monitor.job(job) is None
        assert "could not delete" not in app.main.status_line.text
        # A running job with steps done may be paused (Azure's rule asked with its steps).
        running = job_id(world, "catalog-long")
        await open_job(pilot, running)
        assert app.main._steps_done(app.main.monitor.job(running)) > 0  # type: ignore[arg-type]
        assert app.main.check_action("pause_job", ())
    routes = world.stats.snapshot()["routes"]
    assert any(r.startswith("DELETE") for r in routes)


async def test_pause_on_azure_waits_for_a_trained_step(world: SimWorld) -> None:
    """Running with no step done: Azure refuses a pause, so neither footer nor z offers it."""
    client, front = azure_client(world)
    app = build_app(world, client=client)
    fresh = world.add_job(
        {
            "suffix": "fresh",
            "lifecycle": {
                "total_steps": 30,
                "n_epochs": 3,
                "seconds_per_step": 10_000,
                "validate_seconds": 1,
                "queue_seconds": 1,
                "finalize_seconds": 1,
            },
        }
    )["id"]
    async with app.run_test(size=WIDE) as pilot:
        await poll(pilot, world, advance=5)
        await open_job(pilot, fresh)
        assert world.get_job(fresh)["status"] == "running"
        assert app.main._steps_done(app.main.monitor.job(fresh)) == 0  # type: ignore[arg-type]
        assert not app.main.check_action("pause_job", ())
        assert "pause job" not in footer_text(app)
        assert app.main.check_action("cancel_job", ())
        await pilot.press("z")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        # The same job on OpenAI may be paused at once.
        app.main.rules = OPENAI
        assert app.main.check_action("pause_job", ())
    assert not front.sent("POST", "/pause")


async def test_azure_pause_dialog_and_help_legend_say_azures_own(world: SimWorld) -> None:
    """Azure's pause writes a deployable checkpoint, and its statuses are in help's legend;
    OpenAI's dialog and legend stay as they were."""
    for provider, azure in (("azure", True), ("openai", False)):
        client, front = azure_client(world, provider=provider)
        app = build_app(world, client=client)
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await open_job(pilot, job_id(world, "catalog-long"))
            await pilot.press("z")
            await wait_shown(pilot)
            assert ("deployable checkpoint" in screen_text(app)) is azure
            await decline(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            legend = legend_text(app.screen.hide_statuses)
            assert "validating_files" in legend
            assert ("resuming" in legend and "created" in legend) is azure
        assert not front.sent("POST", "/pause")
