"""The lines around the panes: the header, the status line and the narrow layout's tab strip.

None of them ticks while all is well: the header never changes, the status line is hidden while
the API answers, and only while it fails does a one-second timer keep "no answer for 40s" true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.style import Style
from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from ftmon.monitor.health import Health
from ftmon.text import one_line
from ftmon.tui.bindings import MAIN_BINDINGS


class HeaderBar(Static):
    """``ftmon · <profile · base URL>``, and ``read-only`` when it is; never a key."""

    DEFAULT_CSS = """
    HeaderBar { dock: top; height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, endpoint: str, *, read_only: bool, id: str | None = None) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("ftmon", Style(bold=True))
        text.append(" · ")
        text.append(one_line(endpoint))
        if read_only:
            text.append("  read-only", Style(bold=True, color="yellow"))
        super().__init__(text, id=id)
        self.plain = text.plain


class StatusLine(Static):
    """The live state from the engine's health; hidden while healthy so an idle screen is still.

    It sits in the flow under the panes (not docked: it would lie under the docked footer).
    """

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; display: none; }
    StatusLine.-failing { display: block; background: $error-muted; color: $text; }
    StatusLine.-paused { display: block; background: $warning-muted; color: $text; }
    StatusLine.-flash { display: block; background: $warning-muted; color: $text; }
    """

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(Text(""), id=id)
        self._clock = clock
        self.health = Health()
        self.text = ""
        self.extra = ""
        #: A short note (a refused action, "read-only: cancel is off") until it times out.
        self.note = ""
        self._timer: Timer | None = None
        self._note_timer: Timer | None = None

    def set_health(self, health: Health) -> None:
        self.health = health
        failing = health.state in ("failing", "auth")
        self.set_class(failing, "-failing")
        self.set_class(health.state == "paused", "-paused")
        # A ticking timer only while failing: "no answer for 40s" must stay true.
        if failing and self._timer is None:
            self._timer = self.set_interval(1.0, self._tick, name="status-tick")
        elif not failing and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._tick()

    def set_extra(self, text: str) -> None:
        """A short note of our own (an engine restart), shown with the health."""
        self.extra = text
        self.set_class(bool(text) or self.health.state != "ok", "-failing")
        self._tick()

    def flash(self, text: str, seconds: float) -> None:
        """Show ``text`` for ``seconds`` (one timer, stopped when it fires: nothing ticks)."""
        self.note = text
        if self._note_timer is not None:
            self._note_timer.stop()
        self._note_timer = self.set_timer(seconds, self._clear_note, name="status-note")
        self.set_class(True, "-flash")
        self._tick()

    def _clear_note(self) -> None:
        self._note_timer = None
        self.note = ""
        self.set_class(False, "-flash")
        self._tick()

    @property
    def ticking(self) -> bool:
        return self._timer is not None

    def resume_key(self) -> str:
        """The key that resumes polling, as the user's keymap (``app._keymap``) has it."""
        binding = next(b for b in MAIN_BINDINGS if b.id == "resume_polling")
        if not self.is_attached:
            return binding.key
        app = self.app
        keymap: Mapping[str, str] = getattr(app, "_keymap", {})
        key = (keymap.get("resume_polling") or binding.key).split(",")[0].strip()
        return app.get_key_display(binding.with_key(key))

    def _tick(self) -> None:
        parts = [self.note, self.health.describe(self._clock(), self.resume_key()), self.extra]
        text = " · ".join(p for p in parts if p)
        if text != self.text:
            self.text = text
            self.update(Text(one_line(text), no_wrap=True, overflow="ellipsis"))


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
