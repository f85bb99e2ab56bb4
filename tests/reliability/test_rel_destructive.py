"""Destructive actions: cancel, pause, resume and permission delete always ask first in the TUI,
need ``--yes`` (or an answer at a terminal) headless, and ``--read-only`` makes them unreachable:
no key, no footer or help entry, no palette entry, no command that acts.

Judged at the simulator: its request counts show whether anything was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from relkit import ADMIN_KEY, API_KEY, settings_for, workers_done
from support.app import build_app
from support.cli import Run, command_runner, route_to_sim
from support.dialogs import confirm, wait_shown
from support.simkit import new_world

from ftmon.api.client import FineTuningClient
from ftmon.sim.app import create_app
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.permissions import PermissionsScreen

CHANGES = (
    ("POST", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel"),
    ("POST", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/pause"),
    ("POST", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/resume"),
    ("POST", "/v1/fine_tuning/jobs"),
    ("POST", "/v1/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"),
    (
        "DELETE",
        "/v1/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions/{permission_id}",
    ),
    ("POST", "/v1/files"),
    ("DELETE", "/v1/files/{file_id}"),
)


def changes_sent(world: SimWorld) -> dict[str, int]:
    counts = {f"{m} {t}": world.stats.count(m, t) for m, t in CHANGES}
    return {name: count for name, count in counts.items() if count}


@pytest.fixture
def world() -> SimWorld:
    return new_world(scenario="default")


def finished_with_checkpoint(world: SimWorld) -> tuple[str, str]:
    jobs, _ = world.list_jobs(limit=100)
    for job in jobs:
        if job["status"] == "succeeded":
            checkpoints, _ = world.list_checkpoints(job["id"])
            if checkpoints:
                return job["id"], checkpoints[0]["fine_tuned_model_checkpoint"]
    raise AssertionError("no succeeded job with checkpoints")


def tui(world: SimWorld, *, read_only: bool = False) -> FtmonApp:
    settings = settings_for(read_only=read_only)
    client = FineTuningClient(settings, transport=sim_transport(create_app(world)))
    return build_app(world, client=client, select_delay=0)


def offered(app: FtmonApp) -> list[str]:
    """The keys the footer offers now."""
    return [
        b.binding.description
        for b in app.screen.active_bindings.values()
        if b.enabled and b.binding.show
    ]


async def settle(app: FtmonApp, pilot: Any) -> None:
    for _ in range(300):
        await pilot.pause(0.01)
        if app.monitor.polls_started and not app.monitor.polls_running:
            break
    await pilot.pause()


async def test_every_destructive_key_asks_first_and_no_is_the_default(world: SimWorld) -> None:
    running = world.highlights["job:support-bot-v3"]
    finished, _ = finished_with_checkpoint(world)
    world.create_permissions(finished_with_checkpoint(world)[1], ["proj_keepme"])
    app = tui(world)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.main.job_list.select_job(running)
        await settle(app, pilot)
        assert {"cancel", "pause job"} <= set(offered(app))  # (read-only hides these)
        for key, action, answers in (
            ("c", "cancel", ("enter", "escape")),
            ("z", "pause", ("enter",)),
        ):
            # An idle enter (or esc) on the dialog changes nothing: it opens on "No".
            for answer in answers:
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, ConfirmScreen), key
                assert app.screen.focused is not None and app.screen.focused.id == "no"
                # No letter answers: y (copy) and n (new job) mean something beneath.
                await wait_shown(pilot)
                await pilot.press("y", "n", "Y")
                assert isinstance(app.screen, ConfirmScreen), key
                await pilot.press(answer)
                await pilot.pause()
                assert not isinstance(app.screen, ConfirmScreen)
            assert changes_sent(world) == {}, action
        await pilot.press("z")
        await pilot.pause()
        await confirm(pilot)
        await workers_done(app, pilot)
        assert changes_sent(world) == {"POST /v1/fine_tuning/jobs/{fine_tuning_job_id}/pause": 1}
        # The permissions screen: remove asks too.
        app.main.job_list.select_job(finished)
        await settle(app, pilot)
        await pilot.press("P")
        await workers_done(app, pilot)
        assert isinstance(app.screen, PermissionsScreen)
        for answer in ("enter", "escape"):
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press(answer)
            await pilot.pause()
        assert len(changes_sent(world)) == 1
        await pilot.press("d")
        await pilot.pause()
        await confirm(pilot)
        await workers_done(app, pilot)
        deleted = [k for k in changes_sent(world) if k.startswith("DELETE")]
        assert len(deleted) == 1


async def test_read_only_leaves_no_way_to_change_anything(world: SimWorld) -> None:
    running = world.highlights["job:support-bot-v3"]
    finished, checkpoint = finished_with_checkpoint(world)
    world.create_permissions(checkpoint, ["proj_keepme"])
    app = tui(world, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.main.job_list.select_job(running)
        await settle(app, pilot)
        assert "read-only" in app.query_one("#header").plain  # type: ignore[attr-defined]
        # No key acts...
        for key in ("c", "z"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen), key
        # ...and none is offered: not in the footer, the help, or the command palette.
        help_text = [description for _, description in app.main.help_rows()]
        for words in ("cancel", "pause job", "resume job"):
            assert words not in offered(app) and words not in help_text
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not [t for t in titles if t.startswith(("Cancel", "Pause the", "Resume the"))]
        assert "Refresh now" in titles  # the palette is there, only without the actions
        # The permissions screen lists, but cannot add or remove.
        app.main.job_list.select_job(finished)
        await settle(app, pilot)
        await pilot.press("P")
        await workers_done(app, pilot)
        assert isinstance(app.screen, PermissionsScreen)
        for key in ("a", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, PermissionsScreen), key
        screen_keys = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert "add" not in screen_keys and "delete" not in screen_keys
    assert changes_sent(world) == {}


# -- headless --------------------------------------------------------------------------------


@pytest.fixture
def cli(
    world: SimWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """Commands on this suite's world (not spec-checked), with the recognisable keys."""
    route_to_sim(monkeypatch, world, create_app(world), api_key=API_KEY, admin_key=ADMIN_KEY)
    return command_runner(capsys)


