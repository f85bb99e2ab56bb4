"""The checkpoints of the selected job: step, model name and every metric present.

Laid out for the pane: the metrics in columns when they fit, else under each name (a row two or
three lines high); a name is cut only in its middle, so ``ckpt-step-N`` always shows.

A ``DataTable`` is fine here: checkpoints change a few times per job, not every poll. Every cell
is handed over as ``Text`` because DataTable parses string cells as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

from ftmon.text import cut_name, end_cut
from ftmon.tui.widgets.tables import RowTable

#: The narrowest a checkpoint's name is cut to (in its middle: ``ft:gpt-4o…:ckpt-step-200``)
#: to keep the metrics in columns; narrower, they go under the name.
MODEL_MIN = 28
#: Between two metrics on a detail line.
SEP = " · "


@dataclass(frozen=True)
class CheckpointLayout:
    """The table's columns with their widths, and the metrics shown under the name instead."""

    columns: tuple[tuple[str, int], ...]
    detail: tuple[str, ...]

    @property
    def model_width(self) -> int:
        return dict(self.columns).get("model", 0)


def checkpoint_layout(
    rows: Sequence[dict[str, str]], width: int, padding: int = 1
) -> CheckpointLayout:
    """Columns for ``rows`` in ``width`` cells (each column takes ``padding`` cells each side).

    Every column at its widest cell when all fit; else the checkpoint's name is cut in its
    middle (never its ``ckpt-step-N``), down to :data:`MODEL_MIN`; if the metrics still do not
    fit, they leave their columns for lines under the name, the ``keep`` mark goes under the
    step, and the name takes the room.
    """
    names: list[str] = [] if rows else ["step", "model"]
    for row in rows:
        names += [name for name in row if name not in names]
    natural = {
        name: max([cell_len(name), *(cell_len(row.get(name, "")) for row in rows)])
        for name in names
    }
    total = sum(natural[name] + 2 * padding for name in names)
    if total <= width or "model" not in natural:
        return CheckpointLayout(tuple((n, natural[n]) for n in names), ())
    over = total - width
    if natural["model"] - over >= MODEL_MIN:
        widths = dict(natural, model=natural["model"] - over)
        return CheckpointLayout(tuple((n, widths[n]) for n in names), ())
    base = [n for n in names[: names.index("model") + 1] if n != "keep"]  # keep: under step
    detail = tuple(names[names.index("model") + 1 :])
    room = width - sum(natural[n] + 2 * padding for n in base if n != "model") - 2 * padding
    longest_detail = max(
        (cell_len(SEP.join(_metric_words(row, detail))) for row in rows), default=0
    )
    model = max(MODEL_MIN // 2, min(room, max(natural["model"], longest_detail)))
    widths = dict(natural, model=model)
    return CheckpointLayout(tuple((n, widths[n]) for n in base), detail)


def _metric_words(row: dict[str, str], names: Sequence[str]) -> list[str]:
    return [f"{name} {row[name]}" for name in names if row.get(name)]


def detail_lines(row: dict[str, str], names: Sequence[str], width: int) -> list[str]:
    """A checkpoint's metrics as lines of at most ``width`` cells, ``name value`` pairs joined
    by `` · ``, a pair never broken (one too wide for a line alone is cut at its end)."""
    lines: list[str] = []
    line = ""
    for words in _metric_words(row, names):
        joined = f"{line}{SEP}{words}" if line else words
        if cell_len(joined) <= width or not line:
            line = joined
        else:
            lines.append(line)
            line = words
    if line:
        lines.append(line)
    return [end_cut(text, width) for text in lines]


class CheckpointTable(RowTable[Text]):
    """One row per checkpoint, newest step first; the movement keys move its cursor."""

    DEFAULT_CSS = """
    CheckpointTable { scrollbar-size-vertical: 1; scrollbar-size-horizontal: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_cursor=True)
        self.rows_shown: tuple[tuple[tuple[str, str], ...], ...] = ()
        self.models: list[str] = []
        self._laid_for = -1

    def show_rows(self, rows: Sequence[dict[str, str]], *, force: bool = False) -> bool:
        """Show these rows (from ``present.checkpoint_rows``); False when nothing differs.

        Laid out for the table's width (:func:`checkpoint_layout`): every metric in its column
        when they fit, else under each checkpoint's name on lines of their own."""
        frozen = tuple(tuple(row.items()) for row in rows)
        width = self._room()
        if frozen == self.rows_shown and self.columns and not force and width == self._laid_for:
            return False
        self.rows_shown = frozen
        self._laid_for = width
        keep = self.cursor_row
        layout = checkpoint_layout(rows, width, self.cell_padding)
        self.clear(columns=True)
        for name, column_width in layout.columns:
            self.add_column(Text(name), key=name, width=column_width)
        self.models = []
        shown = dict(layout.columns)
        for index, row in enumerate(rows):
            cells = []
            details = detail_lines(row, layout.detail, layout.model_width)
            for name, column_width in layout.columns:
                value = row.get(name, "")
                if name == "model":
                    cells.append(Text("\n".join([cut_name(value, column_width), *details])))
                elif name == "step" and "keep" not in shown and row.get("keep"):
                    cells.append(Text(f"{value}\n{row['keep']}", justify="right"))
                else:
                    cells.append(Text(value, justify="right"))
            height = max(1 + len(details), 2 if "keep" not in shown and row.get("keep") else 1)
            self.add_row(*cells, key=str(index), height=height)
            self.models.append(row.get("model", ""))
        if rows:
            self.move_cursor(row=min(keep, len(rows) - 1), animate=False)
        return True

    def _room(self) -> int:
        """The cells the columns may take: the width less a vertical scrollbar's cell."""
        return max(0, self.size.width - 1)

    def on_resize(self) -> None:
        if self._room() != self._laid_for and self.rows_shown:
            rows = [dict(row) for row in self.rows_shown]
            self.show_rows(rows, force=True)

    @property
    def selected_model(self) -> str | None:
        if 0 <= self.cursor_row < len(self.models):
            return self.models[self.cursor_row] or None
        return None
