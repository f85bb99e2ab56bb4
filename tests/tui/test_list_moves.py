"""``j``/``k`` (and ``g``/``G``, the page keys) move in every list, not only the job list: the
checkpoints pane and both tables of the permissions screen, as remapped by the keymap too; and
they scroll help and the create request's review."""

from __future__ import annotations

from typing import Any

import httpx
from test_permissions import Host, make_env
from test_permissions import settle as settle_screen
from textual.containers import VerticalScroll
from textual.widgets import DataTable
from tuikit import build_app, new_world, settle, until

from ftmon.sim.world import SimWorld
from ftmon.tui.screens.create_form import RequestReview
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.screens.messages import MessagesScreen
from ftmon.tui.screens.permissions import PermissionsScreen
from ftmon.tui.widgets.checkpoints import CheckpointTable
from ftmon.tui.widgets.scrolling import KeyScroll


def screen_of(app: Host) -> PermissionsScreen:
    screen = app.screen
    assert isinstance(screen, PermissionsScreen)
    return screen


async def test_j_and_k_move_in_both_tables_of_the_permissions_screen(
    sim_world: SimWorld, sim_transport: httpx.AsyncBaseTransport
) -> None:
    env = make_env(sim_world, sim_transport)
    second = env.model(1)
    for project in ("proj_a", "proj_b", "proj_c"):
        env.share(second, project)
    app = Host(env.client, env.checkpoints)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle_screen(app, pilot)
        screen = screen_of(app)
        checkpoints = screen.query_one("#perm-checkpoints", DataTable)
        assert screen.focused is checkpoints and checkpoints.cursor_row == 0
        await pilot.press("j")
        await settle_screen(app, pilot)
        # The highlighted checkpoint moved, and its projects were read.
        assert checkpoints.cursor_row == 1 and screen.current_model() == second
        projects = screen.query_one("#perm-projects", DataTable)
        assert projects.row_count == 3
        await pilot.press("G")
        assert checkpoints.cursor_row == len(env.checkpoints) - 1
        await pilot.press("g", "j")
        await settle_screen(app, pilot)
        assert checkpoints.cursor_row == 1
        await pilot.press("tab")
        assert screen.focused is projects
        await pilot.press("j", "j")
        assert projects.cursor_row == 2
        await pilot.press("k")
        assert projects.cursor_row == 1
        await pilot.press("G", "k", "k", "k")
        assert projects.cursor_row == 0
        # Still the same checkpoint: moving in the projects moved nothing above.
        assert checkpoints.cursor_row == 1


async def test_j_and_k_move_the_checkpoints_pane_and_follow_the_keymap() -> None:
    world = new_world()
    job = world.highlights["job:faq-bot-v2"]
    app = build_app(world, job_id=job, keymap={"down": "ctrl+n"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        table = app.main.query_one(CheckpointTable)
        assert app.main.focused is table and table.row_count >= 2
        selected: list[Any] = []
        await pilot.press("ctrl+n")
        selected.append(table.cursor_row)
        await pilot.press("k")
        selected.append(table.cursor_row)
        await pilot.press("G")
        selected.append(table.cursor_row)
        await pilot.press("g")
        selected.append(table.cursor_row)
        assert selected == [1, 0, table.row_count - 1, 0]
        assert app.main.job_list.selected_id == job  # the job list never moved


async def test_j_and_k_scroll_help_and_the_request_review() -> None:
    world = new_world()
    app = build_app(world, job_id=world.highlights["job:catalog-long"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert await until(pilot, lambda: bool(app.screen.query(KeyScroll)))
        box = app.screen.query_one(KeyScroll)
        assert await until(pilot, lambda: box.max_scroll_y > 5)
        await pilot.press("j", "j", "j")
        assert box.scroll_y == 3
        await pilot.press("k")
        assert box.scroll_y == 2
        await pilot.press("G")
        assert box.scroll_y == box.max_scroll_y
        await pilot.press("g")
        assert box.scroll_y == 0
        await pilot.press("escape")
        assert await until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        # The review of a create request: a long body, j and k scroll it, nothing is answered.
        body = {"model": "gpt-4o-mini", "metadata": {f"key{i}": "value" for i in range(40)}}
        answers: list[bool | None] = []
        app.push_screen(RequestReview(body), answers.append)
        assert await until(pilot, lambda: bool(app.screen.query("#review-body")))
        scroll = app.screen.query_one("#review-body", VerticalScroll)
        assert await until(pilot, lambda: scroll.max_scroll_y > 3)
        await pilot.press("j", "j")
        await pilot.pause()
        assert scroll.scroll_y == 2
        await pilot.press("k")
        await pilot.pause()
        assert scroll.scroll_y == 1 and answers == []


async def test_two_moves_before_a_frame_scroll_two_lines() -> None:
    """Keys of one burst (``jj`` read off a slow link at once) run before the screen repaints:
    each scroll must start from where the one before it went, not from the last frame's
    place (a deferred scroll made ``jj`` one line on the overview, the notices and the review)."""
    world = new_world()
    app = build_app(world, job_id=world.highlights["job:catalog-long"])
    async with app.run_test(size=(80, 14)) as pilot:
        await settle(pilot)
        overview = app.main.overview  # type: ignore[attr-defined]
        assert await until(pilot, lambda: overview.max_scroll_y > 3)
        overview.action_move(1)
        overview.action_move(1)
        assert overview.scroll_y == 2
        overview.action_page(1)
        assert overview.scroll_y > 2
        for i in range(30):
            app.message_log.say(f"notice {i}")  # type: ignore[attr-defined]
        await pilot.press("H")
        assert await until(pilot, lambda: isinstance(app.screen, MessagesScreen))
        notices = app.screen
        box = notices.query_one(VerticalScroll)
        assert await until(pilot, lambda: box.max_scroll_y > 3)
        notices.action_scroll(1)  # type: ignore[attr-defined]
        notices.action_scroll(1)  # type: ignore[attr-defined]
        assert box.scroll_y == 2
        await pilot.press("escape")
        assert await until(pilot, lambda: app.screen is app.main)  # type: ignore[attr-defined]
        await settle(pilot)
        body = {"model": "gpt-4o-mini", "metadata": {f"key{i}": "value" for i in range(40)}}
        app.push_screen(RequestReview(body))
        assert await until(pilot, lambda: bool(app.screen.query("#review-body")))
        review = app.screen
        scroll = review.query_one("#review-body", VerticalScroll)
        assert await until(pilot, lambda: scroll.max_scroll_y > 3)
        review.action_scroll_body(1)  # type: ignore[attr-defined]
        review.action_scroll_body(1)  # type: ignore[attr-defined]
        assert scroll.scroll_y == 2
