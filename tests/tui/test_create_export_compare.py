"""The app's n/N (create), e (export), m and C (compare) keys against the frozen simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.dialogs import confirm
from textual.widgets import Input
from tuikit import (
    SECRET_KEY,
    build_app,
    footer_text,
    new_world,
    poll,
    screen_text,
    settle,
    wait_for_workers,
)

from ftmon.export import FILES
from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.compare import CompareLegend, CompareScreen
from ftmon.tui.screens.create import CreateJobScreen
from ftmon.tui.screens.create_form import RequestReview

NARROW = (80, 24)
WIDE = (160, 48)
MODEL = "gpt-4.1-mini-2025-04-14"


def job_id(world: SimWorld, key: str) -> str:
    return world.highlights[f"job:{key}"]


def job_ids(world: SimWorld) -> set[str]:
    jobs, _ = world.list_jobs(limit=100)
    return {j["id"] for j in jobs}


def training_file(world: SimWorld) -> str:
    line = json.dumps(
        {"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hi."}]}
    )
    return world.upload_file("train.jsonl", "fine-tune", (line + "\n").encode() * 10)["id"]


def files_in(directory: Path) -> dict[str, str]:
    """Every file written to ``directory``, by name (none when it does not exist)."""
    if not directory.is_dir():
        return {}
    return {path.name: path.read_text(encoding="utf-8") for path in directory.iterdir()}


async def screen_settled(pilot: Any) -> None:
    """A pushed screen's own workers (file list, send, export) done, then the engine idle."""
    for _ in range(3):
        await pilot.pause()
        for worker in [w for w in pilot.app.workers if w.group != "engine"]:
            await worker.wait()
    await settle(pilot)


async def put_cursor_on(pilot: Any, job: str) -> None:
    app: FtmonApp = pilot.app
    assert app.main.job_list.select_job(job)
    await settle(pilot)


# -- create ------------------------------------------------------------------------------------


async def create_through_form(pilot: Any, file_id: str, suffix: str) -> None:
    """n, the least a valid form needs, review, and yes."""
    app: FtmonApp = pilot.app
    await pilot.press("n")
    await screen_settled(pilot)
    form = app.screen
    assert isinstance(form, CreateJobScreen)
    form.query_one("#in-model", Input).value = MODEL
    form.query_one("#in-training_file", Input).value = file_id
    form.query_one("#in-suffix", Input).value = suffix
    await pilot.press("ctrl+s")
    await screen_settled(pilot)
    assert isinstance(app.screen, RequestReview)
    await confirm(pilot)
    await screen_settled(pilot)


async def test_n_creates_a_job_that_is_then_selected_and_followed(world: SimWorld) -> None:
    file_id = training_file(world)
    before = job_ids(world)
    app = build_app(world)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await create_through_form(pilot, file_id, "from-the-tui")
        created = job_ids(world) - before
        assert len(created) == 1
        new = created.pop()
        assert world.get_job(new)["training_file"] == file_id
        assert app.screen is app.screen_stack[0]
        # Selected in the list and in the panes, and followed by the engine.
        assert app.main.job_list.selected_id == new
        assert app.main.selected_id == new
        assert app.monitor.selected == new
        assert "from-the-tui" in app.main.job_list.row_text(new)
        assert new in app.main.overview.plain
        assert "Job created" in screen_text(app)


async def test_a_filter_that_would_hide_the_new_job_is_cleared(world: SimWorld) -> None:
    file_id = training_file(world)
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"legal", "enter")
        assert len(app.main.job_list.visible_ids) == 2
        await create_through_form(pilot, file_id, "not-a-lawyer")
        assert app.main.job_list.query_text == ""
        assert app.main.selected_id is not None
        assert "not-a-lawyer" in app.main.job_list.row_text(app.main.selected_id)


async def test_capital_n_fills_the_form_from_the_selected_job(world: SimWorld) -> None:
    job = job_id(world, "support-bot")
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await put_cursor_on(pilot, job)
        rows = app.main.help_rows()
        # (n and N are the event log's too, listed as "events: ..." after the screen's)
        assert ("n", "new job") in rows and ("N", "new job like this one") in rows
        assert {"e", "m", "C"} <= {keys for keys, _ in rows}
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {
            "New fine-tuning job",
            "Export this job to files",
            "Compare the marked jobs",
        } <= set(titles)
        await pilot.press("N")
        await screen_settled(pilot)
        form = app.screen
        assert isinstance(form, CreateJobScreen)
        values = form.read_input()
        assert values.model == world.get_job(job)["model"]
        assert values.training_file == world.get_job(job)["training_file"]
        assert values.suffix == "support-bot"
        await pilot.press("escape")
        await screen_settled(pilot)
        assert app.screen is app.screen_stack[0]


async def test_read_only_has_no_way_to_create(world: SimWorld) -> None:
    before = job_ids(world)
    app = build_app(world, read_only=True)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert "new job" not in footer_text(app)
        for key in ("n", "N"):
            assert key not in app.active_bindings
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, CreateJobScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not any(t.startswith("New ") for t in titles)
        assert "Export this job to files" in titles
        assert not any("new job" in d for _, d in app.main.help_rows())
        assert job_ids(world) == before


