"""The models view (``M``): the organisation's fine-tuned models as ``ftmon models`` lists them,
j/k over its jobs and models, enter shows the job in the main list, D deletes a model after a
dialog that names it (never in read-only mode or on an archive)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.app import build_app
from test_archive_tui import archive_of_the_simulator
from tuikit import footer_text, new_world, screen_text, settle

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.models import NO_MODELS_ARCHIVE, ModelsScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


async def open_models(pilot: Any) -> ModelsScreen:
    """``M``, then wait for the view's read to land."""
    await settle(pilot)
    await pilot.press("M")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ModelsScreen)
    await loaded(pilot)
    return screen


async def loaded(pilot: Any) -> None:
    for _ in range(3):
        for worker in [w for w in pilot.app.workers if w.group.startswith("models-")]:
            await worker.wait()
        await pilot.pause()


def model_of(world: SimWorld, key: str) -> tuple[str, str]:
    """(job id, its final model) of the seeded job ``key``."""
    job = world.highlights[f"job:{key}"]
    model = world.job(job).model_name
    assert model
    return job, model


def listed(screen: ModelsScreen) -> str:
    """The view's lines as text (the footer not included)."""
    return "\n".join(line.text.plain for line in screen.model_list.lines)


async def to_model(pilot: Any, screen: ModelsScreen, name: str) -> None:
    """j until the cursor rests on ``name``'s line."""
    for _ in range(len(screen.model_list.stops)):
        line = screen.model_list.current
        if line is not None and line.row is not None and line.row.model.id == name:
            return
        await pilot.press("j")
    raise AssertionError(f"{name} not reached with j")


async def test_M_lists_the_models_by_job_and_j_k_move() -> None:
    world = new_world()
    job, model = model_of(world, "support-bot")
    app = build_app(world)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_models(pilot)
        text = screen_text(app)
        assert "Fine-tuned models" in text
        assert job in text and model in text
        assert "job unknown" in text  # the model made elsewhere, under its own heading
        assert "fine-tuned models; 1 job unknown" in text
        listing = screen.model_list
        first = listing.current
        assert first is not None and first.row is None and first.job is not None  # a job line
        await pilot.press("j")
        second = listing.current
        assert second is not None and second.row is not None  # its first model
        assert second.row.job is first.job
        await pilot.press("k")
        assert listing.current is first
        await pilot.press("G")
        last = listing.current
        assert last is not None and last.row is not None and last.row.job is None  # unknown job
        await pilot.press("g")
        assert listing.current is first


async def test_enter_closes_the_view_and_selects_the_models_job() -> None:
    world = new_world()
    job, model = model_of(world, "support-bot")
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_models(pilot)
        assert app.main.job_list.selected_id != job
        await to_model(pilot, screen, model)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.main.job_list.selected_id == job
        assert app.main.selected_id == job
        assert app.main.focused is app.main.job_list


async def test_enter_on_a_job_the_list_has_not_loaded_reads_it_and_selects_it() -> None:
    world = new_world()
    app = build_app(world, page_size=3)  # the list holds the 3 newest jobs
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_models(pilot)
        loaded_ids = set(app.main.job_list.visible_ids)
        await pilot.press("G")  # the oldest jobs' models are near the end
        while True:
            line = screen.model_list.current
            assert line is not None
            if line.job is not None and line.job.id not in loaded_ids:
                break
            await pilot.press("k")
        job = line.job.id
        await pilot.press("enter")
        for _ in range(20):
            await settle(pilot)
            if app.main.job_list.selected_id == job:
                break
        assert app.main.job_list.selected_id == job
        assert job in app.main.job_list.visible_ids


async def test_keys_typed_before_the_list_shows_act_on_nothing_but_escape() -> None:
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        world.faults.add("delay", delay=0.5, route="/models")
        await pilot.press("M", "j", "j", "D", "enter")  # typed while the models are read
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await loaded(pilot)
        await pilot.pause(0.05)
        assert app.screen is screen  # enter opened no job
        assert screen.model_list.stop == 0  # j moved nothing
        await pilot.press("j")  # typed after: it moves
        assert screen.model_list.stop == 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
        # escape typed while the list is read still closes the view.
        world.faults.add("delay", delay=0.5, route="/models")
        await pilot.press("M", "escape")
        await pilot.pause()
        assert app.screen is app.main


async def test_enter_on_a_model_whose_job_is_unknown_says_so() -> None:
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_models(pilot)
        await pilot.press("G")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert "Its job is unknown" in screen_text(app)


