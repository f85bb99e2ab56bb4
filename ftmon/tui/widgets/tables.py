"""A ``DataTable`` of rows that moves with the app's movement keys.

Textual's table moves with the arrows only; every list of ftmon moves with the same keys
(``MOVE_BINDINGS``: ``j``/``k`` too, ``g``/``G``, page up and down), remapped together by the
user's keymap. Every cell is still handed over as ``Text``: a table parses string cells as markup.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import BindingType
from textual.widgets import DataTable

from ftmon.tui.bindings import MOVE_BINDINGS

CellType = TypeVar("CellType")


class RowTable(DataTable[CellType]):
    """A table with a row cursor that ``j``/``k``, ``g``/``G`` and the page keys move."""

    BINDINGS: ClassVar[list[BindingType]] = list(MOVE_BINDINGS)

    def action_move(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step, animate=False)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.move_cursor(row=self.cursor_row + direction * height, animate=False)

    def action_first(self) -> None:
        self.move_cursor(row=0, animate=False)

    def action_last(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1), animate=False)
