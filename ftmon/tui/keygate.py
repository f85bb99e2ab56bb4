"""Keys in the order they were typed, each going where the keys before it sent focus.

Textual hands a key to the focused widget's message queue and runs a binding only once the key
has bubbled back up to the app, so in a burst (keys typed ahead, or several read at once off a
slow SSH link) the keys after ``/`` are already on their way to the job list while ``/`` is
still opening the filter: ``/policy`` ran ``c`` (cancel) and ``y``. Inside a form, ``3 tab 8``
typed ``38``: the ``8`` overtook the ``tab`` that was bubbling up to its binding.

The gate lets one key through at a time. The next key is held until the one before has been
handled all the way: a marker message posted to the same widget right behind the key follows it
up the DOM, so when the marker reaches the app the key's handler and any binding it ran are done.
The focus or screen change it made is then allowed to take effect (one more turn of the app's
queue, and a pushed screen mounted) before the next key goes out. A lost marker (its widget
removed) cannot stall typing: a timer lets the next key through.

Screens that ask for a deliberate answer (confirmations) set ``drops_typed_ahead``: a key typed
before the screen was on show (``shown_at``) is dropped there, never taken as the answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import TYPE_CHECKING, Protocol

from textual import events
from textual.message import Message
from textual.timer import Timer

if TYPE_CHECKING:
    from textual.app import App

#: How long a key may stay unsettled before the next one goes out anyway (a lost marker).
SETTLE_TIMEOUT = 0.5
#: How long to wait for a pushed screen to mount before letting keys reach it anyway.
MOUNT_TIMEOUT = 2.0
#: How often to look whether a pushed screen has mounted.
MOUNT_POLL = 0.01


class GuardedScreen(Protocol):
    """A screen that takes no key typed before it was shown (see module docstring)."""

    drops_typed_ahead: bool
    #: When the screen was first on show (monotonic, as Textual stamps key events); None before.
    shown_at: float | None


class KeyHandled(Message):
    """Follows a key up the DOM: when it reaches the app, that key has been handled."""

    def __init__(self, serial: int) -> None:
        super().__init__()
        self.serial = serial


def typed_before_shown(screen: object, key: events.Key) -> bool:
    """True for a key that a guarded screen must not take: it was typed before it showed."""
    if not getattr(screen, "drops_typed_ahead", False):
        return False
    shown_at = getattr(screen, "shown_at", None)
    return shown_at is None or key.time < shown_at


class KeyGate:
    """One key at a time through ``dispatch`` (the app's own handling of a raw key)."""

    def __init__(self, app: App[object], dispatch: Callable[[events.Key], Awaitable[None]]) -> None:
        self._app = app
        self._dispatch = dispatch
        self._held: deque[events.Key] = deque()
        #: The serial of the key in flight, or None when the next key may go.
        self._in_flight: int | None = None
        self._serial = 0
        self._timeout: Timer | None = None
        self._mount_deadline = 0.0
        #: Keys dropped because a guarded screen was not yet on show (tests read it).
        self.dropped = 0

    @property
    def busy(self) -> bool:
        return self._in_flight is not None or bool(self._held)

    async def receive(self, key: events.Key) -> None:
        """A raw key from the terminal: send it now, or hold it behind the key in flight."""
        if self.busy:
            self._held.append(key)
            return
        await self._send(key)

    async def _send(self, key: events.Key) -> None:
        app = self._app
        screen = app.screen
        if typed_before_shown(screen, key):
            self.dropped += 1
            return
        self._serial += 1
        serial = self._in_flight = self._serial
        target = app.focused or screen
        await self._dispatch(key)
        if self._in_flight != serial:
            return  # settled already (the timeout fired while a binding ran)
        if key.is_forwarded:
            target.post_message(KeyHandled(serial))
            self._arm_timeout()
        else:
            # Taken by a priority binding on the app: already handled.
            self.settled(serial)

    def _arm_timeout(self) -> None:
        if self._timeout is not None:
            self._timeout.stop()
        self._timeout = self._app.set_timer(
            SETTLE_TIMEOUT, self._timed_out, name="key-gate-timeout"
        )

    def _timed_out(self) -> None:
        self._timeout = None
        if self._in_flight is not None:
            self.settled(self._in_flight)

    def settled(self, serial: int) -> None:
        """The key ``serial`` has been handled: let focus changes land, then send the next."""
        if serial != self._in_flight:
            return
        if self._timeout is not None:
            self._timeout.stop()
            self._timeout = None
        self._in_flight = None
        if self._held:
            self._in_flight = -1  # still busy: new keys queue behind the held ones
            self._mount_deadline = 0.0
            self._app.call_later(self._release)

    async def _release(self) -> None:
        """Send held keys, one at a time, once the screen that should get them has mounted."""
        app = self._app
        screen = app.screen
        if not screen.is_mounted:
            now = monotonic()
            if not self._mount_deadline:
                self._mount_deadline = now + MOUNT_TIMEOUT
            if now < self._mount_deadline:
                app.set_timer(MOUNT_POLL, self._release, name="key-gate-mount")
                return
        self._mount_deadline = 0.0
        self._in_flight = None
        while self._held and self._in_flight is None:
            await self._send(self._held.popleft())
