"""Columns that share a width: which are left out, which give way, which grow.

One fitter for every table ftmon draws: the TUI's job list (fixed widths that depend only on the
width of the list, so a value that grows repaints its own row and nothing else) and the headless
tables (widths from their cells). Each step below does nothing to a table it does not concern:

1. optional columns are left out, the least important first, until the rest fit at the widths
   they want (the job list on a narrow terminal; headless columns are never optional);
2. a cell longer than any real value (a 10 KB id from a hostile server: over :data:`LONG`)
   gives way first, down to its column's usual width, so the other rows stay as they were;
3. the columns that have a ``min`` give way, the one with the most room above its minimum first
   (an id cut short is useless to copy: ids have no ``min`` and stay whole);
4. the long cells give way again, down to :data:`CUT_FLOOR`;
5. ``within``: on a terminal too narrow for the rest, every column does, down to one cell, so a
   line never passes the width it was given;
6. spare room is shared out a cell at a time, the most important columns first, up to their
   ``max`` (the job list's columns; a headless column is as wide as its widest cell already).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Wider than any real id, file or project name (an id is some 30 characters): a cell this
#: long gives way before the usual ones do...
LONG = 40
#: ...down to this many cells, before the others give way too.
CUT_FLOOR = 8


@dataclass(frozen=True)
class Column:
    """One column: what it shows, and how it takes part in sharing the width."""

    #: The field it shows (a :class:`~ftmon.present.rows.JobRow` attribute), and its heading
    #: unless ``title`` says otherwise.
    name: str
    title: str | None = None
    #: The narrowest this column gets when others need room; None: cut only when the line could
    #: not fit otherwise (ids, model names to copy).
    min: int | None = None
    #: The width it wants whatever the data (the job list); None: its widest cell.
    pref: int | None = None
    #: The most it grows to when there is room to spare; None: never wider than it wants.
    max: int | None = None
    #: The more important, the later it is left out and the sooner it grows.
    priority: int = 0
    #: May be left out when the rest would not fit otherwise.
    optional: bool = False
    right: bool = False

    @property
    def heading(self) -> str:
        return self.name if self.title is None else self.title


def fit_columns(
    columns: Sequence[Column],
    width: int,
    *,
    gap: int,
    natural: Sequence[int] | None = None,
    usual: Sequence[int] | None = None,
    within: bool = True,
) -> list[tuple[Column, int]]:
    """The columns kept, in display order, with their widths, for ``width`` cells.

    ``natural`` is each column's widest cell (the heading included); without it, each column
    wants its ``pref``. ``usual`` is each column's widest cell of a usual length (at most
    :data:`LONG`; the heading's if none), what a long cell gives way to first. ``gap`` cells
    separate the columns. ``within`` false: no column goes below its ``min`` (step 5 above is
    skipped; the job list's pane crops what passes its edge). Only when every column is down to
    one cell can the gaps alone be too wide.
    """
    wants = list(natural) if natural is not None else [c.pref or 0 for c in columns]
    if usual is None:
        usual = [min(n, LONG) for n in wants]
    chosen = list(range(len(columns)))

    def total(widths: Sequence[int]) -> int:
        return sum(widths[i] for i in chosen) + gap * max(0, len(chosen) - 1)

    while total(wants) > width:
        optional = [i for i in chosen if columns[i].optional]
        if not optional:
            break
        chosen.remove(min(optional, key=lambda i: columns[i].priority))
    widths = list(wants)
    excess = total(widths) - width
    long = [i for i in chosen if wants[i] > LONG]
    excess = _level(widths, long, excess, {i: max(1, usual[i]) for i in long})
    while excess > 0:
        # Take one cell from the column with the most room above its minimum.
        slack = [
            (widths[i] - floor, i)
            for i in chosen
            if (floor := columns[i].min) is not None and widths[i] > floor
        ]
        if not slack:
            break
        _, index = max(slack)
        widths[index] -= 1
        excess -= 1
    excess = _level(widths, long, excess, dict.fromkeys(long, CUT_FLOOR))
    if within:
        excess = _level(widths, chosen, excess, dict.fromkeys(chosen, 1))
    spare = max(0, -excess)
    growing = sorted(chosen, key=lambda i: -columns[i].priority)
    while spare > 0:
        # One cell at a time to each column that may grow, most important first.
        growing = [i for i in growing if widths[i] < (columns[i].max or 0)]
        if not growing:
            break
        for index in growing[:spare]:
            widths[index] += 1
            spare -= 1
    return [(columns[i], widths[i]) for i in chosen]


def _level(widths: list[int], among: Iterable[int], excess: int, floors: dict[int, int]) -> int:
    """Bring the widest of ``among`` down together, none below its floor, until ``excess``
    cells are gone; returns what is still in excess (negative: cells to spare). The rightmost
    give any odd cell."""
    among = list(among)
    while excess > 0:
        live = [i for i in among if widths[i] > floors[i]]
        if not live:
            break
        top = max(widths[i] for i in live)
        widest = [i for i in live if widths[i] == top]
        below = max([widths[i] for i in live if widths[i] < top] + [floors[i] for i in widest])
        room = (top - below) * len(widest)
        if room >= excess:
            cut, extra = divmod(excess, len(widest))
            for rank, index in enumerate(reversed(widest)):
                widths[index] -= cut + (1 if rank < extra else 0)
            return 0
        for index in widest:
            widths[index] = below
        excess -= room
    return excess
