"""The overview of the selected job: every field in plain words, from ``ftmon.present``.

The same :func:`~ftmon.present.job_fields` feeds ``ftmon show``, so the screen and the headless
command never disagree. Values are already cleaned there and reach the screen as ``Text``.

A line-API widget: the fields are laid out for the pane's width (:func:`field_lines`: labels in
a gutter no wider than it needs, a value that does not fit beside its label broken only between
tokens, or set on the next lines), and when another job is shown only the lines whose words
differ are repainted. Its scroll height only grows while the width stays, so moving from a job
with 20 fields to one with 22 does not lay the pane out again (the second paint that cost
``j`` ~10 KB at 80x24).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ftmon.present.fields import Field
from ftmon.text import wrap_tokens
from ftmon.tui.bindings import MOVE_BINDINGS
from ftmon.tui.widgets.scrolling import ThumbSync

#: The widest the label gutter gets; a longer label pushes its own value right.
GUTTER = 16
#: Where a value set under its label starts.
INDENT = 2
#: Break points inside a value (:func:`ftmon.text.wrap_tokens`).
_BREAKS = " :,/"


def _longest_token(value: str) -> int:
    longest, current = 0, 0
    for char in value:
        current += cell_len(char)
        if char in _BREAKS:
            longest, current = max(longest, current), 0
    return max(longest, current)


def field_lines(fields: Sequence[Field], width: int) -> list[Text]:
    """The fields as lines for a pane ``width`` cells wide.

    Labels sit in a gutter as wide as the longest one up to :data:`GUTTER` (a third of a
    narrow pane); a longer label (``  learning_rate_multiplier``) pushes only its own value
    right, and so does a value that fits whole on its line only that way (an id at 40 columns).
    Any other value that does not fit beside its label is broken between tokens (after a space,
    ``:``, ``,`` or ``/``) in the value column; when a token of it is wider than that column
    the value goes on the lines under its label, indented. No value is ever broken inside a
    token that would fit on a line of its own.
    """
    width = max(1, width)
    longest = max((cell_len(f.label) for f in fields), default=0)
    gutter = min(GUTTER, max(8, width // 3), longest)
    column = max(1, width - gutter - 1)
    lines: list[Text] = []
    label_style = Style(dim=True)
    for item in fields:
        style = Style.parse(item.style) if item.style else Style()
        label = item.label
        start = max(gutter, cell_len(label)) + 1
        value = item.value
        if cell_len(value) > width - start and cell_len(label) + 1 + cell_len(value) <= width:
            start = cell_len(label) + 1  # fits whole just after its label: no break at all
        if cell_len(value) <= width - start:
            line = Text(no_wrap=True, end="")
            line.append(label.ljust(start - 1 + len(label) - cell_len(label)), label_style)
            line.append(" ")
            line.append(value, style)
            lines.append(line)
            continue
        if cell_len(label) <= gutter and _longest_token(value) <= column:
            pieces, indent, first = wrap_tokens(value, column), gutter + 1, True
        else:
            pieces, indent, first = wrap_tokens(value, max(1, width - INDENT)), INDENT, False
            lines.append(Text(label, label_style, no_wrap=True, end=""))
        for piece in pieces:
            line = Text(no_wrap=True, end="")
            if first:
                line.append(label.ljust(gutter + len(label) - cell_len(label)), label_style)
                line.append(" ")
                first = False
            else:
                line.append(" " * indent)
            line.append(piece, style)
            lines.append(line)
    return lines


ERROR_LABELS = ("error code", "error", "error param")


def error_first(fields: Sequence[Field]) -> list[Field]:
    """The same fields with the error (if any) moved up under the status line.

    A failed job's error is what a person opens it for; in a short pane it must not be below
    the fold. Only the order differs from ``ftmon show``.
    """
    errors = [f for f in fields if f.label in ERROR_LABELS]
    if not errors:
        return list(fields)
    rest = [f for f in fields if f.label not in ERROR_LABELS]
    return rest[:1] + errors + rest[1:]


def fields_plain(fields: Sequence[Field]) -> str:
    """The fields as lines of text (for tests and the copy action)."""
    width = max((len(f.label) for f in fields), default=0)
    return "\n".join(f"{f.label:<{width}} {f.value}" for f in fields)


class JobOverview(ThumbSync, ScrollView, can_focus=True):
    """A scrollable list of the job's fields, laid out for the pane's width."""

    BINDINGS: ClassVar[list[BindingType]] = list(MOVE_BINDINGS)
    COMPONENT_CLASSES: ClassVar[set[str]] = {"job-overview--placeholder"}
    DEFAULT_CSS = """
    JobOverview {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .job-overview--placeholder { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fields: tuple[Field, ...] = ()
        self.message = "no job selected"
        self._lines: list[Text] = []
        self._width = -1
        #: The scroll height, which only grows while the width stays (see the module's doc).
        self._height = 0

    @property
    def plain(self) -> str:
        return fields_plain(self.fields) if self.fields else self.message

    @property
    def lines_plain(self) -> list[str]:
        """The lines as laid out now (for tests)."""
        return [line.plain for line in self._lines]

    def show_fields(self, fields: Sequence[Field]) -> bool:
        """Show these fields; False (and no repaint) when nothing differs."""
        fields = tuple(error_first(fields))
        if fields == self.fields:
            return False
        self.fields = fields
        self._relayout()
        return True

    def show_message(self, message: str) -> None:
        """A placeholder (no job selected, loading…), never API text."""
        if not self.fields and message == self.message:
            return
        self.fields = ()
        self.message = message
        self._relayout()

    def _text_width(self) -> int:
        """The width lines are laid out for: a cell is kept for the scrollbar whether or not it
        shows, so a job with more lines than the pane does not lay the others out again."""
        width = self.scrollable_content_region.width
        if not self.show_vertical_scrollbar:
            width -= self.styles.scrollbar_size_vertical
        return max(1, width)

    def _layout_lines(self, width: int) -> list[Text]:
        if not self.fields:
            style = self.get_component_rich_style("job-overview--placeholder", partial=True)
            return [Text(self.message, style, no_wrap=True, end="")]
        return field_lines(self.fields, width)

    def _relayout(self, *, resized: bool = False) -> None:
        """Lay the lines out again; repaint only those that differ."""
        width = self._text_width()
        old = self._lines
        self._lines = self._layout_lines(width)
        if resized or width != self._width:
            self._width = width
            self._height = 0
            self.refresh()
        else:
            for y in range(max(len(old), len(self._lines))):
                before = old[y] if y < len(old) else None
                after = self._lines[y] if y < len(self._lines) else None
                if (
                    before is None
                    or after is None
                    or before.spans != after.spans
                    or (before.plain != after.plain)
                ):
                    self.refresh_line(y)
        height = max(self._height, len(self._lines))
        if height != self._height or self.virtual_size.width != width:
            self._height = height
            self.virtual_size = Size(width, height)

    def on_resize(self) -> None:
        self._relayout(resized=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted and not self.fields:
            self._lines = self._layout_lines(self._text_width())

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._lines) or width <= 0:
            return Strip.blank(max(0, width), base)
        text = self._lines[index].copy()
        text.truncate(width, pad=True)
        text.stylize_before(base)
        return Strip(text.render(self.app.console), width).crop_extend(0, width, base)

    def action_move(self, step: int) -> None:
        self.scroll_to(y=self.scroll_y + step, animate=False, immediate=True)

    def action_page(self, direction: int) -> None:
        self.scroll_to(
            y=self.scroll_y + direction * max(1, self.size.height), animate=False, immediate=True
        )

    def action_first(self) -> None:
        self.scroll_home(animate=False)

    def action_last(self) -> None:
        self.scroll_end(animate=False)
