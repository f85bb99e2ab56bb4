"""The one sanitiser for text that came from the API, and small formatting helpers.

API text is data. Before it goes anywhere near a terminal, every Unicode control (Cc) and format
(Cf: bidi overrides, zero-width joiners...) character is removed, except newline and tab where a
caller allows them. Widgets then get it as ``Content``/``Text``, never as markup.

Most text has nothing to remove, and one built-in pass says so: ``str.isprintable()`` is false
for every "Other" (C*) and "Separator" (Z*) character but the space, which covers all that the
sanitiser drops or changes (newline and tab are Cc). Such text is taken as it is, and on one
line its only whitespace is the space; the per-character loop runs only for the rest.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from typing import Any

from rich.cells import cell_len

_KEEP_MULTILINE = frozenset("\n\t")

#: What stands in for a configured secret found in text from the API.
REDACTED = "****"
#: The keys of this process's settings: blanked from every text that goes through here.
_SECRETS: tuple[str, ...] = ()
#: A secret shorter than this is not looked for (it would blank ordinary words).
_MIN_SECRET = 8


def set_secrets(secrets: Any) -> None:
    """The keys this process holds (API key, admin key): a server that echoes one back in a
    suffix, an event message or a file name gets it blanked wherever the text is shown or
    written, since every such text comes through :func:`clean`. Set once, at start-up."""
    global _SECRETS
    _SECRETS = tuple(sorted({s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len)[::-1])


def redact(text: str, secrets: Any) -> str:
    """``text`` with each of ``secrets`` (the empty one aside) replaced by ``****``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_secrets(text: str) -> str:
    """``text`` with every configured secret replaced by ``****``."""
    return redact(text, _SECRETS)


