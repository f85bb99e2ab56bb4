"""Plain column tables that fit a width: the widest flexible columns give way first.

Rich's own Table shrinks every column when short of room, ids included; an id cut short is
useless to copy, so columns that say they may shrink do so, down to their minimum. Only a cell
longer than any real value (a 10 KB id from a hostile server) gives way before them, and on a
terminal too narrow for the rest every column does: a line never passes the width it was given.
The widths come from :func:`ftmon.present.columns.fit_columns`, the job list's fitter too.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from ftmon.present.columns import LONG, Column, fit_columns

GAP = 2


def render(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Text]],
    width: int,
    *,
    header_style: str = "bold",
) -> list[Text]:
    """The header line and one line per row, each cell cut with an ellipsis to fit."""
    headers = [Text(c.heading, style=header_style) for c in columns]
    natural = [max([h.cell_len] + [row[i].cell_len for row in rows]) for i, h in enumerate(headers)]
    usual = [
        max([h.cell_len] + [row[i].cell_len for row in rows if row[i].cell_len <= LONG])
        for i, h in enumerate(headers)
    ]
    layout = fit_columns(columns, width, gap=GAP, natural=natural, usual=usual)
    widths = [cell_width for _, cell_width in layout]
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
        if column.right:
            text = Text(" " * pad) + text
        else:
            text.append(" " * pad)
        parts.append(text)
    line = Text(" " * GAP).join(parts)
    line.rstrip()
    if line.cell_len > max(1, total):  # more columns than the width has cells for
        line.truncate(max(1, total), overflow="ellipsis")
    return line
