"""A fix for scrollbars that appear after their widget scrolled.

Textual moves a scrollbar's thumb only when the scroll offset changes while the bar is shown. A
line-API widget that gets new lines and scrolls to them in the same frame scrolls *before* its
scrollbar appears, so the thumb would sit at the top until the next scroll: wrong on screen and
different from run to run in snapshots. Placing the thumb when the bar appears fixes both.
"""

from __future__ import annotations

from textual.widget import Widget


class ThumbSync(Widget):
    """Mixin for scrolling widgets: a scrollbar that appears starts at the current offset."""

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def watch_show_horizontal_scrollbar(self, shown: bool) -> None:
        if shown:
            self.horizontal_scrollbar.position = self.scroll_x