def destructive_commands(world: SimWorld, tmp: Any) -> list[list[str]]:
    running = world.highlights["job:support-bot-v3"]
    _, checkpoint = finished_with_checkpoint(world)
    permission = world.create_permissions(checkpoint, ["proj_keepme"])[0]["id"]
    upload = tmp / "train.jsonl"
    line = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    upload.write_text("\n".join(json.dumps(line) for _ in range(12)) + "\n")
    file_id = world.upload_file("x.jsonl", "fine-tune", upload.read_bytes())["id"]
    return [
        ["cancel", running],
        ["pause", running],
        ["resume", running],
        ["perms", "add", checkpoint, "proj_new"],
        ["perms", "rm", checkpoint, permission],
        ["files", "rm", file_id],
        ["create", "--model", "gpt-4o-mini-2024-07-18", "--training-file", file_id],
    ]


def test_headless_changes_need_yes_when_there_is_no_terminal_to_ask(
    cli: Callable[..., Run], world: SimWorld, tmp_path: Any
) -> None:
    commands = destructive_commands(world, tmp_path)
    world.stats.reset()
    for argv in commands:
        code, _out, err = cli(*argv)
        assert code == 2, (argv, err)
        assert "--yes" in err, (argv, err)
    assert changes_sent(world) == {}


def test_headless_read_only_refuses_every_change_even_with_yes(
    cli: Callable[..., Run], world: SimWorld, tmp_path: Any
) -> None:
    commands = destructive_commands(world, tmp_path)
    world.stats.reset()
    for argv in commands:
        code, _out, err = cli("--read-only", *argv, "--yes")
        assert code == 8, (argv, err)
        assert "read-only" in err, (argv, err)
    assert changes_sent(world) == {}
    assert world.stats.total == 0  # refused before connecting at all
