"""The lines around the panes: the header, the status line and the narrow layout's tab strip.

Nothing here writes to the terminal while all is well: the status line is hidden while the API
answers and nothing is said, and the header's pulse ("updated 14:03") changes once a minute. A
one-second look at the engine keeps the countdown and "for 40s" true while the API fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from ftmon.api.errors import FtmonApiError
from ftmon.monitor.health import Health
from ftmon.text import local_time, one_line
from ftmon.tui.bindings import MAIN_BINDINGS
from ftmon.tui.messages import Notice


class HeaderBar(Horizontal):
    """``ftmon · <profile · base URL>``, and ``read-only`` when it is; never a key. At its right
    end, :class:`Pulse`: when the API last answered."""

    DEFAULT_CSS = """
    HeaderBar { dock: top; height: 1; background: $panel; color: $foreground; padding: 0 1; }
    HeaderBar > #header-endpoint { width: 1fr; height: 1; background: $panel; }
    HeaderBar > Pulse { background: $panel; color: $text-muted; }
    """

    def __init__(self, endpoint: str, *, read_only: bool, id: str | None = None) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("ftmon", Style(bold=True))
        text.append(" · ")
        text.append(one_line(endpoint))
        if read_only:
            text.append("  read-only", Style(bold=True, color="yellow"))
        super().__init__(id=id)
        self._text = text
        self.plain = text.plain

    def compose(self) -> ComposeResult:
        yield Static(self._text, id="header-endpoint")
        yield Pulse(id="pulse")


class Pulse(Widget):
    """``updated 14:03``: the minute of the API's last good answer, so a frozen link and a quiet
    healthy one look different. It changes at most once a minute, and then repaints only its own
    13 cells (about 50 bytes): a fixed width, and a refresh without a layout, which would redraw
    the panes' scrollbars too (740 bytes measured)."""

    DEFAULT_CSS = """
    Pulse { width: 13; height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""

    def render(self) -> Text:
        return Text(self.text, no_wrap=True, overflow="crop")

    def set_time(self, timestamp: float | None) -> None:
        text = f"updated {local_time(timestamp)[11:16]}" if timestamp is not None else ""
        if text != self.text:
            self.text = text
            self.refresh()


class LinkProbe(Protocol):
    """What the status line reads of the engine on each tick (a ``Monitor`` is one)."""

    @property
    def health(self) -> Health: ...

    @property
    def polls_started(self) -> int: ...

    @property
    def polls_running(self) -> int: ...


#: How often the status line looks at the engine: its countdown moves in seconds.
TICK = 1.0


class StatusLine(Static):
    """The link's health and the newest notice; hidden while all is well and nothing is said,
    so that an idle screen is still.

    It reads the engine's health on each tick (the engine publishes a change of state, not each
    new backoff, so a copy would count down to 0 and stay there), tells a slow answer from a
    failed one, and shows a notice (:mod:`ftmon.tui.messages`) for a few seconds. The tick
    writes to the terminal only when its words change. It sits in the flow under the panes
    (not docked: it would lie under the docked footer), so it covers nothing.
    """

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; display: none; }
    StatusLine.-failing { display: block; background: $error-muted; color: $text; }
    StatusLine.-paused { display: block; background: $warning-muted; color: $text; }
    StatusLine.-slow { display: block; background: $warning-muted; color: $text; }
    StatusLine.-flash { display: block; background: $warning-muted; color: $text; }
    StatusLine.-note-information { display: block; background: $primary-muted; color: $text; }
    StatusLine.-note-warning { display: block; background: $warning-muted; color: $text; }
    StatusLine.-note-error { display: block; background: $error-muted; color: $text; }
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        probe: LinkProbe | None = None,
        pulse: Callable[[float | None], None] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(Text(""), id=id)
        self._clock = clock
        self._probe = probe
        self._pulse = pulse
        self.health = Health()
        self.text = ""
        self.extra = ""
        #: A short note (a notice, a refused action) until it times out.
        self.note = ""
        self._note_class = ""
        self._timer: Timer | None = None
        self._note_timer: Timer | None = None
        #: The poll seen running at the last tick, and since when (monotonic): a slow answer.
        self._poll_seen = -1
        self._poll_since = 0.0
        #: The client's last retry in a poll: the poll, its error, when it was said (the clock)
        #: and when it sends again (monotonic).
        self._retry: tuple[int, FtmonApiError, float, float] | None = None
        #: The link's state and our own note (an engine restart), as last said.
        self._state = ""

    def on_mount(self) -> None:
        if self._probe is not None:
            self._timer = self.set_interval(TICK, self._tick, name="status-tick")

    def set_health(self, health: Health) -> None:
        self.health = health
        self._tick()

    def set_extra(self, text: str) -> None:
        """A short note of our own (an engine restart), shown with the health."""
        self.extra = text
        self._tick()

    def flash(self, text: str, seconds: float, severity: str = "") -> None:
        """Show ``text`` for ``seconds`` (one timer, stopped when it fires)."""
        self.note = text
        if self._note_timer is not None:
            self._note_timer.stop()
        self._note_timer = self.set_timer(seconds, self._clear_note, name="status-note")
        if self._note_class:
            self.set_class(False, self._note_class)
        self._note_class = f"-note-{severity}" if severity else "-flash"
        self.set_class(True, self._note_class)
        self._tick()

    def show_notice(self, notice: Notice) -> None:
        """The newest notice, for as long as its severity asks."""
        self.flash(notice.line, notice.seconds, notice.severity)

    def _clear_note(self) -> None:
        self._note_timer = None
        self.note = ""
        if self._note_class:
            self.set_class(False, self._note_class)
            self._note_class = ""
        self._tick()

    @property
    def ticking(self) -> bool:
        """True while the line counts: the API failing, an answer slow, polling paused."""
        return self._timer is not None and bool(self.health_text)

    @property
    def health_text(self) -> str:
        health = self._retrying() or self.health
        return health.describe(self._clock(), self.resume_key(), waiting=self._waiting())

    def note_retry(self, error: FtmonApiError, delay: float, attempt: int = 0) -> None:
        """The client is about to send a request again (``FineTuningClient.on_retry``): said
        now, not only once its tries are spent, which took 10 s and more of 503s."""
        if self._probe is None:
            return
        now = self._clock()
        self._retry = (self._probe.polls_started, error, now, time.monotonic() + delay)
        if self.is_attached:
            self._tick()

    def _retrying(self) -> Health | None:
        """The health as the client's retries in the poll under way tell it, if they do."""
        probe, retry = self._probe, self._retry
        if probe is None or retry is None or not probe.polls_running:
            return None
        poll, error, said_at, again = retry
        if poll != probe.polls_started or self.health.state in ("paused", "auth"):
            return None
        answered = getattr(probe, "last_answer_at", None)
        if answered is not None and answered > said_at:
            return None  # another request was answered since: the server is back
        return Health(
            state="failing",
            last_ok=self.health.last_ok,
            error=str(error),
            retry_at=self._clock() + max(0.0, again - time.monotonic()),
            kind=error.kind,
            status_code=error.status_code,
        )

    def resume_key(self) -> str:
        """The key that resumes polling, as the user's keymap (``app._keymap``) has it."""
        binding = next(b for b in MAIN_BINDINGS if b.id == "resume_polling")
        if not self.is_attached:
            return binding.key
        app = self.app
        keymap: Mapping[str, str] = getattr(app, "_keymap", {})
        key = (keymap.get("resume_polling") or binding.key).split(",")[0].strip()
        return app.get_key_display(binding.with_key(key))

    def _waiting(self) -> float:
        """How long the poll in flight has waited for its answers (0 when none runs)."""
        probe = self._probe
        if probe is None or not probe.polls_running:
            self._poll_seen = -1
            return 0.0
        now = time.monotonic()
        if probe.polls_started != self._poll_seen:
            self._poll_seen = probe.polls_started
            self._poll_since = now
        return now - self._poll_since

    def _tick(self) -> None:
        if self._probe is not None:
            self.health = self._probe.health
        if self._pulse is not None:
            answered = getattr(self._probe, "last_answer_at", None)
            self._pulse(answered if answered is not None else self.health.last_ok)
        health = self._retrying() or self.health
        described = self.health_text
        failing = health.state in ("failing", "auth", "degraded") or bool(self.extra)
        self.set_class(failing, "-failing")
        self.set_class(health.state == "paused", "-paused")
        self.set_class(health.state == "ok" and bool(described), "-slow")
        self._state = " · ".join(p for p in (described, self.extra) if p)
        text = " · ".join(p for p in (self.note, self._state) if p)
        if text != self.text:
            self.text = text
            self._draw()

    def sync(self) -> None:
        """Read the engine now (after a batch of its changes), not at the next tick."""
        self._tick()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """The note, cut to leave room for the link's state, which is never cut (it fits 80
        columns alone): a long notice must not hide "server errors (503) · next try in 8s"."""
        width = self.content_size.width or 78
        state = Text(one_line(self._state))
        line = Text(no_wrap=True, overflow="ellipsis")
        if self.note:
            note = Text(one_line(self.note))
            room = width - (state.cell_len + 3 if state else 0)
            if state and room < 12:  # no room worth a note: the state alone
                note = Text("")
            elif note.cell_len > room:
                note.truncate(room, overflow="ellipsis")
            line.append_text(note)
            if note and state:
                line.append(" · ")
        line.append_text(state)
        self.update(line)


