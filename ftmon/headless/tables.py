"""Plain column tables that fit a width: the widest flexible columns give way first.

Rich's own Table shrinks every column when short of room, ids included; an id cut short is
useless to copy, so here only columns that say they may shrink do, down to their minimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

GAP = 2


@dataclass(frozen=True)
class Column:
    header: str
    #: The narrowest this column may get; None: never cut (ids, model names to copy).
    min_width: int | None = None
    align: str = "left"


def fit_widths(natural: Sequence[int], columns: Sequence[Column], width: int) -> list[int]:
    """Column widths summing (with gaps) to at most ``width`` where the minimums allow."""
    widths = list(natural)
    excess = sum(widths) + GAP * (len(widths) - 1) - width
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
    return widths


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
    widths = fit_widths(natural, columns, width)
    return [_line(headers, columns, widths)] + [_line(row, columns, widths) for row in rows]


def _line(cells: Sequence[Text], columns: Sequence[Column], widths: Sequence[int]) -> Text:
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
    return line
