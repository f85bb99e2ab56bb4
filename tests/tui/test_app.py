"""The app driven by keys against the simulator: what a person sees and what reaches the API."""

from __future__ import annotations

from support.dialogs import confirm
from support.simkit import SIM_START
from textual import events
from textual.widgets import Input
from tuikit import (
    SECRET_KEY,
    build_app,
    footer_text,
    job_id,
    open_job,
    poll,
    screen_text,
    settle,
    wait_for_workers,
)

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.screens.permissions import PermissionsScreen

NARROW = (80, 24)
WIDE = (160, 48)


def newest_first(world: SimWorld) -> list[str]:
    jobs, _ = world.list_jobs(limit=100)
    return [j["id"] for j in jobs]


def field(app: FtmonApp, label: str) -> str | None:
    """The value of one overview field, as shown."""
    return next((f.value for f in app.main.overview.fields if f.label == label), None)


# -- the list and the panes --------------------------------------------------------------------


async def test_jobs_newest_first_with_status_progress_and_age(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert list(app.main.job_list.visible_ids) == newest_first(world)
        catalog = job_id(world, "catalog-long")
        row = app.main.job_list.row(catalog)
        assert row is not None
        assert (row.glyph, row.status, row.suffix, row.model) == (
            "▶",
            "running",
            "catalog-long",
            "gpt-4.1-mini-2025-04-14",
        )
        assert row.age == "12m"
        text = screen_text(app)
        assert "jobs 15" in text
        assert "catalog-long" in text
        # The newest job is selected at start and its fields fill the overview.
        assert app.main.selected_id == newest_first(world)[0]
        assert field(app, "id") == newest_first(world)[0]


async def test_moving_the_cursor_selects_the_job_everywhere(world: SimWorld) -> None:
    app = build_app(world)
    order = newest_first(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("j", "down")
        await settle(pilot)
        assert app.main.selected_id == order[2]
        assert app.monitor.selected == order[2]
        assert order[2] in app.main.overview.plain
        assert app.main.event_log.job_id == order[2]
        await pilot.press("k")
        assert app.main.selected_id == order[1]
        await pilot.press("G")
        assert app.main.selected_id == order[-1]
        await pilot.press("g")
        assert app.main.selected_id == order[0]
        await pilot.press("end", "up", "home")
        assert app.main.selected_id == order[0]


async def test_running_job_progress_events_and_detail_follow_the_engine(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        before_row = app.main.job_list.row(job)
        before_lines = app.main.event_log.line_count
        assert before_row is not None and before_row.progress.startswith("750/4500")
        assert app.main.event_log.lines[-1].message.startswith("Step 750/4500")
        await poll(pilot, world, advance=120)
        after_row = app.main.job_list.row(job)
        assert after_row is not None and after_row.progress.startswith("900/4500")
        assert app.main.event_log.line_count > before_lines
        assert app.main.event_log.lines[-1].message.startswith("Step 900/4500")
        assert field(app, "progress") == "900/4500 20%"
        assert "900/4500 20%" in screen_text(app)
        # Rows of jobs that did not move kept their text.
        done = job_id(world, "sql-gen")
        assert app.main.job_list.row(done) is not None


async def test_event_log_is_oldest_first_local_time_and_follows_the_tail(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("2")
        log = app.main.event_log
        stamps = [line.stamp for line in log.lines]
        assert stamps == sorted(stamps)
        assert log.lines[0].message.startswith("Created fine-tuning job")
        # TZ=UTC in these tests: SIM_START is 2026-05-28 20:26:40 UTC, the job is 12 minutes old.
        assert log.lines[0].stamp == "05-28 20:14:40"
        assert log.scroll_y == log.max_scroll_y > 0
        # Scrolled up, the view stays put as new events arrive...
        log.focus()
        await pilot.press("g")
        await poll(pilot, world, advance=30)
        assert log.scroll_y == 0 and not log.follow
        # ...and G follows the tail again.
        await pilot.press("G")
        await poll(pilot, world, advance=30)
        assert log.follow and log.scroll_y == log.max_scroll_y
        assert log.lines[-1].message in screen_text(app)
        # Long lines pan sideways; there is no horizontal scrollbar to take a row.
        assert not log.show_horizontal_scrollbar
        await pilot.press("l")
        assert log.scroll_x > 0
        await pilot.press("h", "h")
        assert log.scroll_x == 0


async def test_checkpoints_and_metrics_of_the_selected_job(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "support-bot")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        table = app.main.checkpoint_table
        assert [row[0][1] for row in table.rows_shown] == ["120", "80", "40"]
        # The last step's checkpoint is the job's model; the others have ids of their own.
        model = world.get_job(job)["fine_tuned_model"]
        assert model.startswith("ft:gpt-4o-mini-2024-07-18:acme-ml:support-bot:")
        assert table.models[0] == model
        assert table.models[1].startswith("ft:gpt-4o-mini-2024-07-18:acme-ml:support-bot:")
        assert table.models[1].endswith(":ckpt-step-80") and model not in table.models[1]
        names = [name for name, _ in table.rows_shown[0]]
        assert "training loss" in names
        assert "checkpoints 3" in screen_text(app)
        assert "━ train 0.3566" in screen_text(app)  # the metrics pane's legend, last step


# -- filter ------------------------------------------------------------------------------------


async def test_filter_over_id_model_suffix_status_and_metadata(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        field = app.query_one("#filter", Input)
        assert field.display and field.has_focus
        await pilot.press(*"legal")
        await pilot.pause()
        shown = set(app.main.job_list.visible_ids)
        assert shown == {job_id(world, "legal-summarizer"), job_id(world, "contracts")}
        assert "jobs 2/15 · filter: legal" in screen_text(app)
        await pilot.press("enter")
        assert not field.display and app.main.job_list.has_focus
        assert set(app.main.job_list.visible_ids) == shown
        # esc clears it, and every job is back.
        await pilot.press("escape")
        assert len(app.main.job_list.visible_ids) == 15
        assert "jobs 15" in screen_text(app)
        # Status and model words, and two words that must both match.
        await pilot.press("slash")
        for query, keys in (
            ("failed", {"intent-v1", "tiny-test"}),
            ("env=prod team=legal", {"contracts"}),
            ("o4-mini", {"math-rft", "grader-rft"}),
            ("DPO", {"tone-dpo"}),
        ):
            field.value = query
            await pilot.pause()
            assert set(app.main.job_list.visible_ids) == {job_id(world, k) for k in keys}, query
        field.value = "zzz-no-such-job"
        await pilot.press("enter")
        assert app.main.job_list.visible_ids == ()
        assert "no job matches the filter" in screen_text(app)
        await pilot.press("escape")
        assert len(app.main.job_list.visible_ids) == 15


async def test_typing_in_the_filter_never_triggers_actions(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"qcz P y r")
        await pilot.pause()
        assert app.is_running
        assert app.query_one("#filter", Input).value == "qcz P y r"
        assert not isinstance(app.screen, ConfirmScreen)


# -- polling -----------------------------------------------------------------------------------


async def test_r_polls_at_once(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        started = app.monitor.polls_started
        world.clock.advance(60)
        await pilot.press("r")
        await settle(pilot)
        assert app.monitor.polls_started == started + 1


async def test_space_pauses_and_resumes_polling(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await pilot.pause()
        assert app.monitor.paused
        assert "polling paused (space to resume)" in screen_text(app)
        assert "resume polling" in screen_text(app)  # the footer
        started = app.monitor.polls_started
        await pilot.press("r")
        await settle(pilot)
        assert app.monitor.polls_started == started  # paused: no request
        await pilot.press("space")
        await settle(pilot)
        assert not app.monitor.paused
        assert "polling paused" not in screen_text(app)
        assert not app.main.status_line.display


# -- job actions -------------------------------------------------------------------------------


async def test_cancel_asks_first_with_no_focused(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.focused is not None and app.screen.focused.id == "no"
        assert f"Cancel job {job}" in screen_text(app)
        await pilot.press("enter")  # No
        await settle(pilot)
        assert world.get_job(job)["status"] == "running"
        await pilot.press("c")
        await pilot.pause()
        await confirm(pilot)
        await settle(pilot)
        assert world.get_job(job)["status"] in ("cancelling", "cancelled")
        row = app.main.job_list.row(job)
        assert row is not None and row.status in ("cancelling", "cancelled")
        # Nothing left to cancel: the key no longer applies.
        await poll(pilot, world, advance=120)
        assert app.main.job_list.row(job).status == "cancelled"  # type: ignore[union-attr]
        assert "cancel" not in app.active_bindings
        await pilot.press("c")
        assert not isinstance(app.screen, ConfirmScreen)


async def test_pause_then_resume_a_job(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        assert "pause job" in screen_text(app)
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await confirm(pilot)
        await settle(pilot)
        await poll(pilot, world, advance=120)
        assert world.get_job(job)["status"] == "paused"
        assert app.main.job_list.row(job).status == "paused"  # type: ignore[union-attr]
        assert "resume job" in screen_text(app)
        await pilot.press("z")
        await pilot.pause()
        assert "Resume job" in screen_text(app)
        await confirm(pilot)
        await settle(pilot)
        await poll(pilot, world, advance=60)
        assert world.get_job(job)["status"] in ("queued", "running")


async def test_a_failed_action_is_shown_not_fatal(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        world.faults.add("500", count=10, route="/fine_tuning/jobs/" + job + "/cancel")
        await pilot.press("c")
        await pilot.pause()
        await confirm(pilot)
        await wait_for_workers(pilot, "actions")
        await pilot.pause()
        assert app.is_running
        # Said once on the status line, which covers nothing; not a toast.
        assert app.main.status_line.text.startswith(f"could not cancel {job}: ")
        assert "500" in app.main.status_line.text
        assert app.main.status_line.text[:100] in screen_text(app)
        assert not app._notifications
        assert world.get_job(job)["status"] == "running"


async def test_read_only_hides_every_action_that_changes_anything(world: SimWorld) -> None:
    app = build_app(world, read_only=True)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        assert "read-only" in screen_text(app)
        footer = footer_text(app)
        assert "quit" in footer
        assert "cancel" not in footer and "pause job" not in footer
        for key in ("c", "z"):
            assert key not in app.active_bindings
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not any("Cancel" in t or "Pause the" in t or "Resume the" in t for t in titles)
        assert "Refresh now" in titles
        help_text = " ".join(d for _, d in app.main.help_rows())
        assert "cancel" not in help_text and "pause job" not in help_text
        assert world.get_job(job)["status"] == "running"


async def test_permissions_open_for_the_selected_jobs_checkpoints(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "support-bot")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, PermissionsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PermissionsScreen)


async def test_permissions_without_an_admin_key_say_so(world: SimWorld) -> None:
    app = build_app(world, admin=False)
    job = job_id(world, "support-bot")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("P")
        await pilot.pause()
        assert not isinstance(app.screen, PermissionsScreen)
        assert "OPENAI_ADMIN_KEY" in screen_text(app)


async def test_copy_the_id_or_model_name_in_focus(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "support-bot")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("y")
        assert app.clipboard == job
        app.main.overview.focus()
        await pilot.press("y")
        model = world.get_job(job)["fine_tuned_model"]
        assert model and app.clipboard == model
        app.main.checkpoint_table.focus()
        await pilot.press("y")
        assert app.clipboard == model  # the last step's checkpoint is the model itself
        await pilot.press("j", "y")
        assert app.clipboard.endswith(":ckpt-step-80") and model not in app.clipboard


async def test_help_lists_the_keys_as_remapped(world: SimWorld) -> None:
    app = build_app(world, keymap={"cancel_job": "C", "pause_job": "Z"})
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("C")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        # Remapping pause also remaps its partner, resume.
        assert ("Z", "pause job") in app.main.help_rows()
        assert ("Z", "resume job") in app.main.help_rows()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "cancel" in text and "ctrl+p" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_the_actions(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "catalog-long")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in (
            "Refresh now",
            "Pause polling",
            "Filter jobs",
            "Cancel the selected job",
            "Pause the selected job",
            "Copy the id or model name in focus",
            "Show the events",
            "Next job",
            "Help: keys",
        ):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Cancel the selected")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)


# -- layout ------------------------------------------------------------------------------------


async def test_narrow_tabs_and_wide_panes_switch_on_resize(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert app.main.layout_name == "narrow"
        shown = {name: app.main._tab_widget(name).display for name in ("overview", "events")}
        assert shown == {"overview": True, "events": False}
        assert "1 Overview" in screen_text(app).replace("  ", " ")
        for key, tab in (("2", "events"), ("3", "metrics"), ("4", "checkpoints")):
            await pilot.press(key)
            await pilot.pause()
            assert app.main.shown_tab == tab
            body = app.query_one("#body")
            assert body.has_class(f"-tab-{tab}")
        assert app.main.checkpoint_table.region.height > 0
        assert app.main.event_log.region.height == 0
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert app.main.layout_name == "wide"
        for name in ("overview", "events", "metrics", "checkpoints"):
            assert app.main._tab_widget(name).region.height > 0, name
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.main.layout_name == "narrow"
        assert app.main.event_log.region.height == 0


async def test_tab_moves_between_panes(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.focused is app.main.job_list
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(app.focused)
        assert (
            app.main.overview in seen
            and app.main.event_log in seen
            and app.main.checkpoint_table in seen
        )
        await pilot.press("shift+tab")
        assert app.focused is seen[-2]


# -- --job and older pages -----------------------------------------------------------------------


async def test_job_option_opens_a_job_that_is_not_on_the_first_page(world: SimWorld) -> None:
    target = newest_first(world)[-1]
    app = build_app(world, job_id=target, page_size=5)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert app.main.selected_id == target
        assert app.main.job_list.selected_id == target
        assert target in app.main.overview.plain


async def test_job_option_with_an_unknown_job_says_so(world: SimWorld) -> None:
    app = build_app(world, job_id="ftjob-doesnotexist000000000000")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert app.main.pending_job is None
        assert "Job not found" in screen_text(app)
        # A notice on the status line and in the history, not a toast over the panes.
        messages = [n.text for n in app.message_log.notices]
        assert "No job ftjob-doesnotexist000000000000 on this server." in messages
        assert not app._notifications
        await settle(pilot)
        # The 404 of a job nobody wants is not an outage.
        assert not app.main.status_line.health_text
        assert app.main.selected_id == newest_first(world)[0]
        assert field(app, "id") == newest_first(world)[0]


async def test_older_jobs_load_as_the_cursor_nears_the_end(world: SimWorld) -> None:
    app = build_app(world, page_size=5)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await wait_for_workers(pilot, "older")
        # Five rows are fewer than the look-ahead, so one older page came at once.
        assert app.main.job_list.total == 10 and "more below" in screen_text(app)
        assert app.main.job_list.cursor == 0
        await pilot.press("G")
        await wait_for_workers(pilot, "older")
        assert app.main.job_list.total == 15
        assert list(app.main.job_list.visible_ids) == newest_first(world)
        assert "more below" not in screen_text(app)


# -- health, finishing, failures -----------------------------------------------------------------


async def test_api_down_shows_in_the_status_line_while_failing(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert not app.main.status_line.display and not app.main.status_line.ticking
        world.faults.add("503", duration=3600)
        await poll(pilot, world, advance=40)
        assert app.main.status_line.display and app.main.status_line.ticking
        text = screen_text(app)
        # The server answered: server errors, not "no answer"; and when the next try is.
        assert "server errors (503) for 40s · next try in " in text
        assert "no answer" not in text
        # Still usable while failing.
        await pilot.press("j")
        assert app.is_running


async def test_api_back_clears_the_status_line(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        world.faults.add("503", duration=3600)
        await poll(pilot, world, advance=40)
        assert app.main.status_line.ticking
        world.faults.clear()
        world.clock.advance(600)
        await poll(pilot, world)
        await poll(pilot, world, advance=600)
        # Jobs finished meanwhile may still be said on the line, but the outage is gone.
        assert not app.main.status_line.ticking and not app.main.status_line.health_text
        assert not app.main.status_line.has_class("-failing")
        assert "next try" not in screen_text(app) and "503" not in screen_text(app)


async def test_a_brief_list_outage_clears_the_status_line(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        world.faults.add("503", count=1, route="/fine_tuning/jobs", method="GET")
        await poll(pilot, world, advance=5)
        assert app.main.status_line.display and "503" in screen_text(app)
        await poll(pilot, world, advance=600)
        assert not app.main.status_line.ticking and not app.main.status_line.health_text
        assert not app.main.status_line.has_class("-failing")
        assert "503" not in screen_text(app)


async def test_a_finished_job_announces_itself_once(world: SimWorld) -> None:
    bells: list[int] = []
    app = build_app(world)
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    job = job_id(world, "support-bot-v3")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await open_job(pilot, job)
        await poll(pilot, world, advance=20 * 60)
        await poll(pilot, world, advance=60)
        # The job first shown (intent-classifier) finished too: each one once.
        assert app.main.announced.count(job) == 1
        assert len(set(app.main.announced)) == len(app.main.announced) == len(bells)
        assert "Job succeeded" in screen_text(app)
        announced = list(app.main.announced)
        await poll(pilot, world, advance=60)
        assert app.main.announced == announced and len(bells) == len(announced)


async def test_an_engine_bug_does_not_take_the_app_down(world: SimWorld) -> None:
    app = build_app(world)
    app.engine_restart = 1.0
    monitor = app.monitor
    real = monitor.poll_once
    calls = {"n": 0}

    async def broken() -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("boom")  # a bug in the engine, not an API error
        await real()

    monitor.poll_once = broken  # type: ignore[method-assign]
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        monitor.refresh_now()
        said = "polling stopped (RuntimeError); restarting in 1s"
        for _ in range(80):  # however loaded the machine: until the line says it (< 1 s)
            await pilot.pause(0.01)
            if said in screen_text(app):
                break
        assert app.is_running
        assert said in screen_text(app)
        # The engine is started again and the line clears.
        await pilot.pause(1.2)
        await settle(pilot)
        assert calls["n"] >= 3
        assert not app.main.status_line.display
        assert app.is_running


async def test_the_api_key_never_reaches_the_screen(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screens = [app.export_screenshot()]
        await pilot.press("question_mark")
        screens.append(app.export_screenshot())
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        screens.append(app.export_screenshot())
        for svg in screens:
            assert SECRET_KEY not in svg and SECRET_KEY[-8:] not in svg


async def test_ages_are_from_the_injected_clock(world: SimWorld) -> None:
    app = build_app(world)
    job = job_id(world, "sql-gen")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.main.job_list.row(job).age == "26h"  # type: ignore[union-attr]
        world.clock.advance(24 * 3600)
        app.main._refresh_ages()
        assert app.main.job_list.row(job).age == "2d"  # type: ignore[union-attr]
        assert world.clock.now() == SIM_START + 24 * 3600


async def test_rows_off_screen_catch_up_with_time_when_scrolled_into_view(
    world: SimWorld,
) -> None:
    app = build_app(world)
    job = job_id(world, "faq-bot-v2")  # below the fold at 80x24
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert "faq-bot-v2" not in screen_text(app)
        world.clock.advance(2 * 86400)
        app.main._refresh_ages()
        assert job in app.main.job_list._stale
        await pilot.press("G")
        await settle(pilot)
        line = next(line for line in screen_text(app).splitlines() if "faq-bot-v2" in line)
        assert line.rstrip("│ ▄▂▁▃▅▆▇█").endswith("2d")


async def test_a_key_acts_on_the_job_under_the_cursor_even_right_after_a_move(
    world: SimWorld,
) -> None:
    app = build_app(world)
    order = newest_first(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        # One burst, as a terminal delivers typed-ahead keys: no pause between them.
        for key in ("j", "j", "c"):
            event = events.Key(key, key)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Cancel job {order[2]}" in screen_text(app)
