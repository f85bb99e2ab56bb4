"""The ftmon Textual app: the engine's worker, keys in the order typed, and a clean end.

The app keeps what belongs to the whole program: the settings, the engine worker (restarted if
it stops on a bug), the key gate that serialises a burst of keys (:mod:`ftmon.tui.keygate`),
the hang-up and SIGTERM handlers, a crash report that cannot show the key, and the keys that
work everywhere (``ctrl+p``, ``ctrl+q``). The job list and its panes, with their keys, are the
:class:`~ftmon.tui.main_screen.MainScreen`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import rich
from rich.segment import Segments
from rich.traceback import Traceback
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.model import SelectorType
from textual.dom import DOMNode
from textual.reactive import Reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ftmon.alerts import Alerter
from ftmon.config import Settings
from ftmon.monitor.engine import Monitor
from ftmon.present.plot import ASCII_GLYPHS, UNICODE_GLYPHS, use_plot_glyphs
from ftmon.tui.bindings import expand_keymap
from ftmon.tui.glyphs import AsciiFilter, ascii_wanted, key_words, use_ascii_scrollbars
from ftmon.tui.hangup import watch_terminal_hangup
from ftmon.tui.keygate import KeyGate, KeyHandled
from ftmon.tui.main_screen import AGE_REFRESH, SELECT_DELAY, MainScreen
from ftmon.tui.messages import MessageLog
from ftmon.tui.notify import desktop_notification
from ftmon.tui.palette import TEXTUAL_COMMANDS_KEPT
from ftmon.tui.themes import ThemeMemory
from ftmon.tui.worker_errors import report_failure

#: Seconds a hung-up app has to end before its process is ended at once (a stuck loop).
HANGUP_GRACE = 5.0
#: The exit status after a SIGTERM, as a shell reports a process it ended (128 + 15).
TERMINATED = 128 + 15
#: Pause before restarting an engine that stopped on an unexpected error.
ENGINE_RESTART = 5.0
#: Seconds the app waits at exit for alerts still queued (a hang-up must end it within one).
ALERT_FLUSH = 0.5


class FtmonApp(App[int]):
    """ftmon on one API endpoint: the main screen over the engine's worker."""

    # Absolute, so that subclasses elsewhere (tests, tools) find it too.
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    TITLE = "ftmon"

    #: Whether the terminal has the focus (``ESC [ I`` / ``ESC [ O``, sent when the user switches
    #: windows). Textual 8.2.8 declares it ``Reactive(True, compute=False)``, which repaints the
    #: whole screen at every change: a full frame for cells that stay as they were (with
    #: ``MainBase.focused``, the other full repaint of a focus change: 11.8 KB at 80x24 before,
    #: 3.2 KB after). What the change does show is repainted by itself: the pane that loses or
    #: regains the focus (``:focus`` styles and its own refresh), and whatever a rule on the
    #: app's focus restyles. Textual's watcher still runs. tests/tui/test_app_focus.py fails if
    #: Textual's declaration changes (then this line may be stale).
    app_focus: Reactive[bool] = Reactive(True, compute=False, repaint=False)
    #: True while Textual's watcher answers a change of the terminal's focus (``update_styles``).
    _app_focus_changing = False

    def __init__(
        self,
        monitor: Monitor,
        *,
        settings: Settings | None = None,
        clock: Callable[[], float] = time.time,
        job_id: str | None = None,
        real_terminal: bool = False,
        handle_hangup: bool = False,
        age_refresh: float = AGE_REFRESH,
        select_delay: float = SELECT_DELAY,
        alerter: Alerter | None = None,
        ascii: bool | None = None,
        theme_state: Path | None = None,
        freeze_heap: bool = False,
    ) -> None:
        super().__init__()
        #: Move what start-up built out of the garbage collector's sight once the first frame is
        #: drawn (:meth:`_freeze_heap`); only for the process's one app, never in tests, where
        #: many apps come and go and frozen ones would never be freed.
        self.freeze_heap = freeze_heap
        self.monitor = monitor
        #: The user's ``[[alerts]]``: told of the jobs' ends, checkpoints and stalls while the
        #: app runs, in the background (none with ``--demo``).
        self.alerter = alerter
        self.settings = settings or monitor.client.settings
        #: Only ASCII on screen (``--ascii``, ``ascii = true``, ``TERM=linux``): one line filter.
        self.ascii = ascii_wanted(self.settings.ascii) if ascii is None else ascii
        if self.ascii:
            self._filters.append(AsciiFilter())
        # Plots drawn with ASCII markers read better than braille turned to ASCII afterwards.
        use_plot_glyphs(ASCII_GLYPHS if self.ascii else UNICODE_GLYPHS)
        use_ascii_scrollbars(self.ascii)
        #: The theme chosen in the palette, remembered per profile (``theme_state``: its file).
        self.theme_memory = ThemeMemory(theme_state, self.settings.profile)
        remembered = self.theme_memory.load()
        if remembered and remembered in self.available_themes:
            self.theme = remembered
        self.clock = clock
        self.real_terminal = real_terminal
        self.handle_hangup = handle_hangup
        self.engine_restart = ENGINE_RESTART
        self.animation_level = "none"
        self._hangup_installed = False
        #: Every notice of the session, said on the status line and kept for ``H``'s history.
        self.message_log = MessageLog(clock)
        self._main = MainScreen(
            monitor,
            self.settings,
            clock=clock,
            job_id=job_id,
            age_refresh=age_refresh,
            select_delay=select_delay,
            desktop_notify=self._desktop_notify,
        )
        #: Serialises keys so that a burst goes where each key sends focus.
        self.key_gate = KeyGate(self, super().on_event)
        self.set_keymap(expand_keymap(self.settings.keymap))

    @property
    def main(self) -> MainScreen:
        """The job list and its panes (the screen at the bottom of the stack)."""
        return self._main

    def get_default_screen(self) -> Screen[Any]:
        return self._main

    # -- keys ------------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        # A raw key from the terminal goes through the gate: one at a time, in the order typed.
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.key_gate.receive(event)
            return
        await super().on_event(event)

    def on_key_handled(self, message: KeyHandled) -> None:
        self.key_gate.settled(message.serial)

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(0)

    def get_key_display(self, binding: Binding) -> str:
        display = super().get_key_display(binding)
        # In ASCII an arrow would turn into a letter (``j, v`` for ``j, ↓``): words instead.
        return key_words(display) if self.ascii else display

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The main screen's actions that apply now, and of Textual's own entries only those
        that mean something here (``Theme``, ``Quit``): not "Keys" (help is ``?``), nor
        "Screenshot" or "Maximize"."""
        for command in super().get_system_commands(screen):
            if command.title in TEXTUAL_COMMANDS_KEPT:
                yield command
        if screen is self._main:
            yield from self._main.palette_commands()

    # -- the terminal's focus ----------------------------------------------------------------------

    def _watch_app_focus(self, focus: bool) -> None:
        # Textual 8.2.8's watcher restyles every node of the screen (for rules on the app's
        # focus, such as its own ``App:blur HeaderTitle``), then moves the focus: away on a blur
        # (remembered), back to that widget on a focus. A restyle that changes no style still
        # repaints: every scrollbar (its colour's setter refreshes it unconditionally), every
        # DataTable (``notify_style_update``). Textual's watcher does all of it as before;
        # ``update_styles`` only leaves out the screen-wide restyle when no rule could use it.
        self._app_focus_changing = True
        try:
            super()._watch_app_focus(focus)
        finally:
            self._app_focus_changing = False

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        if self._app_focus_changing and node is self.screen and not self._styled_by_app_focus(node):
            return
        super().update_styles(node, animate)

    def _styled_by_app_focus(self, screen: Screen[Any]) -> bool:
        """Whether a rule reads the app's ``:focus`` or ``:blur`` and may style a node of
        ``screen``: its selector names the app (by type, id or class, or ``*``) with either
        pseudo-class before the node it styles, and that node is a type on the screen (any other
        kind of subject counts as present: restyling too much costs bytes, too little shows a
        wrong look)."""
        app_types = {cls.__name__ for cls in type(self).__mro__}

        def names_app(selector: Any) -> bool:
            if selector.type == SelectorType.UNIVERSAL:
                return True
            if selector.type == SelectorType.TYPE:
                return selector.name in app_types
            if selector.type == SelectorType.ID:
                return selector.name == self.id
            return selector.name in self.classes

        for rule in self.stylesheet.rules:
            for selector_set in rule.selector_set:
                *before, subject = selector_set.selectors
                if not any(
                    selector.pseudo_classes & {"focus", "blur"} and names_app(selector)
                    for selector in before
                ):
                    continue
                if subject.type != SelectorType.TYPE or screen.query(subject.name):
                    return True
        return False

    # -- start and end -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self._start_engine()
        if self.alerter is not None:
            self.alerter.attach(self.monitor)
        if self.handle_hangup:
            self._install_hangup()
        if self.freeze_heap:
            self.call_after_refresh(self._freeze_heap)

    def _freeze_heap(self) -> None:
        """A full collection walks every object Python tracks, on whichever thread allocates
        and with every thread stopped: with the ~90,000 objects of the modules, the widgets
        and the styles ftmon has once started, each cost 50-110 ms of frozen screen (measured
        opening ``M`` on 10,000 jobs). They live as long as the app: ``gc.freeze`` leaves them
        out of every later collection; what the polls read later is still collected."""
        gc.freeze()

    async def on_unmount(self) -> None:
        if self._hangup_installed:
            for signum in (signal.SIGHUP, signal.SIGTERM):
                with contextlib.suppress(Exception):
                    asyncio.get_running_loop().remove_signal_handler(signum)
        if self.alerter is not None:
            # Briefly: a hang-up must still end the app within a second. What is left unsent
            # is not marked sent, so the next start sends it.
            await self.alerter.aclose(deadline=ALERT_FLUSH)

    def _remember_theme(self, theme: Any) -> None:
        """A theme chosen in the palette is this profile's from now on (a small state file)."""
        self.theme_memory.save(str(theme.name))

    def _install_hangup(self) -> None:
        """The SSH link dropping must end the app, not leave it spinning on a dead terminal; a
        SIGTERM (``kill``, a service manager) ends it as cleanly, giving the terminal back (the
        alternate screen left, the cursor shown, the modes Textual turned on turned off) with
        the exit status a shell expects of it (143)."""
        loop = asyncio.get_running_loop()
        if hasattr(signal, "SIGHUP"):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGHUP, self.exit, 0)
                loop.add_signal_handler(signal.SIGTERM, partial(self.exit, return_code=TERMINATED))
                self._hangup_installed = True
        watch_terminal_hangup(loop, partial(self.exit, 0), give_up_after=HANGUP_GRACE)

    def _fatal_error(self) -> None:
        """A crash report without local variables: they can hold request headers with the key.

        Textual's own report shows every frame's locals; under a request that includes the
        ``Authorization`` header. Everything else about the report is Textual's.
        """
        self.bell()
        report = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(report, self.console.options)))
        self._close_messages_no_wait()

    def _desktop_notify(self, title: str, body: str) -> None:
        """A desktop notification written to the terminal (OSC 9 / 777), on a real one only."""
        if self.real_terminal and not self.is_headless and self._driver is not None:
            self._driver.write(desktop_notification(title, body, tmux=bool(os.environ.get("TMUX"))))
            self._driver.flush()

    # -- the engine, and every worker's end ----------------------------------------------------

    def _start_engine(self) -> None:
        self.run_worker(
            self.monitor.run(),
            name="engine",
            group="engine",
            exclusive=True,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The engine stopping on a bug is said on the status line and the engine restarted;
        any other worker of the app's ends in :func:`report_failure`, as the screen's do."""
        main = self._main
        if not main.is_mounted or not main._panes_ready():
            return
        worker: Worker[Any] = event.worker
        if worker.group != "engine":
            report_failure(self, event)
        elif event.state == WorkerState.RUNNING:
            main.status_line.set_extra("")
        elif event.state == WorkerState.ERROR:
            # A bug, not an API error (those are health): say so and start again.
            main.status_line.set_extra(
                f"polling stopped ({type(worker.error).__name__}); "
                f"restarting in {self.engine_restart:g}s"
            )
            self.set_timer(self.engine_restart, self._start_engine)
