"""The notices of a session: one per event, said on the status line, kept for the history.

Every notice of the TUI goes through :meth:`MessageLog.say` (the app holds the one log; widgets
and screens reach it with :func:`say`). A notice is one clean line: its text came from the API
more often than not, so it is sanitised here (:func:`ftmon.text.one_line`) and shown as plain
text, never markup. The main screen's status line shows the newest for a few seconds, covering
nothing; ``H`` opens the history with the time of each (``screens/messages.py``). Toasts are not
used: they covered the panes, help and the create form, and could not be read again.

Two notices about the same thing in quick succession (a cancel asked for, then the job seen
cancelled) are one event: a notice with the ``key`` of the one just before replaces it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.notifications import SeverityLevel
from textual.widget import Widget

from ftmon.text import one_line

#: How many notices the history keeps (the oldest go first).
HISTORY_LIMIT = 500
#: How long a notice stays on the status line, by severity.
SHOWN_FOR: dict[str, float] = {"information": 6.0, "warning": 10.0, "error": 15.0}
#: A notice with the key of the one before, within this many seconds, replaces it.
SAME_EVENT = 15.0
#: The longest notice kept (a line; the status line cuts it to its width, the history wraps it).
TEXT_WIDTH = 400


@dataclass(frozen=True)
class Notice:
    """One notice: when (the app's clock), how bad, a short title and the clean text."""

    at: float
    severity: SeverityLevel
    title: str
    text: str
    #: Seconds it stays on the status line.
    seconds: float
    key: str | None = None

    @property
    def line(self) -> str:
        """``Job succeeded: ftjob-… (suffix)``, or the text alone when there is no title."""
        return f"{self.title}: {self.text}" if self.title and self.text else self.title or self.text


Listener = Callable[[Notice], None]


class MessageLog:
    """The session's notices, newest last, bounded; listeners hear each as it is said."""

    def __init__(self, clock: Callable[[], float], *, limit: int = HISTORY_LIMIT) -> None:
        self._clock = clock
        self._notices: deque[Notice] = deque(maxlen=limit)
        self._listeners: list[Listener] = []

    def say(
        self,
        text: Any,
        severity: SeverityLevel = "information",
        *,
        title: Any = "",
        seconds: float | None = None,
        key: str | None = None,
    ) -> Notice:
        """Record a notice and tell the listeners; ``text`` and ``title`` are sanitised here."""
        notice = Notice(
            at=self._clock(),
            severity=severity,
            title=one_line(title, width=80),
            text=one_line(text, width=TEXT_WIDTH),
            seconds=SHOWN_FOR.get(severity, 6.0) if seconds is None else seconds,
            key=key,
        )
        last = self._notices[-1] if self._notices else None
        if (
            key is not None
            and last is not None
            and last.key == key
            and notice.at - last.at <= SAME_EVENT
        ):
            self._notices.pop()
        self._notices.append(notice)
        for listener in list(self._listeners):
            listener(notice)
        return notice

    @property
    def notices(self) -> tuple[Notice, ...]:
        """Oldest first."""
        return tuple(self._notices)

    def __len__(self) -> int:
        return len(self._notices)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear every notice from now on; returns the call that stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe


def message_log(node: App[Any] | Widget) -> MessageLog | None:
    """The app's log, when the app keeps one (``FtmonApp`` does)."""
    app = node if isinstance(node, App) else node.app
    log = getattr(app, "message_log", None)
    return log if isinstance(log, MessageLog) else None


def say(
    node: App[Any] | Widget,
    text: Any,
    severity: SeverityLevel = "information",
    *,
    title: Any = "",
    seconds: float | None = None,
    key: str | None = None,
) -> None:
    """A notice from any widget or screen: to the app's log, or (an app without one, such as a
    screen tested alone) to Textual's toast, as plain text."""
    log = message_log(node)
    if log is not None:
        log.say(text, severity, title=title, seconds=seconds, key=key)
        return
    node.notify(
        one_line(text, width=TEXT_WIDTH),
        title=one_line(title, width=80),
        severity=severity,
        markup=False,
    )
