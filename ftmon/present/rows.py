"""A job as one row of the job list, its columns, and the row and the headings as ``Text``.

Pure functions, no Textual: a row is a small frozen value, so the list can tell a row that really
changed (repaint that one line) from one that did not (write nothing to the terminal).
Column widths depend only on the width of the list, never on the data, so a value that grows
(``—`` becoming ``120/900 13%``) repaints its own row and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from ftmon.api.models import FineTuningJob
from ftmon.monitor.series import MetricSeries
from ftmon.present.columns import Column
from ftmon.present.fields import (
    Progress,
    job_eta,
    job_progress,
    status_style,
    status_text,
    status_word,
)
from ftmon.text import age, end_cut, middle_cut, one_line, short_model


@dataclass(frozen=True)
class JobRow:
    """What one job's row shows, already cleaned of anything unsafe."""

    job_id: str
    glyph: str
    colour: str
    status: str
    #: The status in at most 10 cells (the list's column).
    word: str
    id: str
    model: str
    suffix: str
    progress: str
    eta: str
    age: str
    #: The progress where ``120/900 13%`` has no room: ``13%``.
    progress_short: str = ""
    #: How far along, 0 to 1 (the progress sort); None when unknown.
    fraction: float | None = None
    #: The doctor's flag in the ``eta`` column (``!stall``, ``!queue``), ``""`` when none.
    flag: str = ""

    def cell(self, name: str) -> str:
        return str(getattr(self, name))


def progress_text(job: FineTuningJob, series: MetricSeries | None) -> str:
    """A job's progress as the job list and ``ftmon jobs`` both show it: ``120/900 13%``.

    ``series`` is what is known of its metrics: all of them (the job the TUI loaded), or its
    newest events only (:func:`ftmon.monitor.reads.recent_series`, what the engine reads of
    any other job it shows and ``ftmon jobs`` of each job): both end at the same step, so
    both front ends show the same words. A succeeded job whose total is not known counts its
    last step as the total (``30/30 100%``), and is ``100%`` when no step is known; ``—``
    when nothing is.
    """
    progress = job_progress(job, series)
    if job.status_key == "succeeded":
        if progress.step is None:
            return "100%"
        if not progress.total:
            progress = Progress(progress.step, progress.step)
    return progress.describe()


def _short_progress(progress: str, fraction: float | None) -> str:
    """``13%`` of ``120/900 13%``; a bare step or ``—`` as they are."""
    if fraction is not None and progress.endswith("%"):
        return progress.rsplit(" ", 1)[-1]
    return progress


def job_row(job: FineTuningJob, series: MetricSeries | None, now: float, flag: str = "") -> JobRow:
    """The row for ``job`` at time ``now``; ``series`` gives the progress when it is loaded;
    ``flag`` is the doctor's marker (:func:`ftmon.present.doctor.list_mark`), shown in place of
    the ETA."""
    glyph, colour = status_style(job.status)
    progress = progress_text(job, series)
    known = job_progress(job, series)
    fraction = known.fraction
    if fraction is None and job.status_key == "succeeded":
        fraction = 1.0
    return JobRow(
        job_id=job.id,
        glyph=glyph,
        colour=colour,
        status=status_text(job.status),
        word=status_word(job.status),
        id=one_line(job.id, width=80),
        model=one_line(job.model, width=80) or "—",
        suffix=one_line(job.display_suffix, width=80) or "",
        progress=progress,
        progress_short=_short_progress(progress, fraction),
        fraction=fraction,
        eta=flag or job_eta(job, now),
        age=age(job.created_at, now),
        flag=flag,
    )


#: The job list's columns, in display order. Widths come from :func:`list_layout`; ``pref`` is
#: a column's richest width, ``min`` its narrowest form (a status as its glyph alone, an id cut in
#: the middle, progress as a percentage), ``max`` how far it grows on a wide list.
COLUMNS: tuple[Column, ...] = (
    Column("status", min=1, pref=12, max=12, priority=80),
    Column("id", min=16, pref=30, max=38, priority=100),
    Column("model", min=12, pref=23, max=23, priority=40, optional=True),
    Column("suffix", min=8, pref=16, max=24, priority=50, optional=True),
    Column("progress", min=4, pref=14, max=14, priority=70, optional=True, right=True),
    Column("eta", min=6, pref=6, max=6, priority=35, optional=True, right=True),
    Column("age", min=4, pref=4, max=4, priority=30, optional=True, right=True),
)
_BY_NAME = {column.name: column for column in COLUMNS}
#: The layouts tried, richest first: the first whose columns fit is taken, then the room left is
#: shared out (:data:`GROWTH`). Each is chosen for a size: 95 cells (a 160-column terminal's
#: list) keeps the model's name, 77 (80x24, and 120x36's list) the status word, the whole id and
#: the suffix; only below 71 cells does the status become its glyph, and below 58 the id is cut
#: in its middle. An id is never cut at its end, a progress never cut at all (it shows as a
#: percentage where ``120/900 13%`` has no room), a model name loses its date before it is cut.
LADDER: tuple[tuple[tuple[str, int], ...], ...] = (
    (
        ("status", 12),
        ("id", 30),
        ("model", 23),
        ("suffix", 16),
        ("progress", 14),
        ("eta", 6),
        ("age", 4),
    ),
    (
        ("status", 12),
        ("id", 30),
        ("model", 12),
        ("suffix", 16),
        ("progress", 14),
        ("eta", 6),
        ("age", 4),
    ),
    (
        ("status", 12),
        ("id", 30),
        ("model", 12),
        ("suffix", 10),
        ("progress", 14),
        ("eta", 6),
        ("age", 4),
    ),
    (("status", 12), ("id", 30), ("suffix", 10), ("progress", 14), ("eta", 6), ("age", 4)),
    (("status", 12), ("id", 30), ("suffix", 10), ("progress", 4), ("eta", 6), ("age", 4)),
    (("status", 1), ("id", 30), ("suffix", 8), ("progress", 4), ("eta", 6), ("age", 4)),
    (("status", 1), ("id", 16), ("suffix", 8), ("progress", 4), ("eta", 6), ("age", 4)),
    (("status", 1), ("id", 16), ("progress", 4), ("age", 4)),
    (("status", 1), ("id", 16)),
)
#: Where spare room goes, in turn: each column up to its width here.
GROWTH: tuple[tuple[str, int], ...] = (
    ("suffix", 20),
    ("model", 23),
    ("suffix", 24),
    ("id", 38),
    ("suffix", 40),
)
GAP = 1
#: The doctor's marker in a row: it must stand out from an ETA.
FLAG_STYLE = Style(color="yellow", bold=True, reverse=True)
#: The sort orders of the job list, and the column whose heading shows each.
SORT_COLUMNS = {"created": "age", "status": "status", "progress": "progress", "eta": "eta"}
#: Drawn after the heading of the column the list is sorted by.
SORT_MARK = "▾"