async def test_main_keys_do_not_act_behind_the_create_form(world: SimWorld) -> None:
    job = job_id(world, "catalog-long")
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await put_cursor_on(pilot, job)
        await pilot.press("n")
        await screen_settled(pilot)
        form = app.screen
        form.query_one("#create-cancel").focus()  # a button: it does not take letters
        await pilot.press("c", "e", "m", "n")
        await pilot.pause()
        assert app.screen is form
        assert not app.main.job_list.marked_ids
        assert world.get_job(job)["status"] == "running"


# -- export ------------------------------------------------------------------------------------


async def test_e_exports_five_files_without_the_key(
    world: SimWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    job = job_id(world, "support-bot")
    app = build_app(world, read_only=True)  # export changes nothing on the server
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await put_cursor_on(pilot, job)
        await pilot.press("e")
        await wait_for_workers(pilot, "export")
        written = files_in(tmp_path / f"ftmon-export-{job}")
        assert sorted(written) == sorted(FILES)
        for text in written.values():
            assert text.strip()
            assert SECRET_KEY not in text
        assert json.loads(written["job.json"])["id"] == job
        assert written["loss.svg"].lstrip().startswith("<svg")
        text = screen_text(app)
        assert "Exported" in text and "3 checkpoints" in text
        assert app.is_running


async def test_an_export_that_cannot_write_is_a_toast_not_a_crash(
    world: SimWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory would go")
    monkeypatch.setattr("ftmon.tui.job_actions.default_directory", lambda job_id: blocker / "sub")
    app = build_app(world)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await wait_for_workers(pilot, "export")
        assert app.is_running
        text = screen_text(app)
        assert "Could not export" in text


async def test_an_export_the_api_refuses_is_a_toast_not_a_crash(
    world: SimWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = build_app(world)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        world.faults.add("500", count=100, route="/fine_tuning/jobs/", method="GET")
        await pilot.press("e")
        await wait_for_workers(pilot, "export")
        assert app.is_running
        assert "Could not export" in screen_text(app)
        assert not files_in(tmp_path / f"ftmon-export-{app.main.selected_id}")


# -- marks and compare -------------------------------------------------------------------------


async def test_m_marks_two_jobs_and_c_compares_them(world: SimWorld) -> None:
    first, second = job_id(world, "support-bot"), job_id(world, "sql-gen")
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await put_cursor_on(pilot, first)
        await pilot.press("m")
        await put_cursor_on(pilot, second)
        await pilot.press("m")
        assert app.main.job_list.marked_ids == (first, second)
        assert app.main.job_list.row_text(first)[1] == "•"
        assert "2 marked" in screen_text(app)
        await pilot.press("C")
        await screen_settled(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert [run.job_id for run in screen.runs] == [first, second]
        legend = str(screen.query_one(CompareLegend).render())
        assert "support-bot" in legend and "sql-gen" in legend
        assert all(len(run.series) for run in screen.runs)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        assert "n new job" in footer_text(app)
        # m again takes the mark away.
        await pilot.press("m")
        assert app.main.job_list.marked_ids == (first,)
        assert app.main.job_list.row_text(second)[1] == " "


async def test_c_with_fewer_than_two_marks_says_how(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("m", "C")
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)
        assert "Mark two or more jobs with m" in screen_text(app)


async def test_marking_repaints_only_that_row(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        jobs = app.main.job_list
        await pilot.pause()
        repainted: list[int] = []
        original = jobs.refresh_line
        jobs.refresh_line = lambda y: (repainted.append(y), original(y))[1]  # type: ignore[method-assign]
        jobs.toggle_mark(jobs.visible_ids[3])
        assert repainted == [3]


async def test_compare_loads_metrics_of_jobs_the_engine_has_not(world: SimWorld) -> None:
    first, second = job_id(world, "support-bot"), job_id(world, "sql-gen")
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.main.job_list.toggle_mark(first)
        app.main.job_list.toggle_mark(second)
        assert not app.monitor.is_loaded(first) and not app.monitor.is_loaded(second)
        await pilot.press("C")
        await wait_for_workers(pilot, "compare")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert {run.job_id for run in screen.runs} == {first, second}
        assert all(len(run.series) for run in screen.runs)


def test_snapshot_marked_jobs_80x24(snap_compare: Any) -> None:
    world = new_world()
    app = build_app(world)

    async def mark(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("j", "m", "j", "j", "m")
        await poll(pilot)
        await settle(pilot)

    assert snap_compare(app, terminal_size=NARROW, run_before=mark)


async def test_a_compare_whose_reads_fail_says_so_in_one_notice(world: SimWorld) -> None:
    """A worker's API error reaches the app's one handler: a notice that says what could not be
    done and why; no compare screen, no crash."""
    first, second = job_id(world, "support-bot"), job_id(world, "sql-gen")
    app = build_app(world)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        app.main.job_list.toggle_mark(first)
        app.main.job_list.toggle_mark(second)
        world.faults.add("garbage", duration=3600)  # every answer is a 200 that is not JSON
        await pilot.press("C")
        for _ in range(500):
            await pilot.pause(0.01)
            if not [w for w in app.workers if w.group == "compare" and w.is_running]:
                break
        await pilot.pause()
        assert app.is_running and app.screen is app.screen_stack[0]
        text = screen_text(app)
        assert "Could not load the runs" in text
        assert "not JSON" in text
