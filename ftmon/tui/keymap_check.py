"""Check a user's ``[keymap]`` before the app starts: unknown ids, keys Textual does not know,
and a remapped key that lands on another action's key.

Textual applies ``[keymap]`` without a word: a typo'd id is ignored, an empty key leaves the
default, and a remapped key that lands on another action's key silently takes it over (or is
hidden by it). :func:`keymap_problems` says all of that, reading every place of the app where
keys meet from the classes' own ``BINDINGS``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.keys import Keys, format_key, key_to_character

from ftmon.tui.app import FtmonApp
from ftmon.tui.bindings import PAIRS
from ftmon.tui.main_screen import MainScreen
from ftmon.tui.screens.compare import CompareScreen
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.create import CreateJobScreen
from ftmon.tui.screens.create_form import RequestReview
from ftmon.tui.screens.event_detail import EventDetailScreen
from ftmon.tui.screens.help import HelpScreen
from ftmon.tui.screens.messages import MessagesScreen
from ftmon.tui.screens.models import ModelList, ModelsScreen
from ftmon.tui.screens.permissions import PermissionsScreen
from ftmon.tui.widgets.checkpoints import CheckpointTable
from ftmon.tui.widgets.event_log import EventLog
from ftmon.tui.widgets.job_list import JobList
from ftmon.tui.widgets.metrics import MetricsView
from ftmon.tui.widgets.overview import JobOverview

#: Modifiers Textual puts in front of a key name (``ctrl+r``, ``shift+tab``).
_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


@dataclass(frozen=True)
class Layer:
    """The bindings of one node in Textual's binding chain (a pane, a screen, the app)."""

    name: str
    bindings: tuple[Binding, ...]


@dataclass(frozen=True)
class Place:
    """Where keys are looked up together: ``layers`` innermost first, as Textual asks them.

    ``focus`` names the pane that has focus (its keys win over the screen's and the app's), or
    is None when only the screen's and the app's keys apply.
    """

    screen: str
    focus: str | None
    layers: tuple[Layer, ...]


def _bindings_of(cls: type[Any]) -> tuple[Binding, ...]:
    """A node class's bindings as Textual merges them (base classes' included), one per key."""
    merged = cls._merge_bindings()
    return tuple(b for bindings in merged.key_to_bindings.values() for b in bindings)


@lru_cache(maxsize=1)
def binding_places() -> tuple[Place, ...]:
    """Every place of the app where keys meet, read from the classes' own ``BINDINGS``.

    The main screen: with nothing focused (the screen's keys and the app's) and with each pane
    focused (a focused widget's binding wins over the screen's). Full screens (compare,
    permissions, new job) see their own keys and the app's (not the main screen's); modal
    screens see only their own. The filter field is left out: a text field taking printable keys
    is what it is for.
    """
    palette = Binding(App.COMMAND_PALETTE_BINDING, "command_palette", "palette", priority=True)
    app = Layer("app", (*_bindings_of(FtmonApp), palette))
    main = Layer("main screen", _bindings_of(MainScreen))
    panes = {
        "job list": JobList,
        "overview": JobOverview,
        "events": EventLog,
        "metrics": MetricsView,
        "checkpoints": CheckpointTable,
    }
    places = [Place("main screen", None, (main, app))]
    for name, cls in panes.items():
        places.append(Place("main screen", name, (Layer(name, _bindings_of(cls)), main, app)))
    for name, cls in {
        "compare screen": CompareScreen,
        "permissions screen": PermissionsScreen,
        "new-job screen": CreateJobScreen,
    }.items():
        places.append(Place(name, None, (Layer(name, _bindings_of(cls)), app)))
    models = Layer("models screen", _bindings_of(ModelsScreen))
    places.append(Place("models screen", None, (models, app)))
    places.append(
        Place(
            "models screen",
            "model list",
            (Layer("model list", _bindings_of(ModelList)), models, app),
        )
    )
    modals: dict[str, type[Any]] = {
        "help screen": HelpScreen,
        "confirmation": ConfirmScreen,
        "request review": RequestReview,
        "event detail": EventDetailScreen,
        "notices": MessagesScreen,
    }
    for name, modal in modals.items():
        places.append(Place(name, None, (Layer(name, _bindings_of(modal)),)))
    return tuple(places)


