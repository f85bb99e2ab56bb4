"""A job as one row of the job list, its columns, and the row and the headings as ``Text``.

Pure functions, no Textual: a row is a small frozen value, so the list can tell a row that really
changed (repaint that one line) from one that did not (write nothing to the terminal).
Column widths depend only on the width of the list, never on the data, so a value that grows
(``—`` becoming ``120/900 13%``) repaints its own row and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from ftmon.api.models import FineTuningJob
from ftmon.monitor.series import MetricSeries
from ftmon.present.columns import Column, fit_columns
from ftmon.present.fields import Progress, job_eta, job_progress, status_style, status_text
from ftmon.text import age, one_line


@dataclass(frozen=True)
class JobRow:
    """What one job's row shows, already cleaned of anything unsafe."""

    job_id: str
    glyph: str
    colour: str
    status: str
    id: str
    model: str
    suffix: str
    progress: str
    eta: str
    age: str
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


def job_row(job: FineTuningJob, series: MetricSeries | None, now: float, flag: str = "") -> JobRow:
    """The row for ``job`` at time ``now``; ``series`` gives the progress when it is loaded;
    ``flag`` is the doctor's marker (:func:`ftmon.present.doctor.list_mark`), shown in place of
    the ETA."""
    glyph, colour = status_style(job.status)
    return JobRow(
        job_id=job.id,
        glyph=glyph,
        colour=colour,
        status=status_text(job.status),
        id=one_line(job.id, width=80),
        model=one_line(job.model, width=80) or "—",
        suffix=one_line(job.display_suffix, width=80) or "",
        progress=progress_text(job, series),
        eta=flag or job_eta(job, now),
        age=age(job.created_at, now),
        flag=flag,
    )


#: The job list's columns: fixed widths (least, preferred, most), so they depend only on the width
#: of the list; the least important are left out first (the glyph and the id always stay).
COLUMNS: tuple[Column, ...] = (
    Column("glyph", "", min=1, pref=1, max=1, priority=100),
    Column("status", min=7, pref=9, max=16, priority=25, optional=True),
    Column("id", min=10, pref=18, max=30, priority=90),
    Column("model", min=6, pref=12, max=24, priority=60, optional=True),
    Column("suffix", min=6, pref=10, max=24, priority=55, optional=True),
    Column("progress", min=7, pref=13, max=13, priority=70, optional=True, right=True),
    Column("eta", min=5, pref=6, max=6, priority=35, optional=True, right=True),
    Column("age", min=3, pref=4, max=4, priority=30, optional=True, right=True),
)
GAP = 1
#: The doctor's marker in a row: it must stand out from an ETA.
FLAG_STYLE = Style(color="yellow", bold=True, reverse=True)


def list_layout(width: int) -> list[tuple[Column, int]]:
    """The job list's columns that fit in ``width`` cells, with their widths, in display order.

    The least important columns are left out until the rest fit at their preferred widths;
    spare room is then shared out a cell at a time, the most important columns first, up to
    their ``max``. A width too small even for the glyph and the id shrinks the id towards its
    ``min`` (:func:`~ftmon.present.columns.fit_columns`, which every headless table uses too).
    """
    return fit_columns(COLUMNS, width, gap=GAP, within=False)


def _fit(text: str, width: int, right: bool) -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` cells."""
    if cell_len(text) > width:
        text = set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""
    pad = width - cell_len(text)
    return (" " * pad + text) if right else (text + " " * pad)


def render_row(row: JobRow, layout: Sequence[tuple[Column, int]]) -> Text:
    """One row as plain ``Text`` (never markup); the status glyph and word in their colour."""
    text = Text(no_wrap=True, end="")
    colour = Style(color=row.colour)
    for index, (column, width) in enumerate(layout):
        if index:
            text.append(" " * GAP)
        cell = _fit(row.cell(column.name), width, column.right)
        if column.name in ("glyph", "status"):
            text.append(cell, colour)
        elif column.name == "eta" and row.flag:
            text.append(cell, FLAG_STYLE)
        elif column.name in ("eta", "age", "model") and cell.strip():
            text.append(cell, Style(dim=column.name != "model"))
        else:
            text.append(cell)
    return text


def render_header(layout: Sequence[tuple[Column, int]]) -> Text:
    """The column headings for ``layout``."""
    text = Text(no_wrap=True, end="", style=Style(bold=True, dim=True))
    for index, (column, width) in enumerate(layout):
        if index:
            text.append(" " * GAP)
        text.append(_fit(column.heading, width, column.right))
    return text
