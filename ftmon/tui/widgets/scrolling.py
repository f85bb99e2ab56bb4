"""A fix for scrollbars that appear after their widget scrolled.

Textual moves a scrollbar's thumb only when the scroll offset changes while the bar is shown. A
line-API widget that gets new lines and scrolls to them in the same frame scrolls *before* its
scrollbar appears, so the thumb would sit at the top until the next scroll: wrong on screen and
different from run to run in snapshots. Placing the thumb when the bar appears fixes both.

Also a scrolling box of text that the app's movement keys scroll (``j``/``k`` as in every list).
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widget import Widget

from ftmon.tui.bindings import MOVE_BINDINGS


class ThumbSync(Widget):
    """Mixin for scrolling widgets: a scrollbar that appears starts at the current offset."""

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def watch_show_horizontal_scrollbar(self, shown: bool) -> None:
        if shown:
            self.horizontal_scrollbar.position = self.scroll_x


class KeyScroll(VerticalScroll):
    """A scrolling box of text (help, one event whole) that the movement keys scroll, as every
    list of the app moves: ``j``/``k`` too, ``g``/``G``, the page keys, as remapped."""

    BINDINGS: ClassVar[list[BindingType]] = list(MOVE_BINDINGS)

    def action_move(self, step: int) -> None:
        self.scroll_relative(y=step, animate=False, immediate=True)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.scroll_relative(y=direction * height, animate=False, immediate=True)

    def action_first(self) -> None:
        self.scroll_home(animate=False, immediate=True)

    def action_last(self) -> None:
        self.scroll_end(animate=False, immediate=True)