TAB_NAMES = ("overview", "events", "metrics", "checkpoints")
TAB_TITLES = {
    "overview": "Overview",
    "events": "Events",
    "metrics": "Metrics",
    "checkpoints": "Checkpoints",
}


class TabStrip(Static):
    """``1 Overview  2 Events  3 Metrics  4 Checkpoints`` with the active one marked.

    A plain line rather than Textual's ``Tabs``: no focus stop, no animated underline.
    """

    DEFAULT_CSS = """
    TabStrip { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.active = TAB_NAMES[0]
        self.keys: dict[str, str] = {name: str(i) for i, name in enumerate(TAB_NAMES, 1)}

    def on_mount(self) -> None:
        self._draw()

    def set_active(self, name: str) -> None:
        if name != self.active:
            self.active = name
            self._draw()

    def set_keys(self, keys: dict[str, str]) -> None:
        if keys != self.keys:
            self.keys = keys
            self._draw()

    def _draw(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        for name in TAB_NAMES:
            active = name == self.active
            key = self.keys.get(name, "")
            if key:
                text.append(f"{key} ", Style(dim=True))
            text.append(
                f" {TAB_TITLES[name]} ",
                Style(bold=True, reverse=True) if active else Style(),
            )
            text.append("  ")
        self.update(text)
