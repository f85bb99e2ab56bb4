"""Help's lists of keys beyond the main screen's own: each pane's and each other screen's, read
from the classes' own ``BINDINGS`` (so a key added to a screen is listed without a word here),
with the keys as the user's ``[keymap]`` has them.

Screens are found as the app's own subclasses of Textual's ``Screen`` (every one of them is
imported by the time help opens); :data:`SCREEN_TITLES` names them and orders them.

:func:`open_help` is ``?`` on every screen but the main one: the same help, at that screen's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from ftmon.tui.bindings import HELP_WORDS, MOVE_BINDINGS, PAN_BINDINGS
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.widgets.scrolling import KeyScroll

#: Rows of help: (keys, words).
Rows = list[tuple[str, str]]

#: Keys help writes as words, not as Textual's symbol (``⏎``).
KEY_WORDS = {"enter": "enter"}


def bound_keys(app: App[Any], binding: Binding) -> list[str]:
    """The keys of ``binding`` as the user's keymap has them."""
    keys = app._keymap.get(binding.id or "", binding.key)
    return [key.strip() for key in keys.split(",")]


def keys_as_mapped(app: App[Any], binding: Binding) -> str:
    """The keys of ``binding`` as the user's keymap has them, as help writes them."""
    return ", ".join(
        KEY_WORDS.get(key, app.get_key_display(binding.with_key(key)))
        for key in bound_keys(app, binding)
    )


#: The app's screens in help, in this order; one not named here is listed after them by its
#: class's name. The main screen and help itself are not (help lists the main screen's first).
SCREEN_TITLES: dict[str, str] = {
    "PermissionsScreen": "Checkpoint permissions",
    "CompareScreen": "Compare runs",
    "CreateJobScreen": "New job form",
    "RequestReview": "Review before creating a job",
    "EventDetailScreen": "One event, whole",
    "ModelsScreen": "Models",
    "MessagesScreen": "Notices",
    "ConfirmScreen": "Every question (cancel, pause, delete...)",
}
#: Screens help leaves out.
NOT_LISTED = frozenset({"MainScreen", "HelpScreen"})
#: Keys of the main screen's panes already listed with the screen's (movement, panning).
SHARED_IDS = frozenset(b.id for b in [*MOVE_BINDINGS, *PAN_BINDINGS] if b.id)
#: Keys a text field or form has that no binding declares.
EXTRA_ROWS: dict[str, Rows] = {
    "CreateJobScreen": [("tab, shift+tab", "next / previous field")],
}

KeysOf = Callable[[Binding], str]


def own_bindings(cls: type[object]) -> list[Binding]:
    """The bindings the app's own classes declare for ``cls`` (base classes first), none of
    Textual's defaults (a scroll view's arrows, a screen's tab)."""
    found: list[Binding] = []
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("ftmon."):
            continue
        for binding in klass.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding):
                found.append(binding)
    return found


def words(binding: Binding) -> str:
    """A key's words in help: :data:`HELP_WORDS`, its tooltip, or its footer words."""
    text = HELP_WORDS.get(binding.id or "") or binding.tooltip or binding.description
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def binding_rows(bindings: Sequence[Binding], keys_of: KeysOf, *, skip: frozenset[str]) -> Rows:
    """One row an action (its keys together), in declared order."""
    merged: dict[str, list[str]] = {}
    for binding in bindings:
        if binding.id in skip or binding.system:
            continue
        keys = merged.setdefault(words(binding), [])
        for key in keys_of(binding).split(", "):
            if key and key not in keys:
                keys.append(key)
    return [(", ".join(keys), text) for text, keys in merged.items() if keys]


def pane_rows(panes: Sequence[tuple[str, type[Widget]]], keys_of: KeysOf) -> Rows:
    """Each pane's own keys, its name before the words (``metrics: next series``)."""
    rows: Rows = []
    for name, cls in panes:
        for keys, text in binding_rows(own_bindings(cls), keys_of, skip=SHARED_IDS):
            rows.append((keys, f"{name}: {text}"))
    return rows


def app_screens() -> Iterator[type[Screen[Any]]]:
    """The app's own screens (every subclass of Textual's ``Screen`` in ftmon.tui) but those
    help leaves out."""
    seen: set[type[Screen[Any]]] = set()
    todo: list[type[Screen[Any]]] = [Screen]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
                if sub.__module__.startswith("ftmon.tui.") and sub.__name__ not in NOT_LISTED:
                    yield sub


def screen_sections(keys_of: KeysOf) -> list[tuple[str, Rows]]:
    """(title, rows) for every other screen of the app, in :data:`SCREEN_TITLES`' order."""
    order = list(SCREEN_TITLES)
    screens = sorted(
        app_screens(),
        key=lambda c: (order.index(c.__name__) if c.__name__ in order else len(order), c.__name__),
    )
    sections: list[tuple[str, Rows]] = []
    for cls in screens:
        rows = binding_rows(own_bindings(cls), keys_of, skip=frozenset())
        rows += EXTRA_ROWS.get(cls.__name__, [])
        if rows:
            title = SCREEN_TITLES.get(cls.__name__, cls.__name__.removesuffix("Screen"))
            sections.append((title, rows))
    return sections


def section_title(screen: Screen[Any]) -> str:
    """The title of ``screen``'s own keys in help."""
    name = type(screen).__name__
    return SCREEN_TITLES.get(name, name.removesuffix("Screen"))


def open_help(screen: Screen[Any]) -> None:
    """``?`` on ``screen`` (one over the main screen): the app's help, as the main screen opens
    it (every key as the user's keymap has them, the provider's statuses), scrolled so that
    ``screen``'s own keys are at its top; ``esc`` closes it back to ``screen``."""
    app = screen.app
    main = app.screen_stack[0] if app.screen_stack else None
    opens_help = getattr(main, "action_help", None)
    if main is not screen and callable(opens_help) and hasattr(main, "help_sections"):
        opens_help()
    else:  # no main screen under it (a screen tried on its own): the other screens' keys
        app.push_screen(HelpScreen([], screen_sections(partial(keys_as_mapped, app))))
    shown = app.screen_stack[-1]
    if isinstance(shown, HelpScreen):
        shown.call_after_refresh(scroll_to_section, shown, section_title(screen))


def scroll_to_section(help_screen: HelpScreen, title: str) -> None:
    """Scroll help so that the section called ``title`` starts at its top (if it has one)."""
    for static in help_screen.query(Static).filter(".title"):
        if str(static.content) == title:
            box = help_screen.query_one(KeyScroll)
            box.scroll_to_widget(static, top=True, animate=False)
            return
