"""The theme chosen in the palette (Textual's "Theme" command), remembered per profile.

The choice goes to a small JSON file in the platform's state directory (``ui.json`` beside
``alerts.json``), ``{"themes": {profile: theme}}``, never to the user's config file. It is read
once at start with a size cap (a theme no longer known is ignored) and written through
:mod:`ftmon.safefile` (a fresh owner-only file moved into place) each time the theme changes. A
file that cannot be read or written costs nothing but the memory of the choice: the app starts on
Textual's default theme and says nothing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from platformdirs import user_state_path

from ftmon.localread import read_bytes_capped
from ftmon.safefile import prepare_directory, write_text_atomic

log = logging.getLogger("ftmon.tui")

STATE_NAME = "ui.json"
#: The most the file may hold when read: a theme name per profile is a few bytes each.
MAX_STATE_BYTES = 64 * 1024
#: Profiles remembered at most (the least recently chosen go first).
MAX_PROFILES = 200
#: The profile name used when none is chosen.
NO_PROFILE = "(default)"


def default_state_path() -> Path:
    """``ui.json`` in the platform's state directory for ftmon."""
    return user_state_path("ftmon") / STATE_NAME


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_bytes_capped(path, MAX_STATE_BYTES))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.info("theme memory %s not read: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _themes(data: dict[str, Any]) -> dict[str, str]:
    themes = data.get("themes")
    if not isinstance(themes, dict):
        return {}
    return {k: v for k, v in themes.items() if isinstance(k, str) and isinstance(v, str)}


class ThemeMemory:
    """The remembered theme of one profile in the file at ``path`` (None: nothing kept)."""

    def __init__(self, path: Path | None, profile: str | None) -> None:
        self.path = path
        self.profile = profile or NO_PROFILE

    def load(self) -> str | None:
        """The theme last chosen under this profile, or None."""
        if self.path is None:
            return None
        return _themes(_read(self.path)).get(self.profile)

    def save(self, theme: str) -> bool:
        """Remember ``theme`` for this profile (the others' kept as they are); True when written."""
        if self.path is None:
            return False
        data = _read(self.path)
        themes = _themes(data)
        if themes.get(self.profile) == theme:
            return True
        themes.pop(self.profile, None)
        themes[self.profile] = theme  # last: the most recently chosen
        while len(themes) > MAX_PROFILES:
            themes.pop(next(iter(themes)))
        data["themes"] = themes
        try:
            directory = prepare_directory(self.path.parent)
            write_text_atomic(directory, self.path.name, json.dumps(data, indent=1) + "\n")
        except OSError as exc:
            log.info("theme memory %s not written: %s", self.path, exc)
            return False
        return True
