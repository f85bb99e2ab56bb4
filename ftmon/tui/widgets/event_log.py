"""The event log of the selected job: oldest first, bounded, following the tail.

A line-API widget that stores each event once as plain cleaned strings (time, level, message) and
renders only the lines on screen, like toolong does: 100,000 events cost their text, not 100,000
rendered lines. New events repaint only the new lines; when the user has scrolled up, the view
stays where it is and only the scrollbar moves. Older events read on request go in at the top
(``prepend``) under the line being read, which stays where it is on screen.

Three ways to read it while it follows: a level filter (``f``: every level, warnings and errors,
errors only) that hides lines without forgetting them; a search (``/`` types a query into the
log's bottom border, ``n``/``N`` go to the next match down and the previous one up), its matches
highlighted by spans on the cleaned text, never by markup; and a marker in the bottom border that
says whether the log follows its tail, or how many events came in below since it stopped.
Without colour (``NO_COLOR``) the cursor's line starts with :data:`CURSOR_MARK`, as the job
list's cursor row does: a cell kept at the left edge (it does not pan) on every line, only then.
The search keeps focus on the log: the keys of a burst (``/loss`` and enter, typed at once) land
in the query, never on the main screen's ``n`` or ``/``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ftmon.monitor.records import ShownEvent
from ftmon.text import one_line
from ftmon.tui.bindings import EVENT_LOG_BINDINGS, MOVE_BINDINGS, PAN_BINDINGS
from ftmon.tui.widgets.job_list import CURSOR_MARK
from ftmon.tui.widgets.scrolling import ThumbSync

MAX_LINES = 5000
MESSAGE_LIMIT = 2000

LEVEL_COLOURS = {"error": "red", "warn": "yellow", "warning": "yellow", "debug": "bright_black"}
#: The level filter's steps, in the order ``f`` goes through them: the levels each one shows
#: (None: every level), how the log's border says it, and the log with none of them.
LEVEL_FILTERS: dict[str, tuple[frozenset[str] | None, str, str]] = {
    "all": (None, "", ""),
    "warn": (frozenset({"warn", "warning", "error"}), "warnings and errors", "no warning or error"),
    "error": (frozenset({"error"}), "errors only", "no error"),
}
#: The longest query the search takes.
QUERY_LIMIT = 200


class EventLine(NamedTuple):
    """One event as it is shown: every part already cleaned, nothing left to parse."""

    stamp: str
    level: str
    message: str

    @property
    def plain(self) -> str:
        return f"{self.stamp} {self.level:<5} {self.message}"


def event_stamp(timestamp: float | None) -> str:
    """``11-26 14:03:07`` in local time: the day, for logs that span midnight, and the second."""
    if timestamp is None:
        return "--------------"
    try:
        return datetime.fromtimestamp(timestamp).strftime("%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return "--------------"


def event_line(event: ShownEvent) -> EventLine:
    """One event as shown; ``one_line`` takes printable text as it is (a 5,000-event history
    is read when a job is opened: the sanitiser's loop would be most of that time)."""
    level = one_line(event.level, width=8).lower() or "info"
    return EventLine(
        event_stamp(event.created_at), level, one_line(event.message, width=MESSAGE_LIMIT)
    )


class EventLog(ThumbSync, ScrollView, can_focus=True):
    """Events of one job; ``G``/``end`` returns to following the newest."""

    class ReachedTop(Message):
        """A key took the user to the first line, or further up while there: the place to
        offer older events."""

        def __init__(self, log: EventLog, job_id: str | None) -> None:
            super().__init__()
            self.log = log
            self.job_id = job_id

        @property
        def control(self) -> EventLog:
            return self.log

    class Opened(Message):
        """Enter on a line: show that event whole (its ``data`` too)."""

        def __init__(self, log: EventLog, job_id: str | None, key: tuple[int | None, str]) -> None:
            super().__init__()
            self.log = log
            self.job_id = job_id
            #: The event's dedupe key, to find it among the engine's records.
            self.key = key

        @property
        def control(self) -> EventLog:
            return self.log

    BINDINGS: ClassVar[list[BindingType]] = [
        *MOVE_BINDINGS,
        *PAN_BINDINGS,
        *EVENT_LOG_BINDINGS,
        Binding("enter", "open_event", "event detail", show=False, id="events.open"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-log--stamp",
        "event-log--empty",
        "event-log--cursor",
        "event-log--match",
        "event-log--marker",
    }
    DEFAULT_CSS = """
    EventLog {
        /* No horizontal scrollbar: it would take a row from a small pane (and appear a frame
           after the lines that need it). Long lines pan with left/right. */
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
        & > .event-log--stamp { color: $text-muted; }
        & > .event-log--empty { color: $text-muted; text-style: italic; }
        & > .event-log--cursor { background: $block-cursor-blurred-background; }
        & > .event-log--match { background: $warning 70%; color: $text; text-style: bold; }
        /* Without colour (NO_COLOR) a match is still seen, on the reversed cursor line too. */
        &:nocolor > .event-log--match { text-style: bold underline; }
        & > .event-log--marker { color: $warning; text-style: bold; }
    }
    """

    def __init__(self, *, max_lines: int = MAX_LINES, id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_lines = max_lines
        self.job_id: str | None = None
        self._lines: list[EventLine] = []
        #: The engine's dedupe key of each line, to recognise an event already shown.
        self._keys: list[tuple[int | None, str]] = []
        self._key_set: set[tuple[int | None, str]] = set()
        #: The lines shown, as indices into ``_lines`` in order: those the level filter passes.
        #: A row is a position in this list; the cursor, the scroll offset and matches are rows.
        self._rows: list[int] = []
        self._width = 0
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(256)
        self._auto_scroll = False
        #: Whether new events scroll into view; off while the user reads further up.
        self.follow = True
        #: The row the keys move and enter opens; None: the last row (it moves with the tail).
        self._cursor: int | None = None
        self.empty_text = "no job selected"
        #: The level filter: a key of ``LEVEL_FILTERS``.
        self.level_filter = "all"
        #: The search: what was typed (empty: no search), and whether it is being typed.
        self.search_query = ""
        self.typing = False
        self._pattern: re.Pattern[str] | None = None
        #: The rows that match the search, in order.
        self._matches: list[int] = []
        #: Where the cursor was when ``/`` was pressed: typing searches up from there.
        self._search_origin: int | None = None
        #: Events shown below since the log stopped following its tail, not yet scrolled to.
        self.unseen = 0
        #: A one-off word in the border (``n`` with no search), gone at the next change.
        self._note = ""
        self._subtitle_key: tuple[object, ...] = ()
        #: What the bottom border says, as plain text.
        self.border_words = ""

    @property
    def lines(self) -> list[EventLine]:
        """Every line held, the level filter's hidden ones too."""
        return list(self._lines)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def shown_lines(self) -> list[EventLine]:
        """The lines on show: those the level filter lets through."""
        return [self._lines[i] for i in self._rows]

    @property
    def match_rows(self) -> list[int]:
        """The rows (positions among the shown lines) that match the search."""
        return list(self._matches)

    def _passes(self, line: EventLine) -> bool:
        levels = LEVEL_FILTERS[self.level_filter][0]
        return levels is None or line.level in levels

    def _rows_of(self, start: int, stop: int) -> list[int]:
        """The indices in ``start:stop`` of the lines the level filter passes."""
        levels = LEVEL_FILTERS[self.level_filter][0]
        if levels is None:
            return list(range(start, stop))
        lines = self._lines
        return [i for i in range(start, stop) if lines[i].level in levels]

    def show_job(
        self, job_id: str | None, events: Iterable[ShownEvent], *, empty: str = ""
    ) -> None:
        """Show another job's events from scratch, following its tail."""
        self.job_id = job_id
        shown = list(events)[-self.max_lines :]
        self._lines = [event_line(e) for e in shown]
        self._keys = [e.dedupe_key for e in shown]
        self._key_set = set(self._keys)
        self._rows = self._rows_of(0, len(self._lines))
        self._width = self._widest(self._lines)
        self.empty_text = empty or ("no events yet" if job_id else "no job selected")
        self._cache.clear()
        self.virtual_size = Size(self._width, len(self._rows))
        self.follow = True
        self.unseen = 0
        self._cursor = None
        self._search_origin = None
        self._find_matches()
        self._scroll(x=0, y=self.max_scroll_y)
        self.call_after_refresh(self._keep_following)
        self._update_subtitle()
        self.refresh()

    def append(self, job_id: str, events: Iterable[ShownEvent]) -> int:
        """Add new events of the shown job; returns how many were added."""
        if job_id != self.job_id:
            return 0
        # A batch published before show_job() took its snapshot may arrive after it: skip what
        # is shown already (the engine's own dedupe key, so nothing it kept is dropped here).
        fresh = [e for e in events if e.dedupe_key not in self._key_set]
        if not fresh:
            return 0
        new = [event_line(e) for e in fresh]
        self._keys.extend(e.dedupe_key for e in fresh)
        self._key_set.update(e.dedupe_key for e in fresh)
        was_empty = not self._rows
        first_new = len(self._lines)
        self._lines.extend(new)
        dropped = len(self._lines) - self.max_lines
        removed = 0
        if dropped > 0:
            del self._lines[:dropped]
            self._key_set.difference_update(self._keys[:dropped])
            del self._keys[:dropped]
            first_new -= dropped
            before = len(self._rows)
            self._rows = [i - dropped for i in self._rows if i >= dropped]
            removed = before - len(self._rows)
            self._cache.clear()
            if self._cursor is not None:  # the same event stays selected while it is shown
                self._cursor = max(0, self._cursor - removed)
            if self._search_origin is not None:
                self._search_origin = max(0, self._search_origin - removed)
        self._width = max(self._width, self._widest(new))
        start = len(self._rows)
        added = self._rows_of(first_new, len(self._lines))
        self._rows.extend(added)
        if self._pattern is not None:
            if removed:
                self._find_matches()
            else:
                self._matches.extend(r for r in range(start, len(self._rows)) if self._is_match(r))
        if not added and not removed:
            if self._note:
                self._note = ""
                self._update_subtitle()
            return len(new)  # every new line is hidden by the level filter
        if removed:
            start = 0
        elif self._cursor is None and start and self.has_focus:
            start -= 1  # the line the cursor leaves is drawn again too
        self._grow(Size(self._width, len(self._rows)))
        if self.follow:
            self._scroll(y=self.max_scroll_y)
            self.call_after_refresh(self._keep_following)
        else:
            self.unseen += len(added)
            if removed:
                # Keep the lines the user is reading in place as old ones fall off the top.
                self._scroll(y=max(0, self.scroll_y - removed))
        self._note = ""
        self._update_subtitle()
        if was_empty or removed:
            self.refresh()
        else:
            self.refresh_lines(start, len(self._rows) - start)
        return len(new)

    def prepend(self, job_id: str, events: Iterable[ShownEvent]) -> int:
        """Add older events of the shown job, oldest first, above the first line; returns how
        many were added. The lines on screen stay where they are (the view moves down by the
        lines added) and following the tail is neither turned on nor off; none are added
        beyond ``max_lines``."""
        if job_id != self.job_id:
            return 0
        fresh: list[ShownEvent] = []
        keys: set[tuple[int | None, str]] = set()
        for event in events:
            key = event.dedupe_key
            if key not in self._key_set and key not in keys:
                keys.add(key)
                fresh.append(event)
        room = self.max_lines - len(self._lines)
        if room <= 0 or not fresh:
            return 0
        fresh = fresh[-room:]  # the newest of them: those next to the first line shown
        new = [event_line(e) for e in fresh]
        self._lines[:0] = new
        self._keys[:0] = [e.dedupe_key for e in fresh]
        self._key_set.update(e.dedupe_key for e in fresh)
        count = len(new)
        added = self._rows_of(0, count)
        self._rows = added + [i + count for i in self._rows]
        if self._cursor is not None:
            self._cursor += len(added)
        if self._search_origin is not None:
            self._search_origin += len(added)
        self._width = max(self._width, self._widest(new))
        self._cache.clear()  # cached by row: every line moved
        self._find_matches()
        self._grow(Size(self._width, len(self._rows)))
        self._scroll(y=self.scroll_y + len(added))
        self._update_subtitle()
        self.refresh()
        return count

    def _grow(self, size: Size) -> None:
        """Make the scrollable area ``size`` without repainting the lines already on screen.

        Setting ``virtual_size`` lays the screen out again and repaints the whole pane (some
        3 KB for one new line). A log with a fixed size needs no layout: only its scrollbar
        changes, which ``_scroll_update`` redraws (and shows, with a layout, when it appears).
        The caller repaints the new lines, or all of them when the view moves.
        """
        if size == self.virtual_size:
            return
        if not self.is_mounted or self._sized_by_content():
            self.virtual_size = size
            return
        self.set_reactive(EventLog.virtual_size, size)
        self._scroll_update(size)

    def _sized_by_content(self) -> bool:
        """Whether the log's size (or its parent's) follows its lines: then lay out again."""
        styles, parent = self.styles, self.parent
        if styles.is_auto_width or styles.is_auto_height:
            return True
        return isinstance(parent, Widget) and (
            parent.styles.is_auto_width or parent.styles.is_auto_height
        )

    def _view_height(self) -> int:
        return max(0, self.scrollable_content_region.height)

    def _scroll(self, *, x: float | None = None, y: float | None = None) -> None:
        """Scroll for the widget's own reasons: following the tail is not changed by it."""
        self._auto_scroll = True
        try:
            # force: the scrollbars are only updated at the next layout, after new lines.
            self.scroll_to(x=x, y=y, animate=False, immediate=True, force=True)
        finally:
            self._auto_scroll = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._auto_scroll:
            # The user scrolled: follow again only once back at the end.
            self._set_follow(round(new_value) >= self.max_scroll_y)

    def _set_follow(self, follow: bool) -> None:
        self.follow = follow
        if follow:
            self.unseen = 0
        self._update_subtitle()

    def on_resize(self) -> None:
        self._keep_following()

    def _keep_following(self) -> None:
        """Once laid out again (a horizontal scrollbar may have taken a row), show the end."""
        if self.follow and round(self.scroll_y) != self.max_scroll_y:
            self._scroll(y=self.max_scroll_y)

    # -- keys ----------------------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        """The row of the selected line (-1 with no line shown)."""
        if not self._rows:
            return -1
        last = len(self._rows) - 1
        return last if self._cursor is None else min(self._cursor, last)

    def _move_cursor(self, index: int) -> None:
        """Select row ``index`` and scroll just enough to show it."""
        if not self._rows:
            return
        last = len(self._rows) - 1
        index = max(0, min(index, last))
        self._cursor = None if index == last else index
        height = max(1, self._view_height())
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True, force=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True, force=True)
        self._update_subtitle()
        self.refresh()

    def action_move(self, step: int) -> None:
        self._move_cursor(self.cursor + step)
        self._at_top(step)

    def action_page(self, direction: int) -> None:
        self._move_cursor(self.cursor + direction * max(1, self._view_height()))
        self._at_top(direction)

    def action_first(self) -> None:
        self._move_cursor(0)
        self._at_top(-1)

    def action_open_event(self) -> None:
        if self._rows:
            self.post_message(self.Opened(self, self.job_id, self._keys[self._rows[self.cursor]]))

    def on_focus(self) -> None:
        self.refresh()  # the selected line shows while the log has focus

    def on_blur(self) -> None:
        if self.typing:
            self._end_typing()  # focus went elsewhere (tab, a click): the query stays
        self.refresh()

    def _at_top(self, step: int) -> None:
        """Say so when a key upwards reaches the first line."""
        if step < 0 and self.cursor <= 0 and round(self.scroll_y) <= 0 and self._lines:
            self.post_message(self.ReachedTop(self, self.job_id))

    def action_pan(self, step: int) -> None:
        """Show more of long lines (left/right), a third of the width at a time."""
        width = max(1, self.scrollable_content_region.width)  # _width counts the mark's cell
        x = max(0, min(self.scroll_x + step * max(1, width // 3), self._width - width))
        self.scroll_to(x=x, animate=False, immediate=True, force=True)

    def action_last(self) -> None:
        """The newest line, and follow the tail again (the border says so)."""
        self._cursor = None
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self._set_follow(True)
        self.refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape clears a search here; with none, it is the screen's (clear the job filter).
        # The others always apply while the log has focus: n is a match here, never a new job.
        if action == "clear_search":
            return bool(self.search_query) or self.typing
        return True

    # -- the level filter ----------------------------------------------------------------------

    def action_cycle_level(self) -> None:
        """Every level, then warnings and errors, then errors only, then every level again."""
        names = list(LEVEL_FILTERS)
        self.set_level_filter(names[(names.index(self.level_filter) + 1) % len(names)])

    def set_level_filter(self, name: str) -> None:
        """Show only the levels of ``name`` (a key of ``LEVEL_FILTERS``); the selected event
        stays selected while it is shown (else the one before it), the tail stays followed."""
        if name not in LEVEL_FILTERS or name == self.level_filter:
            return
        keep = None if self._cursor is None or not self._rows else self._rows[self.cursor]
        self.level_filter = name
        self._rows = self._rows_of(0, len(self._lines))
        self._cursor = None
        if keep is not None and self._rows:
            row = bisect_right(self._rows, keep) - 1
            self._cursor = max(0, row) if row < len(self._rows) - 1 else None
        self._search_origin = None
        self._find_matches()
        self._cache.clear()
        self.virtual_size = Size(self._width, len(self._rows))
        self.unseen = 0
        if self.follow:
            self._scroll(y=self.max_scroll_y)
            self.call_after_refresh(self._keep_following)
        elif self._cursor is not None:
            self.call_after_refresh(self._move_cursor, self._cursor)
        self._update_subtitle()
        self.refresh()

    # -- the search ----------------------------------------------------------------------------

    def action_search(self) -> None:
        """Type a query (in the bottom border); typing goes to the nearest match above."""
        self.typing = True
        self._search_origin = self._cursor  # None: the tail
        self._set_query("")

    def action_clear_search(self) -> None:
        self.typing = False
        self._set_query("")

    def action_next_match(self) -> None:
        self._go_to_match(1)

    def action_previous_match(self) -> None:
        self._go_to_match(-1)

    def _go_to_match(self, direction: int) -> None:
        """The next match down (1) or up (-1), round the end; says so when there is none."""
        if not self.search_query:
            self._note = f"no search: {self._key_of('log_search', '/')} first"
            self._update_subtitle()
            return
        if not self._matches:
            return
        cursor = self.cursor
        if direction > 0:
            at = bisect_right(self._matches, cursor)
            row = self._matches[at] if at < len(self._matches) else self._matches[0]
        else:
            at = bisect_left(self._matches, cursor) - 1
            row = self._matches[at] if at >= 0 else self._matches[-1]
        self._show_match(row)

    def _show_match(self, row: int) -> None:
        """Select a match; one above the newest line stops following, so that new events do
        not carry it away (the border counts them; G follows again)."""
        self._move_cursor(row)
        if row < len(self._rows) - 1 and self.follow:
            self._set_follow(False)
        pattern = self._pattern
        found = pattern.search(self._lines[self._rows[row]].plain) if pattern else None
        if found is not None:
            # A long line pans to show the match (and back to its start when it is in view).
            plain = found.string
            start, end = cell_len(plain[: found.start()]), cell_len(plain[: found.end()])
            width = max(1, self._text_width())
            x = round(self.scroll_x)
            if end > x + width or start < x:
                x = 0 if end <= width else max(0, start - width // 3)
                self.scroll_to(x=x, animate=False, immediate=True, force=True)

    def _end_typing(self) -> None:
        self.typing = False
        self._search_origin = None
        if not self.search_query:
            self._set_query("")
        self._update_subtitle()

    def _set_query(self, query: str) -> None:
        """Search for ``query`` (case-insensitive, the whole line as shown); while it is typed
        the cursor goes to the nearest match at or above where the search started."""
        # Typed keys are printable; a paste was cleaned by one_line. A space typed at the end
        # stays (it is part of the next word's query).
        query = query[:QUERY_LIMIT]
        before = self.search_query.lower()
        self.search_query = query
        self._pattern = re.compile(re.escape(query), re.IGNORECASE) if query else None
        # A query that holds the one before (a letter typed) matches only lines that matched.
        self._find_matches(within=bool(before) and before in query.lower())
        self._cache.clear()
        self._note = ""
        if self.typing and self._matches:
            origin = self._search_origin
            origin = len(self._rows) - 1 if origin is None else origin
            at = bisect_right(self._matches, origin) - 1
            self._show_match(self._matches[at] if at >= 0 else self._matches[-1])
        self._update_subtitle()
        self.refresh()

    def _is_match(self, row: int) -> bool:
        needle = self.search_query.lower()
        return bool(needle) and needle in self._lines[self._rows[row]].plain.lower()

    def _find_matches(self, *, within: bool = False) -> None:
        """Every shown row that holds the query, whatever its case (10,000 lines: some 15 ms;
        ``in`` on lower-cased text is twice as fast as a case-blind regular expression, which
        only marks the lines drawn). ``within``: only the rows that matched a query this one
        holds are looked at (the rows themselves unchanged since)."""
        needle = self.search_query.lower()
        if not needle:
            self._matches = []
            return
        lines, rows = self._lines, self._rows
        candidates = self._matches if within else range(len(rows))
        self._matches = [row for row in candidates if needle in lines[rows[row]].plain.lower()]

    def on_key(self, event: events.Key) -> None:
        """While the query is typed, keys are its letters (never the screen's keys)."""
        if not self.typing:
            return
        key = event.key
        if key == "enter":
            self._end_typing()
        elif key == "escape":
            # Cancelled: back where the search started (the tail, followed, if it was there).
            origin = self._search_origin
            self.search_query = ""
            self._end_typing()
            if origin is None:
                self.action_last()
            else:
                self._move_cursor(origin)
        elif key in ("backspace", "ctrl+h"):
            self._set_query(self.search_query[:-1])
        elif key in ("ctrl+u", "ctrl+w"):
            self._set_query("")
        elif event.is_printable and event.character:
            self._set_query(self.search_query + event.character)
        else:
            return  # arrows, tab, ctrl+p: their usual meaning
        event.stop()
        event.prevent_default()

    def on_paste(self, event: events.Paste) -> None:
        if self.typing:
            event.stop()
            self._set_query(self.search_query + one_line(event.text))

    # -- the bottom border ---------------------------------------------------------------------

    def _key_of(self, binding_id: str, default: str) -> str:
        """The first key of a binding as the user's keymap has it, as the footer shows it."""
        keys = self.app._keymap.get(binding_id, default)
        first = keys.split(",")[0].strip()
        return self.app.get_key_display(Binding(first, ""))

    def _update_subtitle(self) -> None:
        """The search, the level filter and whether the tail is followed, in the bottom border;
        set only when its words change (a new border repaints the whole pane)."""
        if not self.is_mounted:
            return
        position = ""
        if self.search_query:
            if not self._matches:
                position = "no match"
            else:
                at = bisect_left(self._matches, self.cursor)
                on_match = at < len(self._matches) and self._matches[at] == self.cursor
                count = len(self._matches)
                position = f"{at + 1}/{count}" if on_match else f"{count} matches"
        key = (
            self.typing,
            self.search_query,
            position,
            self.level_filter,
            bool(self._rows),
            self.follow,
            self.unseen,
            self._note,
        )
        if key == self._subtitle_key:
            return
        self._subtitle_key = key
        subtitle = self._subtitle(position)
        self.border_words = subtitle.plain
        self.border_subtitle = subtitle

    def _subtitle(self, position: str) -> Text:
        parts: list[Text] = []
        if self.typing or self.search_query:
            search = Text("/")
            search.append(self.search_query, Style(bold=True))
            if self.typing:
                search.append(" ", Style(reverse=True))  # where the next letter goes
            if position:
                search.append(f" {position}")
            parts.append(search)
        if self._note:
            parts.append(Text(self._note))
        words = LEVEL_FILTERS[self.level_filter][1]
        if words:
            parts.append(Text(words, self.get_component_rich_style("event-log--marker")))
        if self._rows:
            if self.follow:
                parts.append(Text("following"))
            else:
                tail = self._key_of("last", "G")
                marker = self.get_component_rich_style("event-log--marker")
                if self.unseen:
                    parts.append(Text(f"{self.unseen:,} new ↓ {tail} follow", marker))
                else:
                    parts.append(Text(f"{tail} follow"))
        return Text(" · ").join(parts)

    # -- rendering -----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._subtitle_key = ()
        if self.is_mounted:
            self._update_subtitle()

    @property
    def mark_cells(self) -> int:
        """Cells before the lines: one for :data:`CURSOR_MARK` without colour, else none."""
        return 1 if self.app.no_color else 0

    def _widest(self, lines: Iterable[EventLine]) -> int:
        """The scrollable width ``lines`` need: the longest, and the mark's cell."""
        return max((cell_len(line.plain) for line in lines), default=0) + self.mark_cells

    def _text_width(self) -> int:
        """Cells of the lines' text on screen (the mark's cell is not one of them)."""
        return max(0, self.scrollable_content_region.width - self.mark_cells)

    def render_line(self, y: int) -> Strip:
        strip, selected, base = self._render_line(y)
        if not self.mark_cells:
            return strip
        # The mark's cell stays at the left edge when long lines pan; the line's style.
        mark = Strip([Segment(CURSOR_MARK if selected else " ", base)], 1)
        return Strip.join([mark, strip]).simplify()

    def _render_line(self, y: int) -> tuple[Strip, bool, Style]:
        """The line's text cropped to its cells, whether it is the cursor's, its base style."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self._text_width()
        base = self.rich_style
        if not self._rows:
            if y == 0:
                style = self.get_component_rich_style("event-log--empty")
                words = self.empty_text
                if self._lines:  # all hidden by the level filter
                    key = self._key_of("log_level", "f")
                    words = f"{LEVEL_FILTERS[self.level_filter][2]} ({key}: every level)"
                text = Text(words, style=style)
                return self._crop(self._strip(text), 0, width, base), False, base
            return Strip.blank(width, base), False, base
        if index >= len(self._rows):
            return Strip.blank(width, base), False, base
        line = self._lines[self._rows[index]]
        selected = index == self.cursor and self.has_focus
        cache_key = (index, line, selected, self.search_query)
        strip = self._cache.get(cache_key)
        if strip is None:
            text = self._text(line)
            if selected:
                text.stylize(self.get_component_rich_style("event-log--cursor"))
            if self._pattern is not None:
                match_style = self.get_component_rich_style("event-log--match")
                for found in self._pattern.finditer(text.plain):
                    text.stylize(match_style, found.start(), found.end())
            strip = self._strip(text)
            self._cache[cache_key] = strip
        if selected:
            base = base + self.get_component_rich_style("event-log--cursor")
        return self._crop(strip, scroll_x, width, base), selected, base

    def _text(self, line: EventLine) -> Text:
        # Each space goes with the part before it (spaces look the same in either style): a
        # line is three runs of one style, and each run costs its own colour codes when drawn.
        colour = LEVEL_COLOURS.get(line.level)
        text = Text(no_wrap=True, end="")
        text.append(f"{line.stamp} ", self.get_component_rich_style("event-log--stamp"))
        text.append(f"{line.level:<5} ", Style(color=colour) if colour else Style(dim=True))
        text.append(line.message, Style(color=colour) if line.level == "error" else None)
        return text

    def _strip(self, text: Text) -> Strip:
        text.stylize_before(self.rich_style)
        return Strip(text.render(self.app.console), text.cell_len)

    @staticmethod
    def _crop(strip: Strip, scroll_x: int, width: int, base: Style) -> Strip:
        # The padding has the message's style: one run, not two (fewer bytes per line drawn).
        return strip.crop_extend(scroll_x, scroll_x + width, base).simplify()