def _span(widths: Sequence[tuple[str, int]]) -> int:
    return sum(width for _, width in widths) + GAP * max(0, len(widths) - 1)


def list_layout(width: int) -> list[tuple[Column, int]]:
    """The job list's columns for a list ``width`` cells wide, with their widths.

    The richest layout of :data:`LADDER` that fits is taken and the spare room shared out by
    :data:`GROWTH`; a width too small for the last one cuts the id further (in its middle,
    never below a few cells). Widths depend only on ``width``, never on the data.
    """
    chosen = LADDER[-1]
    for layout in LADDER:
        if _span(layout) <= width:
            chosen = layout
            break
    widths = dict(chosen)
    spare = width - _span(chosen)
    if spare < 0:
        widths["id"] = max(6, widths["id"] + spare)
    for name, most in GROWTH:
        if name in widths and spare > 0:
            grow = min(spare, max(0, most - widths[name]))
            widths[name] += grow
            spare -= grow
    return [(_BY_NAME[name], widths[name]) for name, _ in chosen]


def _pad(text: str, width: int, right: bool) -> str:
    pad = max(0, width - cell_len(text))
    return (" " * pad + text) if right else (text + " " * pad)


def cell_text(row: JobRow, name: str, width: int) -> str:
    """What a row shows in a column ``width`` cells wide, in the best form that fits: the
    status as glyph and word or the glyph alone, the id cut in its middle, the model without
    its date, the progress as a percentage; other text cut at its end with ``…``."""
    if name == "status":
        word = f"{row.glyph} {row.word}"
        return word if cell_len(word) <= width else row.glyph
    if name == "id":
        return middle_cut(row.id, width)
    if name == "model":
        if cell_len(row.model) <= width:
            return row.model
        return end_cut(short_model(row.model), width)
    if name == "progress":
        if cell_len(row.progress) <= width:
            return row.progress
        return end_cut(row.progress_short, width)
    return end_cut(row.cell(name), width)


def render_row(row: JobRow, layout: Sequence[tuple[Column, int]]) -> Text:
    """One row as plain ``Text`` (never markup); the status glyph and word in their colour."""
    text = Text(no_wrap=True, end="")
    colour = Style(color=row.colour)
    for index, (column, width) in enumerate(layout):
        if index:
            text.append(" " * GAP)
        cell = _pad(cell_text(row, column.name, width), width, column.right)
        if column.name == "status":
            text.append(cell, colour)
        elif column.name == "eta" and row.flag:
            text.append(cell, FLAG_STYLE)
        elif column.name in ("eta", "age", "model") and cell.strip():
            text.append(cell, Style(dim=column.name != "model"))
        else:
            text.append(cell)
    return text


def heading(column: Column, width: int, *, sort: str | None = None) -> str:
    """A column's heading in ``width`` cells, with :data:`SORT_MARK` when the list is sorted
    by it; the progress column's short form is headed ``%``."""
    title = column.heading
    if column.name == "progress" and width < len("progress"):
        title = "%"
    elif column.name == "status" and width < len("status"):
        title = "s"
    if sort is not None and SORT_COLUMNS.get(sort) == column.name:
        title = title + SORT_MARK if cell_len(title) < width else SORT_MARK
    return end_cut(title, width)


def render_header(layout: Sequence[tuple[Column, int]], *, sort: str | None = None) -> Text:
    """The column headings for ``layout``; the sorted column's marked."""
    text = Text(no_wrap=True, end="", style=Style(bold=True, dim=True))
    for index, (column, width) in enumerate(layout):
        if index:
            text.append(" " * GAP)
        text.append(_pad(heading(column, width, sort=sort), width, column.right))
    return text
