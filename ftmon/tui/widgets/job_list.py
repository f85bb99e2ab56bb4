"""The job list: a line-API widget that repaints only the rows that changed.

Textual's ``DataTable`` repaints every visible row when one cell changes; a monitor left open for
days over SSH would re-send the whole table on every poll. Here each row is a frozen
:class:`~ftmon.tui.rows.JobRow`; when the engine reports a job, its row is rebuilt and, only if it
differs, that one line is refreshed. Rows are plain cleaned strings rendered as ``Text``, so API
text is never parsed as markup.

Jobs can be marked (``m``) to compare them: the mark takes the blank cell after the status glyph,
so marking repaints that one row and the columns never move.

Without colour (``NO_COLOR``) every row, and the headings, start with one cell more: the cursor's
row has :data:`CURSOR_MARK` there. Reversed and bold, the cursor is lost on a terminal that drops
attributes (a serial console, a log of the session); the mark is a character and survives. With
colour that cell is not there: the columns are where they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ftmon.api.models import FineTuningJob
from ftmon.present.columns import Column
from ftmon.present.rows import JobRow, list_layout, render_header, render_row
from ftmon.present.sorting import SORTS, sort_ids
from ftmon.tui.bindings import MOVE_BINDINGS
from ftmon.tui.filtering import matches
from ftmon.tui.widgets.scrolling import ThumbSync

#: Rows from the end at which the list asks for older jobs.
NEAR_END = 5
#: Drawn after the status glyph of a job marked for comparison.
MARK = "•"
#: Without colour, drawn in the cell before the cursor's row, and the event log's cursor line
#: (ASCII: the same character).
CURSOR_MARK = ">"

RowBuilder = Callable[[FineTuningJob], JobRow]


class JobList(ThumbSync, ScrollView, can_focus=True):
    """Jobs newest first, with a cursor; the cursor's job is the one the other panes show."""

    BINDINGS: ClassVar[list[BindingType]] = list(MOVE_BINDINGS)
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-list--cursor",
        "job-list--cursor-blurred",
        "job-list--empty",
        "job-list--mark",
        "job-list--recent",
    }
    DEFAULT_CSS = """
    JobList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .job-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
        & > .job-list--cursor-blurred { background: $block-cursor-blurred-background; }
        & > .job-list--empty { color: $text-muted; text-style: italic; }
        & > .job-list--mark { color: $accent; text-style: bold; }
        & > .job-list--recent { background: $success-muted; }
    }
    """  # noqa: E501

    class Highlighted(Message):
        """The cursor now rests on another job (or on none)."""

        def __init__(self, job_id: str | None, *, by_user: bool = False) -> None:
            super().__init__()
            self.job_id = job_id
            #: True when a key moved the cursor, False when the list changed under it.
            self.by_user = by_user

    class NearEnd(Message):
        """The cursor is close to the last row: time to load older jobs."""

    def __init__(self, row_for: RowBuilder, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._row_for = row_for
        self._jobs: dict[str, FineTuningJob] = {}
        self._order: list[str] = []
        self._visible: list[str] = []
        self._position: dict[str, int] = {}
        self._rows: dict[str, JobRow] = {}
        self._stale: set[str] = set()
        self._query = ""
        #: The order the rows are shown in (:data:`~ftmon.present.sorting.SORTS`).
        self.sort = SORTS[0]
        self._cursor = 0
        #: Jobs marked for comparison, in the order they were marked.
        self._marked: dict[str, None] = {}
        #: Jobs that finished a moment ago (``mark_recent``), drawn highlighted.
        self._recent: set[str] = set()
        self._announced: str | None = None
        self._layout: list[tuple[Column, int]] = []
        self._layout_width = -1
        self.header: JobListHeader | None = None
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(512)
        self.loaded = False
        self.empty_text = "loading jobs…"

    # -- reading -----------------------------------------------------------------------------

    @property
    def selected_id(self) -> str | None:
        if 0 <= self._cursor < len(self._visible):
            return self._visible[self._cursor]
        return None

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def visible_ids(self) -> Sequence[str]:
        return tuple(self._visible)

    @property
    def total(self) -> int:
        return len(self._order)

    @property
    def query_text(self) -> str:
        return self._query

    @property
    def marked_ids(self) -> tuple[str, ...]:
        """Jobs marked for comparison, in the order they were marked (filtered out or not)."""
        return tuple(self._marked)

    def is_marked(self, job_id: str) -> bool:
        return job_id in self._marked

    def row(self, job_id: str) -> JobRow | None:
        return self._fresh_row(job_id) if job_id in self._jobs else None

    def _fresh_row(self, job_id: str) -> JobRow:
        if job_id in self._stale:
            self._stale.discard(job_id)
            self._rows[job_id] = self._row_for(self._jobs[job_id])
        return self._rows[job_id]

    def row_text(self, job_id: str) -> str:
        """The row as the user reads it (for tests and the copy action)."""
        row = self._rows.get(job_id)
        if row is None:
            return ""
        return self._row_text(row, self.current_layout(), job_id in self._marked).plain

    def _row_text(self, row: JobRow, layout: list[tuple[Column, int]], marked: bool) -> Text:
        text = render_row(row, layout)
        if marked and len(text) > 1:
            mark = Text(MARK, self.get_component_rich_style("job-list--mark", partial=True))
            text = text[:1] + mark + text[2:]
        return text

    # -- feeding -----------------------------------------------------------------------------

    def set_jobs(self, jobs: Iterable[FineTuningJob]) -> None:
        """Replace the whole list (jobs were added); the cursor stays on its job.

        Rows of jobs already shown and unchanged (the same object) are kept: an older page of
        a long list builds only its own rows, not every row again (74 ms at 10,000 jobs).
        """
        keep = self.selected_id
        jobs = list(jobs)
        old_jobs, old_rows = self._jobs, self._rows
        self._jobs = {job.id: job for job in jobs}
        self._order = [job.id for job in jobs]
        self._rows = {}
        for job in jobs:
            row = old_rows.get(job.id) if old_jobs.get(job.id) is job else None
            self._rows[job.id] = row if row is not None else self._row_for(job)
        # A kept row may still be waiting for its age to be redrawn; a new one is current.
        self._stale = {
            i for i in self._stale if i in self._jobs and old_jobs.get(i) is self._jobs[i]
        }
        self.loaded = True
        self._refilter(keep)

    def update_jobs(self, jobs: Iterable[FineTuningJob]) -> None:
        """Jobs changed: repaint only the rows whose text differs."""
        refilter = False
        for job in jobs:
            if job.id not in self._jobs:
                self._order.append(job.id)
                refilter = True
            elif self._query and matches(self._jobs[job.id], self._query) != matches(
                job, self._query
            ):
                refilter = True
            self._jobs[job.id] = job
            self._set_row(job.id, self._row_for(job))
        if refilter:
            self._refilter(self.selected_id)
        else:
            self._resort()

    def refresh_rows(self, job_ids: Iterable[str] | None = None) -> int:
        """Rebuild rows (ages, ETAs, progress moved on); returns how many lines were repainted.

        With no ids (time moved on for every row) only the rows on screen are rebuilt now; the
        others are marked stale and rebuilt when they scroll into view, so 10,000 loaded jobs
        cost no more than a screenful.
        """
        if job_ids is None:
            top = round(self.scroll_y)
            on_screen = self._visible[top : top + max(1, self.scrollable_content_region.height)]
            self._stale = set(self._order).difference(on_screen)
            ids = list(on_screen)
        else:
            ids = list(job_ids)
        changed = sum(
            self._set_row(i, self._row_for(self._jobs[i])) for i in ids if i in self._jobs
        )
        if changed:
            self._resort()
        return changed

    def _set_row(self, job_id: str, row: JobRow) -> bool:
        self._stale.discard(job_id)
        if self._rows.get(job_id) == row:
            return False
        self._rows[job_id] = row
        position = self._position.get(job_id)
        if position is not None:
            self.refresh_line(position)
        return position is not None

    def set_filter(self, query: str) -> None:
        if query == self._query:
            return
        self._query = query
        self._refilter(self.selected_id)

    def _refilter(self, keep: str | None) -> None:
        query = self._query
        shown = [i for i in self._order if not query or matches(self._jobs[i], query)]
        self._visible = self._sorted(shown)
        self._position = {job_id: index for index, job_id in enumerate(self._visible)}
        self._cursor = self._position.get(keep, 0) if keep is not None else 0
        self._cursor = min(self._cursor, max(0, len(self._visible) - 1))
        self.virtual_size = Size(self._content_width(), len(self._visible))
        self._cache.clear()
        self.refresh()
        self._scroll_to_cursor()
        self._announce()

    # -- sorting -----------------------------------------------------------------------------

    def _sorted(self, ids: list[str]) -> list[str]:
        if self.sort == SORTS[0]:
            return ids  # newest first, as the API lists them
        # The rows as held: one only waiting for its age to be redrawn has its progress right,
        # so a sort never rebuilds the rows of 10,000 jobs.
        return sort_ids(ids, self.sort, self._jobs, self._rows.__getitem__)

    def cycle_sort(self) -> str:
        """Sort by the next order (created, status, progress, ETA); the cursor stays on its
        job. Returns the new order's name."""
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._refilter(self.selected_id)
        if self.header is not None:
            self.header.refresh()
        return self.sort

    def _resort(self) -> None:
        """Rows changed under a sort by status, progress or ETA: move them if their order did
        (only then is the list repainted)."""
        if self.sort == SORTS[0]:
            return
        order = self._sorted(list(self._visible))
        if order != self._visible:
            self._refilter(self.selected_id)

    # -- marks -------------------------------------------------------------------------------

    def toggle_mark(self, job_id: str) -> bool:
        """Mark ``job_id`` or take its mark away; True when it is now marked. One row repaints."""
        if job_id in self._marked:
            del self._marked[job_id]
        elif job_id in self._jobs:
            self._marked[job_id] = None
        position = self._position.get(job_id)
        if position is not None:
            self.refresh_line(position)
        return job_id in self._marked

    def mark_recent(self, job_id: str, recent: bool) -> None:
        """Highlight a job that just finished, or stop; its one row repaints."""
        if recent == (job_id in self._recent):
            return
        if recent:
            self._recent.add(job_id)
        else:
            self._recent.discard(job_id)
        position = self._position.get(job_id)
        if position is not None:
            self.refresh_line(position)

    def is_recent(self, job_id: str) -> bool:
        return job_id in self._recent

    # -- cursor ------------------------------------------------------------------------------

    def select_job(self, job_id: str) -> bool:
        """Put the cursor on ``job_id`` if it is shown; True when it is."""
        position = self._position.get(job_id)
        if position is None:
            return False
        self._move_to(position, by_user=False)
        return True

    def _move_to(self, index: int, *, by_user: bool = True) -> None:
        if not self._visible:
            return
        index = max(0, min(index, len(self._visible) - 1))
        old = self._cursor
        self._cursor = index
        if old != index:
            self.refresh_line(old)
            self.refresh_line(index)
        self._scroll_to_cursor()
        self._announce(by_user=by_user)

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True, force=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False, immediate=True, force=True)

    def _announce(self, *, by_user: bool = False) -> None:
        selected = self.selected_id
        if selected != self._announced:
            self._announced = selected
            self.post_message(self.Highlighted(selected, by_user=by_user))
        if self._visible and self._cursor >= len(self._visible) - NEAR_END:
            self.post_message(self.NearEnd())

    def action_move(self, step: int) -> None:
        self._move_to(self._cursor + step)

    def action_page(self, direction: int) -> None:
        self._move_to(self._cursor + direction * max(1, self.scrollable_content_region.height))

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self._visible) - 1)

    def on_focus(self) -> None:
        self.refresh_line(self._cursor)

    def on_blur(self) -> None:
        self.refresh_line(self._cursor)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    # -- rendering ---------------------------------------------------------------------------

    def _content_width(self) -> int:
        return max(0, self.scrollable_content_region.width)

    @property
    def mark_cells(self) -> int:
        """Cells before the columns: one for :data:`CURSOR_MARK` without colour, else none."""
        return 1 if self.app.no_color else 0

    def current_layout(self) -> list[tuple[Column, int]]:
        """The columns fitted to the width the rows have now (the scrollbar takes a cell, and
        without colour the cursor's mark one more)."""
        width = max(0, self._content_width() - self.mark_cells)
        if width != self._layout_width:
            self._layout_width = width
            self._layout = list_layout(width)
            self._cache.clear()
            if self.header is not None:
                self.header.refresh()
        return self._layout

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self._content_width()
        layout = self.current_layout()
        base = self.rich_style
        if not self._visible:
            if y == 0:
                message = self.empty_text if not self.loaded else self._empty_message()
                style = self.get_component_rich_style("job-list--empty")
                text = Text(message, style=style, no_wrap=True, end="")
                return self._strip(text, width, base)
            return Strip.blank(width, base)
        if index >= len(self._visible):
            return Strip.blank(width, base)
        job_id = self._visible[index]
        row = self._fresh_row(job_id)
        cursor = index == self._cursor
        marked = job_id in self._marked
        recent = job_id in self._recent
        key = (row, width, cursor, cursor and self.has_focus, marked, recent)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        text = self._row_text(row, layout, marked)
        if self.mark_cells:
            # In the glyph's style: one run with it, not one more style change on the line.
            mark = Text(CURSOR_MARK if cursor else " ", Style(color=row.colour), end="")
            text = mark + text
        if recent and not cursor:
            text.stylize(self.get_component_rich_style("job-list--recent"))
        if cursor:
            component = "job-list--cursor" if self.has_focus else "job-list--cursor-blurred"
            text.stylize(self.get_component_rich_style(component))
        strip = self._strip(text, width, base)
        if self.mark_cells:
            strip = strip.simplify()
        self._cache[key] = strip
        return strip

    def _empty_message(self) -> str:
        if self._order and self._query:
            return "no job matches the filter (esc clears it)"
        return "no fine-tuning jobs"

    def _strip(self, text: Text, width: int, base: Style) -> Strip:
        text.truncate(width, overflow="ellipsis", pad=True)
        text.stylize_before(base)
        return Strip(text.render(self.app.console), width).crop_extend(0, width, base)


class JobListHeader(Widget):
    """The column headings, drawn from the list's own layout so the two always line up."""

    DEFAULT_CSS = """
    JobListHeader { height: 1; color: $text-muted; }
    """

    def __init__(self, job_list: JobList, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.job_list = job_list
        job_list.header = self

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y:
            return Strip.blank(width, base)
        text = render_header(self.job_list.current_layout(), sort=self.job_list.sort)
        if self.job_list.mark_cells:
            text = Text(" " * self.job_list.mark_cells, style=text.style, end="") + text
        text.truncate(width, pad=True)
        text.stylize_before(base)
        return Strip(text.render(self.app.console), width).crop_extend(0, width, base)