async def test_D_asks_naming_the_model_and_no_deletes_nothing_then_yes_deletes_it() -> None:
    world = new_world()
    _, model = model_of(world, "support-bot")
    app = build_app(world)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_models(pilot)
        await to_model(pilot, screen, model)
        assert "delete model" in footer_text(app)
        await pilot.press("D")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert model in screen_text(app)  # the whole name, not cut
        await pilot.press("enter")  # "Keep the model" has the focus
        await pilot.pause()
        assert app.screen is screen
        assert model not in world.models.deleted
        assert "Nothing deleted" in screen_text(app)
        await pilot.press("D")
        await pilot.pause()
        await pilot.press("right", "enter")  # to "Delete model", and press it
        await loaded(pilot)
        assert model in world.models.deleted
        text = screen_text(app)
        assert "model gone" in text  # the job succeeded; its model is not listed any more
        lines = screen.model_list.lines
        assert not [line for line in lines if line.row is not None and line.row.model.id == model]
        assert any(model in line.text.plain and "gone" in line.text.plain for line in lines)
        # Told once, in the notices' history (H), not as a toast over the view.
        notices = [n for n in app.message_log.notices if n.title == "Model deleted"]
        assert [n.text for n in notices] == [f"deleted {model}"]
        assert not app._notifications


async def test_s_reads_who_each_model_is_shared_with_only_when_asked() -> None:
    """As ``ftmon models --shared``: one request a model, and only after ``s``."""
    world = new_world()
    _, model = model_of(world, "support-bot")
    world.create_permissions(model, ["proj_abc", "proj_def"])
    perms = "GET /v1/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"
    app = build_app(world)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_models(pilot)
        assert world.stats.routes.get(perms, 0) == 0  # not read unasked
        assert "shared with" not in listed(screen)
        assert "shared with" in footer_text(app)
        await pilot.press("s")
        await loaded(pilot)
        assert screen.inventory is not None
        assert world.stats.routes[perms] == len(screen.inventory.rows)
        (shared,) = [line for line in listed(screen).splitlines() if "shared with" in line]
        assert sorted(shared.split("shared with ")[1].split(", ")) == ["proj_abc", "proj_def"]
        assert shared.strip() in screen_text(app)


async def test_s_is_not_offered_without_an_admin_key() -> None:
    world = new_world()
    app = build_app(world, admin=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_models(pilot)
        assert "shared with" not in footer_text(app)
        await pilot.press("s")
        await loaded(pilot)
        assert "shared with" not in listed(screen)


async def test_read_only_hides_delete_and_D_says_why() -> None:
    world = new_world()
    _, model = model_of(world, "support-bot")
    app = build_app(world, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_models(pilot)
        await to_model(pilot, screen, model)
        assert "delete" not in footer_text(app)
        await pilot.press("D")
        await pilot.pause()
        assert app.screen is screen
        assert "read-only: deleting a model is off" in screen_text(app)
        assert not world.models.deleted


async def test_the_palette_and_help_offer_the_models_view() -> None:
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.main.palette_commands()]
        assert "Fine-tuned models" in titles
        help_rows = dict(app.main.help_rows())
        assert "M" in help_rows and "models" in help_rows["M"]
        assert any(words.startswith("models: delete") for words in help_rows.values())
        app.main.action_models()
        await pilot.pause()
        assert isinstance(app.screen, ModelsScreen)
        await loaded(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main


async def test_a_failed_read_says_so_and_the_app_stays() -> None:
    world = new_world()
    app: FtmonApp = build_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        world.faults.add("500", count=10, route="/models")
        await pilot.press("M")
        await pilot.pause()
        await loaded(pilot)
        assert "Could not read the models" in screen_text(app)
        world.faults.clear()
        await pilot.press("r")
        await loaded(pilot)
        assert "fine-tuned models" in screen_text(app)


async def test_on_an_archive_the_view_says_it_holds_no_models_list(
    sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    client = await archive_of_the_simulator(sim_transport, tmp_path / "archive")
    app = build_app(client=client, clock=time.time)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_models(pilot)
        assert NO_MODELS_ARCHIVE in screen_text(app)
        assert screen.read_only and screen.archive
        assert "delete" not in footer_text(app)
        await pilot.press("j", "D", "enter")
        await pilot.pause()
        assert app.screen is screen  # nothing to act on, nothing opened


@pytest.mark.parametrize("size", SIZES)
def test_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    world = new_world()
    app = build_app(world)

    async def run_before(pilot: Any) -> None:
        await open_models(pilot)
        await pilot.press("j", "j")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
