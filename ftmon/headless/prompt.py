"""Yes/no confirmation for commands that change things, and the rules around it.

A person at a terminal is asked (the answer defaults to no); a script passes ``--yes``; with no
terminal and no ``--yes`` the command refuses before sending anything, rather than guess.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable

from ftmon import exits


def stdin_is_terminal() -> bool:
    try:
        return bool(sys.stdin.isatty())
    except (AttributeError, ValueError):
        return False


def refuse_if_read_only(read_only: bool, what: str) -> None:
    if read_only:
        raise exits.CommandError(
            f"read-only mode: will not {what} (read_only is set in the config or by --read-only)",
            exits.REFUSED,
        )


def require_way_to_confirm(yes: bool, what: str) -> None:
    """Before any request: a confirmation must be possible, or already given with ``--yes``."""
    if not yes and not stdin_is_terminal():
        raise exits.CommandError(
            f"{what} needs confirmation and there is no terminal to ask on: pass --yes",
            exits.USAGE,
        )


def confirm(question: str, *, read: Callable[[], str] | None = None) -> bool:
    """Ask ``question [y/N]`` on stderr; only ``y``/``yes`` counts. EOF counts as no.

    Ctrl-C while waiting must end the command at once, so the default SIGINT handler is put back
    for the duration (asyncio's own handler would only cancel the task, leaving ``input`` blocked).
    """
    reader = read or sys.stdin.readline
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    if main:  # before the question is shown, so that no Ctrl-C can fall between the two
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.stderr.write(f"{question} [y/N] ")
        sys.stderr.flush()
        answer = reader()
    except EOFError:
        answer = ""
    finally:
        if main and previous is not None:
            signal.signal(signal.SIGINT, previous)
    if not answer.endswith("\n"):
        sys.stderr.write("\n")
    return answer.strip().lower() in {"y", "yes"}


def ensure_confirmed(yes: bool, question: str) -> None:
    """Go on only with ``--yes`` or a yes at the prompt; a no ends the command (exit 8)."""
    if yes:
        return
    if not confirm(question):
        raise exits.CommandError("not confirmed: nothing was changed", exits.REFUSED)
