"""The event log of the selected job: oldest first, bounded, following the tail.

A line-API widget that stores each event once as plain cleaned strings (time, level, message) and
renders only the lines on screen, like toolong does: 100,000 events cost their text, not 100,000
rendered lines. New events repaint only the new lines; when the user has scrolled up, the view
stays where it is and only the scrollbar moves. Older events read on request go in at the top
(``prepend``) under the line being read, which stays where it is on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ftmon.monitor.records import ShownEvent
from ftmon.text import one_line
from ftmon.tui.bindings import MOVE_BINDINGS, PAN_BINDINGS
from ftmon.tui.widgets.scrolling import ThumbSync

MAX_LINES = 5000
MESSAGE_LIMIT = 2000

LEVEL_COLOURS = {"error": "red", "warn": "yellow", "warning": "yellow", "debug": "bright_black"}


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
        Binding("enter", "open_event", "event detail", show=False, id="events.open"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-log--stamp",
        "event-log--empty",
        "event-log--cursor",
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
        self._width = 0
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(256)
        self._auto_scroll = False
        #: Whether new events scroll into view; off while the user reads further up.
        self.follow = True
        #: The line the keys move and enter opens; None: the last line (it moves with the tail).
        self._cursor: int | None = None
        self.empty_text = "no job selected"

    @property
    def lines(self) -> list[EventLine]:
        return list(self._lines)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def show_job(
        self, job_id: str | None, events: Iterable[ShownEvent], *, empty: str = ""
    ) -> None:
        """Show another job's events from scratch, following its tail."""
        self.job_id = job_id
        shown = list(events)[-self.max_lines :]
        self._lines = [event_line(e) for e in shown]
        self._keys = [e.dedupe_key for e in shown]
        self._key_set = set(self._keys)
        self._width = max((cell_len(line.plain) for line in self._lines), default=0)
        self.empty_text = empty or ("no events yet" if job_id else "no job selected")
        self._cache.clear()
        self.virtual_size = Size(self._width, len(self._lines))
        self.follow = True
        self._cursor = None
        self._scroll(x=0, y=self.max_scroll_y)
        self.call_after_refresh(self._keep_following)
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
        was_empty = not self._lines
        start = len(self._lines)
        self._lines.extend(new)
        dropped = len(self._lines) - self.max_lines
        if dropped > 0:
            del self._lines[:dropped]
            self._key_set.difference_update(self._keys[:dropped])
            del self._keys[:dropped]
            self._cache.clear()
            start = 0
            if self._cursor is not None:  # the same event stays selected while it is shown
                self._cursor = max(0, self._cursor - dropped)
        elif self._cursor is None and start and self.has_focus:
            start -= 1  # the line the cursor leaves is drawn again too
        self._width = max(self._width, *(cell_len(line.plain) for line in new))
        self._grow(Size(self._width, len(self._lines)))
        if self.follow:
            self._scroll(y=self.max_scroll_y)
            self.call_after_refresh(self._keep_following)
        elif dropped > 0:
            # Keep the lines the user is reading in place as old ones fall off the top.
            self._scroll(y=max(0, self.scroll_y - dropped))
        if was_empty or dropped > 0:
            self.refresh()
        else:
            self.refresh_lines(start, len(self._lines) - start)
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
        if self._cursor is not None:
            self._cursor += len(new)
        self._width = max(self._width, *(cell_len(line.plain) for line in new))
        self._cache.clear()  # cached by index: every line moved
        self._grow(Size(self._width, len(self._lines)))
        self._scroll(y=self.scroll_y + len(new))
        self.refresh()
        return len(new)

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
            self.follow = round(new_value) >= self.max_scroll_y

    def on_resize(self) -> None:
        self._keep_following()

    def _keep_following(self) -> None:
        """Once laid out again (a horizontal scrollbar may have taken a row), show the end."""
        if self.follow and round(self.scroll_y) != self.max_scroll_y:
            self._scroll(y=self.max_scroll_y)

    # -- keys ----------------------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        """The index of the selected line (-1 with no lines)."""
        if not self._lines:
            return -1
        last = len(self._lines) - 1
        return last if self._cursor is None else min(self._cursor, last)

    def _move_cursor(self, index: int) -> None:
        """Select line ``index`` and scroll just enough to show it."""
        if not self._lines:
            return
        last = len(self._lines) - 1
        index = max(0, min(index, last))
        self._cursor = None if index == last else index
        height = max(1, self._view_height())
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True, force=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True, force=True)
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
        if self._lines:
            self.post_message(self.Opened(self, self.job_id, self._keys[self.cursor]))

    def on_focus(self) -> None:
        self.refresh()  # the selected line shows while the log has focus

    def on_blur(self) -> None:
        self.refresh()

    def _at_top(self, step: int) -> None:
        """Say so when a key upwards reaches the first line."""
        if step < 0 and self.cursor <= 0 and round(self.scroll_y) <= 0 and self._lines:
            self.post_message(self.ReachedTop(self, self.job_id))

    def action_pan(self, step: int) -> None:
        """Show more of long lines (left/right), a third of the width at a time."""
        width = max(1, self.scrollable_content_region.width)
        x = max(0, min(self.scroll_x + step * max(1, width // 3), self._width - width))
        self.scroll_to(x=x, animate=False, immediate=True, force=True)

    def action_last(self) -> None:
        self._cursor = None
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self.refresh()

    # -- rendering -----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not self._lines:
            if y == 0:
                style = self.get_component_rich_style("event-log--empty")
                text = Text(self.empty_text, style=style)
                return self._crop(self._strip(text), 0, width, base)
            return Strip.blank(width, base)
        if index >= len(self._lines):
            return Strip.blank(width, base)
        line = self._lines[index]
        selected = index == self.cursor and self.has_focus
        strip = self._cache.get((index, line, selected))
        if strip is None:
            text = self._text(line)
            if selected:
                text.stylize(self.get_component_rich_style("event-log--cursor"))
            strip = self._strip(text)
            self._cache[(index, line, selected)] = strip
        if selected:
            base = base + self.get_component_rich_style("event-log--cursor")
        return self._crop(strip, scroll_x, width, base)

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
