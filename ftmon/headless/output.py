"""Where headless output goes: human lines on stdout, JSON for machines, errors on stderr.

Colour only on a terminal, never with ``NO_COLOR`` or ``TERM=dumb``; with colour off not one
escape byte is written. Human output is built from ``rich.text.Text`` objects whose API text was
cleaned first, so nothing from the API is ever parsed as markup or reaches the terminal raw.
JSON is written with every non-ASCII character escaped, so even a raw dump is terminal-safe.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from ftmon.text import one_line, redact_secrets


def wants_color(stream: IO[str], environ: dict[str, str] | None = None) -> bool:
    """True when ``stream`` is a terminal and the user has not asked for no colour."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", "") != "" or env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def stream_width(stream: IO[str], environ: dict[str, str] | None = None) -> int:
    """The terminal's width; ``$COLUMNS`` or 80 when ``stream`` is not a terminal."""
    env = os.environ if environ is None else environ
    try:
        if stream.isatty():
            columns = os.get_terminal_size(stream.fileno()).columns
            if columns > 0:  # a fresh pty may report 0 x 0
                return max(20, columns)
    except (AttributeError, ValueError, OSError):
        pass
    given = env.get("COLUMNS", "")
    return max(20, int(given)) if given.isascii() and given.isdigit() else 80


def hang(text: Text, width: int, indent: int = 4) -> list[Text]:
    """``text`` in lines of at most ``width`` cells, broken at spaces (its styles kept), the
    lines after the first indented by ``indent``; only a word longer than a whole line is cut
    (folded), as there is no other way to show it."""
    plain = text.plain
    if cell_len(plain) <= width:
        return [text]
    width = max(1, width)
    indent = min(max(0, indent), width - 1)
    lines: list[Text] = []
    start = 0
    while start < len(plain):
        first = not lines
        if not first:
            while start < len(plain) and plain[start] == " ":
                start += 1
            if start >= len(plain):
                break
        room = width if first else width - indent
        rest = plain[start:]
        if cell_len(rest) <= room:
            end = len(plain)
        else:
            used, cut, fits = 0, None, len(rest)
            for index, char in enumerate(rest):
                used += cell_len(char)
                if used > room:
                    fits = index
                    break
                if char == " " and index:
                    cut = index
            end = start + (cut if cut else max(1, fits))
        piece = text[start:end]
        piece.rstrip()
        lines.append(piece if first else Text(" " * indent) + piece)
        start = end
    return lines


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Console(Console):
    """Rich's console, but a closed pipe is left to the runner (exit 141, nothing on stderr)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


class Output:
    """One command's output: ``json_mode`` picks machine output over human lines."""

    def __init__(
        self,
        stdout: IO[str],
        stderr: IO[str],
        *,
        json_mode: bool = False,
        color: bool | None = None,
        width: int | None = None,
        terminal: bool | None = None,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json_mode = json_mode
        self.color = wants_color(stdout) if color is None else color
        self.width = stream_width(stdout) if width is None else width
        #: stdout is a terminal: a long line is broken between words to fit it (a terminal
        #: would fold it mid-token); into a pipe or a file a line stays whole, for grep.
        self.terminal = _isatty(stdout) if terminal is None else terminal
        self.console = _Console(
            file=stdout,
            width=self.width,
            # Given, so that Rich reads neither $COLUMNS nor $LINES itself: "²" passes its
            # isdigit() check and then fails int(). Lines are never paged, so any height does.
            height=25,
            color_system="standard" if self.color else None,
            force_terminal=self.color,
            no_color=not self.color,
            markup=False,
            emoji=False,
            highlight=False,
            soft_wrap=True,
            legacy_windows=False,
        )

    # -- human ---------------------------------------------------------------------------------

    def line(self, text: Text | str = "") -> None:
        """One line on stdout. A plain ``str`` must be ftmon's own words, never API data."""
        renderable = text if isinstance(text, Text) else Text(text)
        self.console.print(renderable, soft_wrap=True)
        self.stdout.flush()

    def lines(self, texts: list[Text]) -> None:
        for text in texts:
            self.line(text)

    def fit(self, text: Text, *, indent: int = 4) -> None:
        """One line, on a terminal broken between words to its width (:func:`hang`); into a
        pipe or a file whole, one line, for grep."""
        self.lines(hang(text, self.width, indent) if self.terminal else [text])

    # -- machines ------------------------------------------------------------------------------

    def document(self, data: Any) -> None:
        """One JSON document (``--json``); a key echoed in the data is blanked, as on screen."""
        text = json.dumps(data, indent=2, ensure_ascii=True, default=str)
        self.stdout.write(redact_secrets(text) + "\n")
        self.stdout.flush()

    def record(self, data: Any) -> None:
        """One JSON Lines record, flushed at once so a pipe sees it as it happens."""
        self.stdout.write(redact_secrets(json.dumps(data, ensure_ascii=True, default=str)) + "\n")
        self.stdout.flush()

    # -- stderr --------------------------------------------------------------------------------

    def error(self, message: str) -> None:
        """``ftmon: <message>`` on stderr, on one cleaned line (on a terminal, broken between
        words to its width rather than folded by it mid-token)."""
        text = f"ftmon: {one_line(message)}"
        if _isatty(self.stderr):
            width = stream_width(self.stderr)
            text = "\n".join(line.plain for line in hang(Text(text), width, 4))
        self.stderr.write(text + "\n")
        self.stderr.flush()

    note = error
