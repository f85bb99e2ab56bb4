"""Every screen's footer tells its keys and ``?`` help (issue 15): compare, checkpoint
permissions, one event whole and the new-job form show their keys whole within 80 columns, help
last; ``?`` opens help at that screen's own keys and ``esc`` comes back to the same screen. In a
text field (the form's, the permissions' add box) ``?`` is typed, not taken for help: there the
footer says ``f1 help``, the key that helps everywhere but the main screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey
from tuikit import build_app, footer_text, job_id, open_job, settle

from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.key_help import SCREEN_TITLES
from ftmon.tui.screens.compare import CompareScreen
from ftmon.tui.screens.create import CreateJobScreen
from ftmon.tui.screens.event_detail import EventDetailScreen
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.screens.messages import MessagesScreen
from ftmon.tui.screens.models import ModelsScreen
from ftmon.tui.screens.permissions import PermissionsScreen
from ftmon.tui.widgets.hint_footer import HintFooter
from ftmon.tui.widgets.scrolling import KeyScroll

NARROW = (80, 24)
WIDE = (160, 48)


async def settled(pilot: Any) -> None:
    """A pushed screen's own workers done, then the engine idle."""
    for _ in range(3):
        await pilot.pause()
        for worker in [w for w in pilot.app.workers if w.group != "engine"]:
            await worker.wait()
    await settle(pilot)


async def open_compare(pilot: Any, world: SimWorld) -> None:
    app: FtmonApp = pilot.app
    for key in ("catalog-long", "support-bot"):
        assert app.main.job_list.select_job(job_id(world, key))
        await settle(pilot)
        await pilot.press("m")
    await pilot.press("C")


async def open_permissions(pilot: Any, world: SimWorld) -> None:
    await open_job(pilot, job_id(world, "support-bot"))
    await pilot.press("P")


async def open_event(pilot: Any, world: SimWorld) -> None:
    await open_job(pilot, job_id(world, "support-bot"))
    await pilot.press("2")  # the events pane, focused
    await pilot.pause()
    await pilot.press("enter")


async def open_form(pilot: Any, world: SimWorld) -> None:
    await pilot.press("n")


async def open_models(pilot: Any, world: SimWorld) -> None:
    await pilot.press("M")


async def open_notices(pilot: Any, world: SimWorld) -> None:
    await pilot.press("H")


Opener = Callable[[Any, SimWorld], Awaitable[None]]
SCREENS: list[Any] = [
    pytest.param(open_compare, CompareScreen, id="compare"),
    pytest.param(open_permissions, PermissionsScreen, id="permissions"),
    pytest.param(open_event, EventDetailScreen, id="event-detail"),
    pytest.param(open_form, CreateJobScreen, id="form"),
    pytest.param(open_models, ModelsScreen, id="models"),
    pytest.param(open_notices, MessagesScreen, id="notices"),
]


async def opened(pilot: Any, world: SimWorld, opener: Opener, cls: type[Screen[Any]]) -> Any:
    await settle(pilot)
    await opener(pilot, world)
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, cls), screen
    return screen


def assert_footer_whole(app: FtmonApp, width: int, help_item: str = "? help") -> list[str]:
    """The footer's items, each whole within ``width`` cells, ``help_item`` last; returns them."""
    footer = app.screen.query_one(HintFooter)
    items = list(footer.shown)
    assert items and items[-1] == help_item, items
    assert sum(len(item) for item in items) + len(items) - 1 <= width, items
    keys = list(footer.query(FooterKey))
    assert len(keys) == len(items)
    for key in keys:
        assert key.region.right <= width, (key.key_display, key.region)
    assert footer_text(app) == " ".join(items)  # as a person reads it: nothing cut
    return items


