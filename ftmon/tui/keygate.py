"""Keys in the order they were typed, each going where the keys before it sent focus.

Textual hands a key to the focused widget's message queue and runs a binding only once the key
has bubbled back up to the app, so in a burst (keys typed ahead, or several read at once off a
slow SSH link) the keys after ``/`` are already on their way to the job list while ``/`` is
still opening the filter: ``/policy`` ran ``c`` (cancel) and ``y``. Inside a form, ``3 tab 8``
typed ``38``: the ``8`` overtook the ``tab`` that was bubbling up to its binding.

The gate lets one key through at a time. The next key is held until the one before has been
handled all the way: a marker message posted to the same widget right behind the key follows it
up the DOM, so when the marker reaches the app the key's handler and any binding it ran are done.
What that binding set going is then allowed to finish: the next key waits until a pushed screen
has mounted and no message that could move focus waits in the app's queue or along the key's
widget or the focused widget and their ancestors, so a focus change made by a callback, or by a
message such as the filter's ``Submitted`` (posted by ``enter``, handled a hop later), lands
before the next key is routed. Nothing can stall typing: past a short deadline the next key
goes out anyway.

Screens that ask for a deliberate answer (confirmations) set ``drops_typed_ahead``: a key typed
before the screen was on show (``shown_at``) is dropped there, never taken as the answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from time import monotonic
from typing import TYPE_CHECKING, Any

from textual import events, messages
from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.app import App

#: How often to look whether a late marker was lost (its widget removed) or is only slow.
SETTLE_CHECK = 0.25
#: The longest a key may stay unsettled before the next one goes out anyway.
SETTLE_CAP = 5.0
#: The longest the next key waits for the app to go quiet after a key (a screen to mount).
QUIET_TIMEOUT = 3.0
#: How often to look again, on a timer, whether the app has gone quiet after a key.
QUIET_POLL = 0.001


class KeyHandled(Message):
    """Follows a key up the DOM: when it reaches the app, that key has been handled."""

    def __init__(self, serial: int) -> None:
        super().__init__()
        self.serial = serial


def typed_before_shown(screen: object, key: events.Key) -> bool:
    """True for a key that a guarded screen must not take: it was typed before it showed.

    A guarded screen sets ``drops_typed_ahead`` and ``shown_at`` (when it was first on show,
    monotonic as Textual stamps key events; None before).
    """
    if not getattr(screen, "drops_typed_ahead", False):
        return False
    shown_at = getattr(screen, "shown_at", None)
    return shown_at is None or key.time < shown_at


class KeyGate:
    """One key at a time through ``dispatch`` (the app's own handling of a raw key)."""

    def __init__(self, app: App[Any], dispatch: Callable[[events.Key], Awaitable[None]]) -> None:
        self._app = app
        self._dispatch = dispatch
        self._held: deque[events.Key] = deque()
        #: The serial of the key in flight, or None when the next key may go.
        self._in_flight: int | None = None
        self._serial = 0
        self._timeout: Timer | None = None
        #: The widget the key in flight was sent to, and when (monotonic).
        self._target: Widget | None = None
        self._sent_at = 0.0
        #: After a key settles, the next one waits for quiet until then at most (monotonic).
        self._deadline = 0.0
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
        target = self._target = app.focused or screen
        await self._dispatch(key)
        if self._in_flight != serial:
            return  # settled already (the timeout fired while a binding ran)
        if key.is_forwarded:
            if not target.post_message(KeyHandled(serial)):
                self.settled(serial)  # the widget is closing: nothing will come back
                return
            self._sent_at = monotonic()
            self._arm_timeout()
        else:
            # Taken by a priority binding on the app: already handled.
            self.settled(serial)

    def _arm_timeout(self) -> None:
        if self._timeout is not None:
            self._timeout.stop()
        self._timeout = self._app.set_timer(
            SETTLE_CHECK, partial(self._app.call_later, self._timed_out), name="key-gate-timeout"
        )

    def _timed_out(self) -> None:
        """The marker is late. A busy app only delays it: wait on while the widget it went to
        is still there (up to a cap); a widget removed with the marker in its queue lost it."""
        self._timeout = None
        if self._in_flight is None or self._in_flight < 0:
            return
        target = self._target
        alive = target is not None and target.is_attached and not target._closing
        if alive and monotonic() - self._sent_at < SETTLE_CAP:
            self._arm_timeout()
            return
        self.settled(self._in_flight)

    def settled(self, serial: int) -> None:
        """The key ``serial`` has been handled: let what it started land, then send the next."""
        if serial != self._in_flight:
            return
        if self._timeout is not None:
            self._timeout.stop()
            self._timeout = None
        # Still busy until what the key started has landed, even with nothing held yet: a key
        # read a moment later (the next read of a slow link) must wait for it too.
        self._in_flight = -1
        self._deadline = monotonic() + QUIET_TIMEOUT
        self._app.call_later(self._release)

    async def _release(self) -> None:
        """Send held keys, one at a time, once the app is quiet (see the module docstring)."""
        app = self._app
        if monotonic() < self._deadline and not self._quiet():
            # A timer's callback runs in the timer's own task, which could look while the app
            # is midway through a message: look again from the app's own queue instead.
            app.set_timer(QUIET_POLL, partial(app.call_later, self._release), name="key-gate-quiet")
            return
        self._in_flight = None
        while self._held and self._in_flight is None:
            await self._send(self._held.popleft())

    def _quiet(self) -> bool:
        """True when the active screen has mounted and no message that could move focus waits.

        Such messages travel up from the widget the key went to (the filter's ``Submitted``)
        or reach the app (a callback that sets focus), so those are the queues looked at: the
        key's widget and its ancestors, the focused widget and its ancestors, and the app's.
        """
        app = self._app
        screen = app.screen
        if not screen.is_mounted:
            return False
        if _waiting(app, ignore=events.Key):
            return False
        nodes: set[MessagePump] = {screen}
        for start in (self._target, screen.focused):
            if start is not None:
                nodes.update(start.ancestors_with_self)
        nodes.discard(app)
        return not any(_waiting(node) for node in nodes)


#: Messages that redraw and never move focus: their presence does not hold a key back.
_HARMLESS = (messages.Prompt, messages.Update, messages.Layout, messages.UpdateScroll)


def _waiting(pump: MessagePump, ignore: type[Message] | None = None) -> bool:
    """Whether ``pump`` has a message queued that is not a redraw (nor of type ``ignore``).

    Reads (never changes) the deque of Textual's own message queue. A message already taken
    off a queue whose handler is still awaiting cannot be seen; the app's handlers that move
    focus do not await, so they finish before the next look.
    """
    queue: Any = pump._message_queue  # Textual's own Queue, read only
    if queue.empty():
        return False
    pending = getattr(queue, "values", None)
    if pending is None:
        return True  # a queue of another shape: treat anything in it as work
    for message in list(pending):
        if message is None or isinstance(message, _HARMLESS):
            continue
        if ignore is not None and isinstance(message, ignore):
            continue
        return True
    return False