def clean(value: Any, *, multiline: bool = False, limit: int | None = 10_000) -> str:
    """``value`` as a string safe for a terminal: no control/format characters, bounded length.

    ``multiline`` keeps newlines and tabs; otherwise they become spaces. ``limit`` cuts runaway
    strings (a 10 MB suffix must not freeze a table); the cut is marked with an ellipsis.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if _SECRETS:
        text = redact_secrets(text)  # before the cut, which could leave half a key
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    if text.isprintable():  # nothing to remove: the usual case, at the cost of one C pass
        return str.__str__(text)  # a plain str, as the loop makes, even of a str subclass
    cleaned = _sanitise(text, multiline)
    # A key split by control characters is whole again once they are gone.
    return redact_secrets(cleaned) if _SECRETS else cleaned


def _sanitise(text: str, multiline: bool) -> str:
    """The per-character sanitiser behind :func:`clean`, for text that is not all printable."""
    out: list[str] = []
    for char in text:
        if char in _KEEP_MULTILINE:
            out.append(char if multiline else " ")
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs"):  # controls, format (bidi...), lone surrogates
            continue
        if category in ("Zl", "Zp"):  # line/paragraph separators would break a row
            out.append("\n" if multiline else " ")
            continue
        out.append(char)
    return "".join(out)


def one_line(value: Any, *, width: int | None = None) -> str:
    """Clean text on one line, cut to ``width`` cells with an ellipsis if given."""
    text = clean(value)
    # Printable text's only whitespace is the space: with no run of two and none at the ends,
    # there is nothing to fold.
    if not (text.isprintable() and "  " not in text and text.strip() == text):
        text = " ".join(text.split())
    if width is not None and len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text


_DATED = re.compile(r"^(?P<name>.+)-\d{4}-\d{2}-\d{2}$")


def short_model(model: str | None) -> str:
    """``gpt-4o-mini`` for ``gpt-4o-mini-2024-07-18``: lists have no room for dates."""
    name = one_line(model)
    match = _DATED.match(name)
    return match.group("name") if match else name or "—"


def middle_cut(text: str, width: int, *, tail: int | None = None) -> str:
    """``text`` in at most ``width`` cells, cut in the middle with ``…`` when it is longer: an
    id keeps its start and its end (``ftjob-g0n…krNrZ``), a checkpoint name its
    ``ckpt-step-N``. ``tail`` is how many cells the end keeps (two thirds of the room by
    default); the start gets the rest. Text that fits is returned as it is."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    if width == 1:
        return "…"
    room = width - 1
    keep_end = min(room, tail if tail is not None else room - room // 3)
    head = _cells_from_start(text, room - keep_end)
    end = _cells_from_end(text, keep_end)
    return head + "…" + end


#: Where a value may break across lines: after a space, a colon (``ft:model:org:suffix``), a
#: comma or a slash. Never inside a word, an id or a dated model name.
_BREAK_AFTER = frozenset(" :,/")


def _inside_number(text: str, index: int) -> bool:
    """Whether the ``:`` or ``,`` at ``index`` sits between digits (``10:02:44``, ``1,000``):
    a time or a number is one token, never broken there."""
    return (
        text[index] in ":,"
        and 0 < index < len(text) - 1
        and text[index - 1].isdigit()
        and text[index + 1].isdigit()
    )


def wrap_tokens(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` cells, broken only after a space, ``:``, ``,``
    or ``/``, and between the parts of a `` · `` list rather than inside one; a piece longer
    than ``width`` on its own is the one thing cut (folded), as there is no other way to show
    it. Spaces at a break are dropped."""
    if width <= 0:
        return [text] if text else [""]
    if cell_len(text) <= width:
        return [text]
    if " · " in text:  # a list of parts (``validating 45s · queued 5m``): break between them
        parts = text.split(" · ")
        if all(cell_len(part) <= width for part in parts):
            packed = [parts[0]]
            for part in parts[1:]:
                joined = f"{packed[-1]} · {part}"
                if cell_len(joined) <= width:
                    packed[-1] = joined
                else:
                    packed[-1] += " ·"
                    packed.append(part)
            if all(cell_len(line) <= width for line in packed):
                return packed
    pieces: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if char in _BREAK_AFTER and not _inside_number(text, index):
            pieces.append(text[start : index + 1])
            start = index + 1
    if start < len(text):
        pieces.append(text[start:])
    lines: list[str] = []
    line = ""
    for piece in pieces:
        if cell_len(line + piece.rstrip(" ")) <= width:
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip(" "))
        line = piece.lstrip(" ") if lines else piece
        while cell_len(line.rstrip(" ")) > width:  # one piece wider than a line: folded
            head = _cells_from_start(line, width)
            lines.append(head)
            line = line[len(head) :]
    if line.strip() or not lines:
        lines.append(line.rstrip(" "))
    return lines


def cut_name(name: str, width: int) -> str:
    """A model or checkpoint name in ``width`` cells, cut in its middle so that its last
    ``:`` part stays whole where it fits (``ft:gpt-4o…:ckpt-step-300``, never ``…-step-30``)."""
    room = width - 1
    last = cell_len(name.rsplit(":", 1)[-1])
    return middle_cut(name, width, tail=max(room - room // 3, min(last + 1, room)))


def end_cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, cut at the end with ``…`` when it is longer."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return _cells_from_start(text, width - 1) + "…"


def _cells_from_start(text: str, cells: int) -> str:
    out, used = [], 0
    for char in text:
        size = cell_len(char)
        if used + size > cells:
            break
        out.append(char)
        used += size
    return "".join(out)


def _cells_from_end(text: str, cells: int) -> str:
    out, used = [], 0
    for char in reversed(text):
        size = cell_len(char)
        if used + size > cells:
            break
        out.append(char)
        used += size
    return "".join(reversed(out))


def local_time(timestamp: float | None, *, tz: timezone | None = None) -> str:
    """``2026-11-26 14:03:07`` in local time (or ``tz``); ``—`` when unknown."""
    if timestamp is None:
        return "—"
    try:
        moment = datetime.fromtimestamp(timestamp, tz=timezone.utc).astimezone(tz)
    except (OverflowError, OSError, ValueError):
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def age(timestamp: float | None, now: float) -> str:
    """``45s``, ``12m``, ``3h``, ``5d`` ago; ``—`` when unknown."""
    if timestamp is None:
        return "—"
    seconds = max(0, int(now - timestamp))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def until(timestamp: float | None, now: float) -> str:
    """``in 12m`` style for an ETA; empty when unknown or past."""
    if timestamp is None or timestamp <= now:
        return ""
    seconds = int(timestamp - now)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def human_size(size: int | None) -> str:
    """``812 B``, ``4.2 MB``: a file's size in a few characters."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
