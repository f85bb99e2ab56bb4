"""The event log read while it follows: search (``/``, ``n``/``N``, esc), the level filter (``f``)
and the marker that says whether the tail is followed or how many events came in below.

On the widget alone (its keys as a person presses them), in the app (the log's keys win over the
main screen's: ``/`` searches, ``n`` never starts a new job), and as snapshots at 80x24 and
160x48 with a search highlighted and with the "N new" marker.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import pytest
from support.simkit import SIM_START
from textual.app import App, ComposeResult
from tuikit import build_app, new_world, poll, screen_text, settle

from ftmon.api.models import FineTuningJobEvent
from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.screens.create import CreateJobScreen
from ftmon.tui.widgets.event_log import EventLog

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def event(i: int, message: str, level: str = "info") -> FineTuningJobEvent:
    return FineTuningJobEvent(id=f"ev-{i}", created_at=SIM_START + i, level=level, message=message)


def steps(count: int, start: int = 0) -> list[FineTuningJobEvent]:
    return [event(i, f"Step {i}: loss={i % 7}") for i in range(start, start + count)]


class Host(App[None]):
    CSS = "EventLog { height: 10; border: round white; }"

    def __init__(self, max_lines: int = 1000) -> None:
        super().__init__()
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield EventLog(max_lines=self.max_lines)

    def on_mount(self) -> None:
        self.query_one(EventLog).focus()


def subtitle(log: EventLog) -> str:
    return log.border_words


def selected(log: EventLog) -> str:
    return log.shown_lines[log.cursor].message


async def type_keys(pilot: Any, text: str) -> None:
    await pilot.press(*[{" ": "space", "/": "slash"}.get(c, c) for c in text])


async def test_slash_types_a_search_the_cursor_goes_to_the_newest_match_n_and_N_move() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", steps(100))
        await pilot.pause()
        await type_keys(pilot, "/step 2")
        # Typing searches up from the tail: the newest match first; the query is in the border.
        assert log.typing and log.search_query == "step 2"
        assert selected(log) == "Step 29: loss=1"
        assert subtitle(log).startswith("/step 2") and "11/11" in subtitle(log)
        await type_keys(pilot, "1")
        assert selected(log) == "Step 21: loss=0" and "1/1" in subtitle(log)
        await pilot.press("backspace", "enter")
        assert not log.typing and log.search_query == "step 2"
        assert "11/11" in subtitle(log)  # back to the match nearest the tail
        await pilot.press("N")
        assert selected(log) == "Step 28: loss=0" and "10/11" in subtitle(log)
        await pilot.press("n", "n")  # down, and round past the last match to the first
        assert selected(log) == "Step 2: loss=2" and "1/11" in subtitle(log)
        await pilot.press("N")  # and up, round the top
        assert selected(log) == "Step 29: loss=1"
        # The cursor is on screen wherever the match took it.
        top = round(log.scroll_y)
        assert top <= log.cursor < top + log.scrollable_content_region.height


async def test_matches_are_highlighted_by_spans_not_markup() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        hostile = "[b]Step[/b] [/bold] [@click=app.quit]x[/] STEP"
        log.show_job("job", [event(0, "nothing here"), event(1, hostile)])
        await pilot.pause()
        await type_keys(pilot, "/step")
        await pilot.press("enter")
        match_style = log.get_component_rich_style("event-log--match")
        # Both "Step" and "STEP" (case does not matter), the markup shown as it was sent.
        row = log.render_line(1)
        assert row.text.startswith(f"{log.lines[1].stamp} info  {hostile}")
        marked = [seg.text for seg in row if seg.style and seg.style.bgcolor == match_style.bgcolor]
        assert marked == ["Step", "STEP"]
        assert not any(seg.style and seg.style.meta for seg in row)  # no @click made it through
        assert not [
            seg
            for seg in log.render_line(0)
            if seg.style and seg.style.bgcolor == match_style.bgcolor
        ]
        # A query with brackets is text too.
        await type_keys(pilot, "/[/bold]")
        assert log.match_rows == [1] and "1/1" in subtitle(log)


async def test_escape_ends_the_search_and_its_highlights() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", steps(30))
        await pilot.pause()
        await type_keys(pilot, "/loss=3")
        await pilot.press("escape")  # while typing: the search is cancelled
        assert not log.typing and log.search_query == "" and log.match_rows == []
        assert subtitle(log) == "following"
        await type_keys(pilot, "/loss=3")
        await pilot.press("enter")
        assert len(log.match_rows) == 4
        await pilot.press("escape")  # a search kept after enter: escape clears it
        assert log.search_query == "" and log.match_rows == []
        # n with no search says how to start one, and moves nothing.
        cursor = log.cursor
        await pilot.press("n")
        assert log.cursor == cursor and "no search: / first" in subtitle(log)


async def test_a_match_above_the_tail_stops_following_and_esc_goes_back() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", steps(30))
        await pilot.pause()
        await type_keys(pilot, "/step 2")
        # Step 29 is the newest line: still at the tail, still following.
        assert selected(log) == "Step 29: loss=1" and log.follow
        await type_keys(pilot, "0")
        # Step 20 is above it: new events must not carry it away.
        assert selected(log) == "Step 20: loss=6" and not log.follow
        log.append("job", steps(2, 30))
        await pilot.pause()
        assert selected(log) == "Step 20: loss=6" and "2 new ↓ G follow" in subtitle(log)
        # esc while typing: the search is gone and the log is back where it was (the tail).
        await pilot.press("escape")
        assert log.follow and selected(log) == "Step 31: loss=3"
        assert subtitle(log) == "following"
        # From a line further up, esc goes back to that line.
        await pilot.press("k", "k", "k")
        assert selected(log) == "Step 28: loss=0"
        await type_keys(pilot, "/step 1")
        assert selected(log) == "Step 19: loss=5"
        await pilot.press("escape")
        assert selected(log) == "Step 28: loss=0"


async def test_a_match_far_along_a_long_line_is_panned_into_view() -> None:
    app = Host()
    async with app.run_test(size=(60, 14)) as pilot:
        log = app.query_one(EventLog)
        long = "x" * 150 + " needle " + "y" * 20
        log.show_job("job", [event(0, "short needle"), event(1, long), event(2, "last")])
        await pilot.pause()
        await type_keys(pilot, "/needle")
        await pilot.pause()
        assert selected(log) == long and log.scroll_x > 0
        shown = log.render_line(1).text
        assert "needle" in shown
        await pilot.press("enter", "N")  # the short line's match: back to the start
        await pilot.pause()
        assert selected(log) == "short needle" and log.scroll_x == 0


async def test_new_events_are_searched_as_they_come() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", steps(10))
        await type_keys(pilot, "/loss=2")
        await pilot.press("enter")
        assert log.match_rows == [2, 9]
        log.append("job", steps(10, 10))
        await pilot.pause()
        assert log.match_rows == [2, 9, 16]


def mixed() -> list[FineTuningJobEvent]:
    levels = ["info", "info", "warn", "info", "error", "info", "warning", "info"]
    return [event(i, f"{level} {i}", level) for i, level in enumerate(levels)]


async def test_f_cycles_the_level_filter_and_the_border_says_it() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", mixed())
        await pilot.pause()
        await pilot.press("up", "up", "up")  # on "error 4"
        assert selected(log) == "error 4"
        await pilot.press("f")
        assert [line.message for line in log.shown_lines] == ["warn 2", "error 4", "warning 6"]
        assert "warnings and errors" in subtitle(log)
        assert selected(log) == "error 4"  # the same event stays selected
        assert log.line_count == 8  # hidden, not forgotten
        shown = [log.render_line(y).text for y in range(3)]
        assert [text.rstrip()[-1] for text in shown] == ["2", "4", "6"]
        await pilot.press("f")
        assert [line.message for line in log.shown_lines] == ["error 4"]
        assert "errors only" in subtitle(log)
        # New events pass the same filter; the search looks only at what is shown.
        log.append("job", [event(8, "info 8"), event(9, "error 9", "error")])
        await pilot.pause()
        assert [line.message for line in log.shown_lines] == ["error 4", "error 9"]
        await type_keys(pilot, "/9")
        assert log.match_rows == [1]
        await pilot.press("enter", "f")
        assert log.level_filter == "all" and len(log.shown_lines) == 10
        assert log.match_rows == [9]  # the same event, on its row in the whole log
        assert "errors" not in subtitle(log)


async def test_a_filter_that_hides_everything_says_so() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", steps(5))
        await pilot.press("f", "f")
        assert log.shown_lines == []
        assert "no error (f: every level)" in log.render_line(0).text
        await pilot.press("enter", "n", "G")  # nothing to open or move to: no error


async def test_the_marker_counts_unseen_events_and_G_follows_again() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", steps(40))
        await pilot.pause()
        assert log.follow and subtitle(log) == "following"
        await pilot.press("g")
        assert not log.follow and subtitle(log) == "G follow"
        log.append("job", steps(3, 40))
        await pilot.pause()
        log.append("job", steps(2, 43))
        await pilot.pause()
        assert log.unseen == 5 and subtitle(log) == "5 new ↓ G follow"
        assert "Step 0:" in log.render_line(0).text  # the view stayed where it was read
        await pilot.press("G")
        assert log.follow and log.unseen == 0 and subtitle(log) == "following"
        assert log.scroll_y == log.max_scroll_y
        assert "Step 44:" in log.render_line(log.scrollable_content_region.height - 1).text
        log.append("job", steps(1, 45))
        await pilot.pause()
        assert "Step 45:" in log.render_line(log.scrollable_content_region.height - 1).text
        # Scrolling back down to the end by hand follows again too.
        await pilot.press("pageup")
        log.append("job", steps(1, 46))
        await pilot.pause()
        assert subtitle(log) == "1 new ↓ G follow"
        await pilot.press("end")
        assert subtitle(log) == "following"


async def test_the_marker_names_the_key_as_remapped() -> None:
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        app.set_keymap({"last": "ctrl+e"})
        log = app.query_one(EventLog)
        log.show_job("job", steps(40))
        await pilot.pause()
        await pilot.press("g")
        log.append("job", steps(1, 40))
        await pilot.pause()
        assert subtitle(log) == "1 new ↓ ^e follow"
        await pilot.press("ctrl+e")
        assert log.follow


async def test_a_search_of_a_full_log_is_quick() -> None:
    """10,000 events: one search of them all is measured here and is a small fraction of a
    second (the figure printed is for the record, no wall-clock assertion of speed)."""
    app = Host(max_lines=10_000)
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", steps(10_000))
        await pilot.pause()
        await pilot.press("slash")
        started = time.perf_counter()
        log._set_query("loss=3")
        took = time.perf_counter() - started
        print(f"one search of 10,000 lines: {took * 1000:.1f} ms")
        assert len(log.match_rows) == 1429


# -- in the app: the log's keys win while it has focus -----------------------------------------


def world_and_app(key: str = "catalog-long") -> tuple[SimWorld, FtmonApp]:
    world = new_world()
    return world, build_app(world, job_id=world.highlights[f"job:{key}"])


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_in_the_app_slash_n_and_N_search_the_log_and_start_no_job(
    size: tuple[int, int],
) -> None:
    _, app = world_and_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("2")
        log = app.main.event_log
        assert app.main.focused is log
        await type_keys(pilot, "/step 74")
        # 745 (the newest match), n: round to 740, N: round back to 745, N: up to 740.
        await pilot.press("enter", "n", "N", "N")
        await settle(pilot)
        assert app.screen is app.main and not isinstance(app.screen, CreateJobScreen)
        assert not app.main.query_one("#filter").display  # no job filter opened either
        assert log.search_query == "step 74"
        assert selected(log).startswith("Step 740/4500") and "1/2" in log.border_words
        # escape clears the search first; the next one is the screen's again (clear filter).
        await pilot.press("escape")
        assert log.search_query == ""
        await pilot.press("escape")
        assert app.screen is app.main and "/step" not in screen_text(app)


async def test_in_the_app_the_border_shows_new_events_below() -> None:
    world, app = world_and_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "g")
        await poll(pilot, world, advance=60)
        log = app.main.event_log
        assert log.unseen == 15
        assert "15 new ↓ G follow" in screen_text(app)
        await pilot.press("G")
        assert "following" in screen_text(app)


# -- snapshots ---------------------------------------------------------------------------------


async def searched(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("2")
    await type_keys(pilot, "/step 74")
    await pilot.press("enter", "N")
    await settle(pilot)


async def new_below(world: SimWorld, pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("2", "g")
    await poll(pilot, world, advance=60)
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_search_highlighted(snap_compare: Any, size: tuple[int, int]) -> None:
    _, app = world_and_app()
    assert snap_compare(app, terminal_size=size, run_before=searched)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_new_events_below(snap_compare: Any, size: tuple[int, int]) -> None:
    world, app = world_and_app()
    assert snap_compare(app, terminal_size=size, run_before=partial(new_below, world))


async def test_the_palette_searches_filters_and_follows_the_log() -> None:
    _, app = world_and_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        log = app.main.event_log
        await pilot.press("ctrl+p")
        await type_keys(pilot, "search the events")
        await pilot.press("enter")
        await pilot.pause(0.1)
        await settle(pilot)
        assert app.main.focused is log and log.typing
        await type_keys(pilot, "step 74")
        await pilot.press("enter")
        assert log.search_query == "step 74" and len(log.match_rows) == 2
        assert selected(log).startswith("Step 745/4500")
        await pilot.press("ctrl+p")
        await type_keys(pilot, "event levels")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert log.level_filter == "warn"
        await pilot.press("ctrl+p")
        await type_keys(pilot, "follow the newest events")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert log.follow and log.cursor == len(log.shown_lines) - 1


async def test_help_says_g_follows_the_events_again() -> None:
    _, app = world_and_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        rows = {words: keys for keys, words in app.main.help_rows()}
        assert rows["events: the newest line, and follow new ones again"] == "G, end"


async def test_a_query_typed_letter_by_letter_finds_what_a_whole_one_finds() -> None:
    """Each letter looks only at the lines the query before it matched: the matches must be
    those of the whole query, whatever its case, with lines that came in between the letters."""
    app = Host()
    async with app.run_test(size=(80, 14)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", steps(200))
        await pilot.pause()

        def whole(query: str) -> int:
            return sum(query.lower() in line.plain.lower() for line in log.shown_lines)

        await type_keys(pilot, "/LOSS")
        assert len(log.match_rows) == whole("loss") == 200
        log.append("job", steps(50, start=200))  # lines come in while the query is typed
        await pilot.pause()
        await type_keys(pilot, "=3")
        assert len(log.match_rows) == whole("loss=3") == 36
        await pilot.press("backspace", "backspace", "backspace")  # "los": more again
        assert len(log.match_rows) == whole("los") == 250
        await type_keys(pilot, "s=6")
        assert len(log.match_rows) == whole("loss=6") == 35