def known_ids(places: Sequence[Place] | None = None) -> list[str]:
    """Every id a ``[keymap]`` entry may name, in the order the app declares them."""
    ids: dict[str, None] = {}
    for place in binding_places() if places is None else places:
        for layer in place.layers:
            ids.update((b.id, None) for b in layer.bindings if b.id)
    return list(ids)


@lru_cache(maxsize=1)
def _key_names() -> frozenset[str]:
    """Names of keys that have no character of their own (``up``, ``f5``, ``space``...)."""
    names = {key.value.rsplit("+", 1)[-1] for key in Keys if "<" not in key.value}
    # Characters whose Textual name does not turn back into the character.
    names |= {"slash", "backslash", "at", "minus", "plus", "underscore"}
    return frozenset(names)


def key_name_problem(key: str) -> str | None:
    """Why Textual would never see ``key`` (one key, already normalised), or None."""
    if not key:
        return "an empty key"
    *modifiers, base = key.split("+")
    unknown = [m for m in modifiers if m not in _MODIFIERS]
    if not base:
        return f"{_quoted(key)} is not a key: a modifier needs a key after it"
    if unknown:
        lower = key.lower()
        if lower != key and key_name_problem(lower) is None:
            return f"{_quoted(key)} is not a key (did you mean {_quoted(lower)}?)"
        return f"{_quoted(key)} is not a key: modifiers are {', '.join(sorted(_MODIFIERS))}"
    if base in _key_names() or key_to_character(base) is not None:
        return None
    hint = ""
    if base.lower() in _key_names() or key_to_character(base.lower()) is not None:
        hint = f" (did you mean {_quoted('+'.join([*modifiers, base.lower()]))}?)"
    else:
        close = difflib.get_close_matches(base, sorted(_key_names()), n=1)
        if close:
            hint = f" (did you mean {_quoted('+'.join([*modifiers, close[0]]))}?)"
    return f"{_quoted(key)} is not a key name Textual knows{hint}"


def _quoted(text: str) -> str:
    """A string as it would be written in the TOML file."""
    return json.dumps(text, ensure_ascii=False)


def _shown(key: str) -> str:
    """A key as the footer writes it (``?`` for ``question_mark``), arrows by name."""
    return key if key in {"up", "down", "left", "right"} else format_key(key)


def _normalise(keys: str) -> list[str]:
    """A keymap value as the app will use it (``?`` is ``question_mark``), one entry per key."""
    return App._normalize_keymap({"k": keys})["k"].split(",")


@dataclass(frozen=True)
class _Bound:
    layer: int
    binding: Binding
    #: The user's entry that put it here (its id), or None for a default key.
    entry: str | None


def _name(binding: Binding) -> str:
    return binding.id or f"{binding.action.split('.')[-1]} (a fixed key)"


def _label(bound: _Bound) -> str:
    """Who a clash is with: the user's entry, or the default binding (a pair as one)."""
    if bound.entry:
        return bound.entry
    for pair in PAIRS:
        if bound.binding.id in pair:
            return "/".join(pair)
    return _name(bound.binding)


def _same_action(a: Binding, b: Binding) -> bool:
    if a.id and a.id == b.id:
        return True
    if a.action.split(".")[-1] == b.action.split(".")[-1]:
        return True
    return any({a.id, b.id} == set(pair) for pair in PAIRS)


def _where(places: list[Place]) -> str:
    """``on the main screen``, ``in the job list and events panes``... in plain words."""
    parts: list[str] = []
    for screen in dict.fromkeys(p.screen for p in places):
        here = [p for p in places if p.screen == screen]
        if any(p.focus is None for p in here):
            parts.append(f"on the {screen}")
        else:
            names = [p.focus or "" for p in here]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"in the {listed} pane{'s' if len(names) > 1 else ''}")
    return "; ".join(parts)