@pytest.mark.parametrize(("opener", "cls"), SCREENS)
async def test_footer_at_80_columns_shows_the_screens_keys_and_help(
    world: SimWorld, opener: Opener, cls: type[Screen[Any]]
) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        screen = await opened(pilot, world, opener, cls)
        if isinstance(screen, CreateJobScreen):
            # It opens in a text field, where ? is typed: the footer says f1 there...
            assert isinstance(app.focused, Input)
            assert_footer_whole(app, NARROW[0], help_item="f1 help")
            # ...and ? off the fields (a list, a button).
            screen.query_one("#create-review").focus()
            await pilot.pause()
        items = assert_footer_whole(app, NARROW[0])
        assert any(item.startswith("esc ") for item in items), items  # how to leave it


@pytest.mark.parametrize(("opener", "cls"), SCREENS)
async def test_question_mark_opens_help_at_the_screens_keys_and_esc_comes_back(
    world: SimWorld, opener: Opener, cls: type[Screen[Any]]
) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        screen = await opened(pilot, world, opener, cls)
        if isinstance(screen, CreateJobScreen):
            screen.query_one("#create-review").focus()  # not in a text field: a key
            await pilot.pause()
        await pilot.press("question_mark")
        await settled(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        # Scrolled to this screen's own keys: their title at the top of the box, on screen.
        box = help_screen.query_one(KeyScroll)
        title = SCREEN_TITLES[cls.__name__]
        heading = next(s for s in help_screen.query(Static) if str(s.content) == title)
        inside = box.scrollable_content_region
        assert box.scroll_y > 0
        assert inside.y <= heading.region.y < inside.bottom, (heading.region, inside)
        await pilot.press("escape")
        await settled(pilot)
        assert app.screen is screen
        assert_footer_whole(app, NARROW[0])


async def test_help_lists_question_mark_among_each_screens_keys(world: SimWorld) -> None:
    app = build_app(world, keymap={"help": "f1"})
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        sections = dict(app.main.help_sections())
        for cls in (CompareScreen, PermissionsScreen, EventDetailScreen, CreateJobScreen):
            assert ("f1", "help: every key") in sections[SCREEN_TITLES[cls.__name__]], cls
        # Remapped, the form's footer says so too, and f1 opens help from it.
        await opened(pilot, world, open_form, CreateJobScreen)
        assert app.screen.query_one(HintFooter).shown[-1] == "f1 help"
        await pilot.press("f1")
        await settled(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_question_mark_in_a_form_field_is_typed_not_help(world: SimWorld) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        screen = await opened(pilot, world, open_form, CreateJobScreen)
        field = screen.query_one("#in-suffix", Input)
        field.focus()
        await pilot.pause()
        await pilot.press("w", "h", "y", "question_mark")
        await settled(pilot)
        assert app.screen is screen
        assert field.value == "why?"
        # The footer says the key that helps from a text field (? is typed there).
        assert_footer_whole(app, NARROW[0], help_item="f1 help")
        await pilot.press("f1")
        await settled(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settled(pilot)
        assert app.screen is screen and field.value == "why?"


async def test_question_mark_in_the_permissions_add_box_is_typed_not_help(
    world: SimWorld,
) -> None:
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        screen = await opened(pilot, world, open_permissions, PermissionsScreen)
        await pilot.press("a")  # the add box, its field focused
        await pilot.pause()
        field = screen.query_one("#perm-add-input", Input)
        assert field.has_focus
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is screen and field.value == "?"
        assert_footer_whole(app, NARROW[0], help_item="f1 help")


async def test_in_the_job_filter_question_mark_is_typed_and_f1_helps(world: SimWorld) -> None:
    """The main screen's filter is a text field too: ``?`` is typed into it, ``f1`` opens help
    (said in the footer), and ``f1`` closes help again, back to the filter as it was."""
    app = build_app(world)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("slash", "w", "h", "y", "question_mark")
        await settled(pilot)
        field = app.screen.focused
        assert isinstance(field, Input) and field.value == "why?"
        assert_footer_whole(app, NARROW[0], help_item="f1 help")
        await pilot.press("f1")
        await settled(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await settled(pilot)
        assert app.screen is app.main and field.value == "why?"
