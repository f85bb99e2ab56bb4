"""The ASCII fallback: what the screen draws on a console that cannot draw Unicode's glyphs.

The Linux console (``TERM=linux``), a serial line or a font without them shows box drawing,
braille plots and emoji as garbage. With ``--ascii``, ``ascii = true`` in the config, or on its
own with ``TERM=linux``, the app adds :class:`AsciiFilter` to Textual's line filters: every line
it draws passes through one table, on its way to the terminal (and into screenshots), so the
borders, the job list's status glyphs, the plots and the scrollbars of every screen (ours and
Textual's own: the palette, inputs, dialogs) turn to ASCII in one place, with the same widths.

* Status glyphs are mapped **by status**: :data:`ASCII_STATUS` names each status's ASCII glyph,
  and the table learns the Unicode glyph from ``present.fields.STATUS_STYLE``, the one table of
  status glyphs, so a glyph chosen there later still maps to its status's ASCII one.
* Box drawing (U+2500-257F) becomes ``- | +`` (a double line's across ``=``, so a focused pane
  still stands out); braille (U+2800-28FF, the plots) becomes ``' . - :``
  by where its dots are, so a curve stays a curve; block elements (sparklines, scrollbars, tall
  borders) become ``_ . - = + #`` by height.
* Scrollbars draw their thumb whole cells at a time (:class:`AsciiScrollBarRender`): the eighth
  blocks of a thumb's edge would read as ``-`` or ``=`` beside the list's last column.
* Arrow keys in help and the footer are words (``down``, not ``v``: :func:`key_words`).
* The job list's sort mark (``age▾``) is ``*`` (``age*``): the ``v`` of other down-pointing
  triangles, glued to a heading, read as one more letter (``agev``), and a heading has no cell
  to spare for a space (the age column is four cells).
* Other symbols (arrows, stars, check marks, dingbats, emoji) have a few named replacements and
  else become ``*``, one per cell they took. Letters and digits of every script, and Latin-1's
  signs (which the Linux console draws), are left alone: they are the user's data.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import ClassVar

from rich.cells import get_character_cell_size
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter
from textual.scrollbar import ScrollBar, ScrollBarRender

from ftmon.present.fields import STATUS_STYLE, UNKNOWN_STYLE
from ftmon.present.rows import SORT_MARK

#: Terminals that cannot draw box drawing, braille or emoji: the ASCII fallback is on by itself.
PLAIN_TERMS = frozenset({"linux", "vt100", "vt102", "vt220", "ansi", "cons25"})

#: Each status's ASCII glyph: distinct from each other and from ``~`` (a cut cell's mark here).
ASCII_STATUS: dict[str, str] = {
    "created": "*",
    "validating_files": "v",
    "queued": "o",
    "pending": "@",
    "running": ">",
    "pausing": ":",
    "paused": "=",
    "resuming": ")",
    "cancelling": "-",
    "succeeded": "+",
    "failed": "X",
    "cancelled": "#",
}

#: The sort mark after a job list heading (and in help's legend): not a letter.
ASCII_SORT_MARK = "*"

#: Named replacements, one cell for one cell (``…`` is a cut cell's mark: ``~`` as in 8.3 names).
_NAMED: dict[str, str] = {
    "…": "~",
    "—": "-",
    "–": "-",
    "‒": "-",
    "―": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "‚": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "′": "'",
    "″": '"',
    "•": "*",
    "‧": ".",
    "∙": ".",
    "⋅": ".",
    "‖": "=",
    "←": "<",
    "→": ">",
    "↑": "^",
    "↓": "v",
    "↔": "-",
    "↕": "|",
    "⇐": "<",
    "⇒": ">",
    "⇑": "^",
    "⇓": "v",
    "▲": "^",
    "△": "^",
    "▴": "^",
    "▼": "v",
    "▽": "v",
    "▾": "v",
    "▶": ">",
    "▷": ">",
    "▸": ">",
    "►": ">",
    "◀": "<",
    "◁": "<",
    "◂": "<",
    "◄": "<",
    "■": "#",
    "□": "-",
    "▪": "#",
    "▫": "-",
    "●": "*",
    "○": "o",
    "◌": "o",
    "◇": "*",
    "◆": "*",
    "◔": "@",
    "★": "*",
    "☆": "*",
    "✔": "+",
    "✓": "+",
    "✘": "X",
    "✗": "x",
    "✕": "x",
    "✖": "x",
    "≈": "~",
    "≤": "<",
    "≥": ">",
    "≠": "#",
    "∞": "8",
    "⏸": "=",
    "⏵": ">",
    "⎯": "-",
    "⠀": " ",
}


def ascii_wanted(setting: bool, env: Mapping[str, str] | None = None) -> bool:
    """Whether to draw only ASCII: the setting (``--ascii``, ``ascii = true``), or a terminal
    that cannot draw more (``TERM=linux``, the Linux console)."""
    term = (os.environ if env is None else env).get("TERM", "").strip().lower()
    return setting or term in PLAIN_TERMS


def _braille(char: str) -> str:
    """A braille cell (a plot's 2x4 dots) as one ASCII character by which rows hold dots."""
    bits = ord(char) - 0x2800
    if not bits:
        return " "
    if bin(bits).count("1") >= 6:
        return "#"
    rows = {
        row
        for row, mask in enumerate((0x01 | 0x08, 0x02 | 0x10, 0x04 | 0x20, 0x40 | 0x80))
        if bits & mask
    }
    top, bottom = rows & {0, 1}, rows & {2, 3}
    if top and bottom:
        return ":"
    if top:
        return "'" if 0 in rows else "-"
    return "." if 3 in rows else "-"


def _box(name: str) -> str:
    """A box-drawing character by its name: a line, a corner or junction, a diagonal."""
    if "DIAGONAL CROSS" in name:
        return "X"
    if "DIAGONAL UPPER RIGHT" in name:
        return "/"
    if "DIAGONAL UPPER LEFT" in name:
        return "\\"
    words = set(name.split())
    across = bool(words & {"LEFT", "RIGHT", "HORIZONTAL"})
    down = bool(words & {"UP", "DOWN", "VERTICAL"})
    if across and down:
        return "+"
    if across:
        # A double line stays told apart from a single one: the focused pane's border.
        return "=" if "DOUBLE" in words else "-"
    return "|" if down else "+"


#: Block elements (U+2580-259F) by height or side: sparklines, scrollbars, tall borders.
_BLOCKS: dict[str, str] = {
    "▀": '"',
    "▁": "_",
    "▂": "_",
    "▃": ".",
    "▄": "-",
    "▅": "=",
    "▆": "+",
    "▇": "#",
    "█": "#",
    "▔": "-",
    "▉": "#",
    "▊": "|",
    "▋": "|",
    "▌": "|",
    "▍": "|",
    "▎": "|",
    "▏": "|",
    "▐": "|",
    "▕": "|",
    "░": ".",
    "▒": ":",
    "▓": "#",
}


@lru_cache(maxsize=4096)
def ascii_char(char: str) -> str:
    """``char`` as the ASCII fallback draws it: the same number of cells."""
    if char.isascii():
        return char
    status = _status_glyphs().get(char)
    if status is not None:
        return status
    if char == SORT_MARK:
        return ASCII_SORT_MARK
    named = _NAMED.get(char) or _BLOCKS.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0x2800 <= code <= 0x28FF:
        return _braille(char)
    if 0x2500 <= code <= 0x257F:
        return _box(unicodedata.name(char, ""))
    if 0x2580 <= code <= 0x259F:
        return "#"
    width = get_character_cell_size(char)
    category = unicodedata.category(char)
    if code <= 0xFF or category[0] in "LNM" or category in ("Zs", "Cf", "Cc"):
        return char  # Latin-1 (the console draws it), letters and digits: the user's text
    return "*" * width


@lru_cache(maxsize=1)
def _status_glyphs() -> dict[str, str]:
    """Each status's Unicode glyph (from the one table) -> its ASCII glyph."""
    table = {glyph: ASCII_STATUS.get(status, "?") for status, (glyph, _) in STATUS_STYLE.items()}
    table.setdefault(UNKNOWN_STYLE[0], "?")
    return {glyph: ascii for glyph, ascii in table.items() if not glyph.isascii()}


class _Table(dict[int, str]):
    """``str.translate``'s table, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        out = ascii_char(chr(code))
        self[code] = out
        return out


_TABLE = _Table()


def to_ascii(text: str) -> str:
    """``text`` as the ASCII fallback draws it (the same cell width)."""
    return text if text.isascii() else text.translate(_TABLE)


#: Arrow keys by name: an arrow turned ASCII (``v``, ``^``) would read as another key.
_ARROW_KEYS = {"←": "left", "→": "right", "↑": "up", "↓": "down"}
_ARROWS = re.compile("[←→↑↓]+")


def key_words(display: str) -> str:
    """A key as help and the footer show it, its arrows as words: ``↓`` is ``down``, ``←→``
    ``left/right``, ``shift+↑`` ``shift+up``."""
    return _ARROWS.sub(lambda m: "/".join(_ARROW_KEYS[c] for c in m.group()), display)


def status_glyph(status: str) -> str:
    """The ASCII glyph of a status (``?`` for one not known)."""
    return ASCII_STATUS.get(status, "?")


class AsciiFilter(LineFilter):
    """Textual's last step before the terminal: every line's text through :func:`to_ascii`."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(to_ascii(text), style, control)
            if not control and not text.isascii()
            else Segment(text, style, control)
            for text, style, control in segments
        ]


class AsciiScrollBarRender(ScrollBarRender):
    """A scrollbar whose thumb ends on whole cells: no eighth blocks at its edges."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def use_ascii_scrollbars(on: bool) -> None:
    """Every scrollbar drawn from now on with whole-cell thumbs (``on``) or Textual's own."""
    ScrollBar.renderer = AsciiScrollBarRender if on else ScrollBarRender
