"""The checkpoints of the selected job: step, model name and every metric present.

A ``DataTable`` is fine here: checkpoints change a few times per job, not every poll. Every cell
is handed over as ``Text`` because DataTable parses string cells as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import BindingType
from textual.widgets import DataTable

from ftmon.tui.bindings import MOVE_BINDINGS


class CheckpointTable(DataTable[Text]):
    """One row per checkpoint, newest step first."""

    BINDINGS: ClassVar[list[BindingType]] = list(MOVE_BINDINGS)
    DEFAULT_CSS = """
    CheckpointTable { scrollbar-size-vertical: 1; scrollbar-size-horizontal: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_cursor=True)
        self.rows_shown: tuple[tuple[tuple[str, str], ...], ...] = ()
        self.models: list[str] = []

    def show_rows(self, rows: Sequence[dict[str, str]]) -> bool:
        """Show these rows (from ``present.checkpoint_rows``); False when nothing differs."""
        frozen = tuple(tuple(row.items()) for row in rows)
        if frozen == self.rows_shown and self.columns:
            return False
        self.rows_shown = frozen
        keep = self.cursor_row
        # In the rows' order: step, keep (when one is marked), model, then the metrics.
        names: list[str] = [] if rows else ["step", "model"]
        for row in rows:
            names += [name for name in row if name not in names]
        self.clear(columns=True)
        for name in names:
            # Widths given, not measured later by the table: the first frame is already right.
            width = max([cell_len(name), *(cell_len(row.get(name, "")) for row in rows)])
            self.add_column(Text(name), key=name, width=width)
        self.models = []
        for index, row in enumerate(rows):
            cells = [
                Text(row.get(name, ""), justify="right" if name != "model" else "left")
                for name in names
            ]
            self.add_row(*cells, key=str(index))
            self.models.append(row.get("model", ""))
        if rows:
            self.move_cursor(row=min(keep, len(rows) - 1), animate=False)
        return True

    @property
    def selected_model(self) -> str | None:
        if 0 <= self.cursor_row < len(self.models):
            return self.models[self.cursor_row] or None
        return None

    def action_move(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step, animate=False)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.move_cursor(row=self.cursor_row + direction * height, animate=False)

    def action_first(self) -> None:
        self.move_cursor(row=0, animate=False)

    def action_last(self) -> None:
        self.move_cursor(row=self.row_count - 1, animate=False)
