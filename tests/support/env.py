"""What a developer's own environment could bring into a test, and the clearing of it.

The root ``conftest.py`` calls :func:`clear_user_env` before every test (an autouse fixture), so
no key, base URL, profile or config file of the person running the tests reaches ftmon, in
process or in a program a test starts (which inherits this process's environment). A test that
needs one of these sets it itself, after the fixture: ``monkeypatch.setenv(...)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Every variable with one of these prefixes is removed: keys, base URLs, profiles, debug flags.
USER_PREFIXES = ("OPENAI_", "FTMON_", "AZURE_")
#: And these, which change how ftmon's output looks.
USER_NAMES = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TEXTUAL_LOG")


def clear_user_env(monkeypatch: pytest.MonkeyPatch, config: Path) -> None:
    """Remove the user's settings from ``os.environ``; ``FTMON_CONFIG`` is ``config``, a file
    that does not exist (so the platform's config file is never read either)."""
    for name in list(os.environ):
        if name.startswith(USER_PREFIXES) or name in USER_NAMES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("FTMON_CONFIG", str(config))