def keymap_problems(keymap: Mapping[str, str], places: Sequence[Place] | None = None) -> list[str]:
    """What is wrong with a ``[keymap]`` table, one plain sentence each; empty when all is well.

    Unknown ids (with the closest known one), empty keys and key names Textual does not know,
    and clashes: two different actions on one key where both would be looked up (the same
    screen, or a pane and the screen/app keys behind it). The intended pairs (pause/resume) are
    not clashes, nor are the app's own default overlaps; a clash needs a remapped key.
    """
    places = binding_places() if places is None else places
    known = known_ids(places)
    problems: list[str] = []
    usable: dict[str, list[str]] = {}
    for entry, value in keymap.items():
        if entry not in known:
            close = difflib.get_close_matches(entry, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(f"{entry}: there is no such action{hint}")
            continue
        if not value.strip():
            hint = ' (the space bar is "space")' if value else ""
            problems.append(f"{entry} = {_quoted(value)}: no key given{hint}")
            continue
        keys = _normalise(value)
        bad = [p for p in (key_name_problem(k) for k in keys) if p]
        if "" in keys:
            bad = ['an empty key between commas (the "," key is "comma")'] + [
                p for p in bad if p != "an empty key"
            ]
        for problem in bad:
            problems.append(f"{entry} = {_quoted(value)}: {problem}")
        usable[entry] = [k for k in keys if not key_name_problem(k)]

    # An entry that gives an action its own default keys moves nothing: the app's layout
    # stands (``filter = "/"`` meets the event log's own ``/`` exactly as the defaults do).
    defaults: dict[str, set[str]] = {}
    for place in places:
        for layer in place.layers:
            for binding in layer.bindings:
                if binding.id:
                    defaults.setdefault(binding.id, set()).update(_normalise(binding.key))
    usable = {e: keys for e, keys in usable.items() if set(keys) != defaults.get(e)}
    # Pairs follow each other (expand_keymap), so an entry may move its partner too.
    moved: dict[str, tuple[str, list[str]]] = {e: (e, keys) for e, keys in usable.items()}
    for first, second in PAIRS:
        for given, partner in ((first, second), (second, first)):
            if given in usable and partner not in keymap:
                moved[partner] = (given, usable[given])

    clashes: dict[tuple[str, str, str], list[tuple[Place, _Bound, _Bound]]] = {}
    for place in places:
        on_key: dict[str, list[_Bound]] = {}
        for index, layer in enumerate(place.layers):
            seen: set[tuple[str | None, str]] = set()
            for binding in layer.bindings:
                user_entry: str | None
                if binding.id in moved:
                    user_entry, keys = moved[binding.id]
                else:
                    user_entry, keys = None, [binding.key]
                for key in keys:
                    if (binding.id or binding.action, key) in seen:
                        continue
                    seen.add((binding.id or binding.action, key))
                    on_key.setdefault(key, []).append(_Bound(index, binding, user_entry))
        for key, bound in on_key.items():
            for i, one in enumerate(bound):
                for other in bound[i + 1 :]:
                    if _same_action(one.binding, other.binding):
                        continue
                    if one.entry is None and other.entry is None:
                        continue  # the app's own layout: overlaps there are on purpose
                    names = (_label(one), _label(other))
                    clashes.setdefault((key, *names), []).append((place, one, other))

    for (key, _a, _b), seen_at in clashes.items():
        _place, one, other = seen_at[0]
        where = _where([p for p, _, _ in seen_at])
        shown = _shown(key)
        mine, theirs = (one, other) if one.entry is not None else (other, one)
        said = _said(mine, keymap)
        if theirs.entry is not None:
            text = f"{said} and {_said(theirs, keymap)} both put a key on {shown} {where}"
        else:
            text = f"{said}: {shown} is already the key of {_label(theirs)} {where}"
        if one.layer != other.layer:
            text += f"; there {shown} does {_label(_winner(one, other))}"
        else:
            text += ": one key cannot do both"
        problems.append(text)
    return problems


def _said(bound: _Bound, keymap: Mapping[str, str]) -> str:
    """The user's entry as they wrote it, and the partner that follows it, if any."""
    entry = bound.entry or ""
    text = f"{entry} = {_quoted(keymap[entry])}"
    for pair in PAIRS:
        if entry in pair:
            (partner,) = set(pair) - {entry}
            if partner not in keymap:
                text += f" (and {partner} with it)"
    return text


def _winner(one: _Bound, other: _Bound) -> _Bound:
    """Which of two bindings a key press runs: priority ones from the app down, then from the
    focused pane up (``one`` is the inner of the two)."""
    if one.binding.priority != other.binding.priority:
        return one if one.binding.priority else other
    if one.binding.priority:
        return other  # both priority: the outer one is asked first
    return one
