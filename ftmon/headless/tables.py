"""Plain column tables that fit a width: the widest flexible columns give way first.

Rich's own Table shrinks every column when short of room, ids included; an id cut short is
useless to copy, so columns that say they may shrink do so, down to their minimum. Only a cell
longer than any real value (a 10 KB id from a hostile server) gives way before them, and on a
terminal too narrow for the rest every column does: a line never passes the width it was given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text

GAP = 2
#: Wider than any real id, file or project name (an id is some 30 characters): a cell this
#: long gives way before the usual ones do...
LONG = 40
#: ...down to this many cells, before the others give way too.
CUT_FLOOR = 8


@dataclass(frozen=True)
class Column:
    header: str
    #: The narrowest this column may get when others need room; None: cut only when the line
    #: could not fit otherwise (ids, model names to copy).
    min_width: int | None = None
    align: str = "left"


def fit_widths(
    natural: Sequence[int],
    columns: Sequence[Column],
    width: int,
    usual: Sequence[int] | None = None,
) -> list[int]:
    """Column widths summing (with gaps) to at most ``width`` where that can be done.

    ``usual`` is each column's widest cell of a usual length (at most :data:`LONG`; the
    header's if none). Cells longer than that (a 10 KB id from a hostile server) give way
    first, down to the usual width, so the other rows stay as they were; then the flexible
    columns, down to their minimums; then the long ones, down to :data:`CUT_FLOOR`; then, on a
    narrow terminal, the widest columns of any kind. Only when every column is down to one
    cell can the gaps alone be too wide (:func:`render` cuts the line then).
    """
    widths = list(natural)
    if usual is None:
        usual = [min(n, LONG) for n in natural]
    excess = sum(widths) + GAP * (len(widths) - 1) - width
    long = [i for i, n in enumerate(natural) if n > LONG]
    excess = _level(widths, long, excess, {i: max(1, usual[i]) for i in long})
    while excess > 0:
        # Take one cell from the column with the most room above its minimum.
        slack = [
            (widths[i] - c.min_width, i)
            for i, c in enumerate(columns)
            if c.min_width is not None and widths[i] > c.min_width
        ]
        if not slack:
            break
        _, index = max(slack)
        widths[index] -= 1
        excess -= 1
    excess = _level(widths, long, excess, dict.fromkeys(long, CUT_FLOOR))
    _level(widths, range(len(widths)), excess, dict.fromkeys(range(len(widths)), 1))
    return widths


def _level(widths: list[int], among: Iterable[int], excess: int, floors: dict[int, int]) -> int:
    """Bring the widest of ``among`` down together, none below its floor, until ``excess``
    cells are gone; returns what is still in excess. The rightmost give any odd cell."""
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
    return max(0, excess)


def render(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Text]],
    width: int,
    *,
    header_style: str = "bold",
) -> list[Text]:
    """The header line and one line per row, each cell cut with an ellipsis to fit."""
    headers = [Text(c.header, style=header_style) for c in columns]
    natural = [max([h.cell_len] + [row[i].cell_len for row in rows]) for i, h in enumerate(headers)]
    usual = [
        max([h.cell_len] + [row[i].cell_len for row in rows if row[i].cell_len <= LONG])
        for i, h in enumerate(headers)
    ]
    widths = fit_widths(natural, columns, width, usual)
    return [_line(headers, columns, widths, width)] + [
        _line(row, columns, widths, width) for row in rows
    ]


def _line(
    cells: Sequence[Text], columns: Sequence[Column], widths: Sequence[int], total: int
) -> Text:
    parts: list[Text] = []
    for cell, column, width in zip(cells, columns, widths, strict=True):
        text = cell.copy()
        if text.cell_len > width:
            text.truncate(width, overflow="ellipsis")
        pad = width - text.cell_len
        if column.align == "right":
            text = Text(" " * pad) + text
        else:
            text.append(" " * pad)
        parts.append(text)
    line = Text(" " * GAP).join(parts)
    line.rstrip()
    if line.cell_len > max(1, total):  # more columns than the width has cells for
        line.truncate(max(1, total), overflow="ellipsis")
    return line
