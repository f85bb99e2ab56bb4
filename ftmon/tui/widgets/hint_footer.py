"""The footer: the keys that apply to the focused screen and pane, as many as fit, none cut.

Textual's ``Footer`` lays out every shown binding in one row and lets the terminal's edge cut the
last one mid-word (at 80 columns the main screen's ``new job`` became ``n new j``). This one
picks what fits: ``?`` help always, then the focused pane's own keys, then the screen's by their
rank in :data:`~ftmon.tui.bindings.FOOTER_RANK`; an item shows whole or not at all. What it
picks is shown in the same order (help last, at the right end), so a key that comes and goes
(cancel, once a job ends) does not shuffle the others.

Bindings of one :class:`~textual.binding.Binding.Group` (the tabs ``1``..``4``) read as one item,
``1-4 tabs``. Keys are shown as the user's keymap has them (Textual applies it to the
bindings before the footer sees them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.dom import DOMNode
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ftmon.tui.bindings import FOOTER_ALWAYS, FOOTER_PANE, FOOTER_RANK


@dataclass(frozen=True)
class Hint:
    """One item of the footer: a key (or a group's keys) and its words."""

    key: str
    key_display: str
    description: str
    action: str
    enabled: bool
    tooltip: str
    #: Lower is more important: dropped last when the row is short.
    rank: int
    #: Where it shows among the chosen ones.
    order: int

    @property
    def width(self) -> int:
        """Cells it takes in a compact footer: ``key description``."""
        if not self.description:
            return cell_len(self.key_display)
        return cell_len(self.key_display) + 1 + cell_len(self.description)


def _rank(binding: Binding, from_pane: bool, urgent: frozenset[str] = frozenset()) -> int:
    """Help first; then the pane's own keys and what the screen calls urgent now; then the
    screen's by FOOTER_RANK; the rest last."""
    name = binding.id or ""
    if name in FOOTER_ALWAYS:
        return -1
    if name in urgent:
        return FOOTER_RANK.index(FOOTER_PANE)
    if name in FOOTER_RANK:
        return FOOTER_RANK.index(name)
    if from_pane:
        return FOOTER_RANK.index(FOOTER_PANE)
    return len(FOOTER_RANK)


def _group_keys(displays: Sequence[str]) -> str:
    """``1-4`` for a run of digits, else the keys one after another (``abc``, ``f1/f2``)."""
    if len(displays) > 2 and all(len(d) == 1 and d.isdigit() for d in displays):
        numbers = [int(d) for d in displays]
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{displays[0]}-{displays[-1]}"
    if all(len(d) == 1 for d in displays):
        return "".join(displays)
    return "/".join(displays)


def footer_hints(
    active: Iterable[ActiveBinding],
    screen: DOMNode,
    key_display: Callable[[Binding], str],
    urgent: frozenset[str] = frozenset(),
) -> list[Hint]:
    """The footer's candidate items from a screen's active bindings (``key_display`` is the
    app's ``get_key_display``), one per action, a group's bindings as one; the binding ids in
    ``urgent`` rank with the focused pane's keys."""
    by_action: dict[str, tuple[ActiveBinding, list[str]]] = {}
    groups: dict[str, list[tuple[ActiveBinding, str]]] = {}
    order: dict[str, int] = {}
    for index, item in enumerate(active):
        binding = item.binding
        if not binding.show:
            continue
        shown = key_display(binding)
        if binding.group is not None:
            name = f"group:{binding.group.description}"
            groups.setdefault(name, []).append((item, shown))
            order.setdefault(name, index)
            continue
        if binding.action in by_action:
            continue  # a second key of one action (j and down): the first says it
        by_action[binding.action] = (item, [shown])
        order[binding.action] = index
    hints: list[Hint] = []
    for action, (item, displays) in by_action.items():
        binding = item.binding
        from_pane = item.node is not screen and item.node is not screen.app
        rank = _rank(binding, from_pane, urgent)
        hints.append(
            Hint(
                key=binding.key,
                key_display=displays[0],
                description=binding.description,
                action=action,
                enabled=item.enabled,
                tooltip=binding.tooltip,
                rank=rank,
                order=_order(rank, order[action]),
            )
        )
    for name, members in groups.items():
        # As declared (1 2 3 4), whatever keys the user's keymap put them on.
        members.sort(key=lambda member: _declared(member[0]))
        first, _ = members[0]
        group = first.binding.group
        assert group is not None
        from_pane = first.node is not screen and first.node is not screen.app
        ranks = [_rank(item.binding, from_pane, urgent) for item, _ in members]
        rank = min(ranks)
        hints.append(
            Hint(
                key=first.binding.key,
                key_display=_group_keys([shown for _, shown in members]),
                description=group.description,
                action=name,
                enabled=any(item.enabled for item, _ in members),
                tooltip=", ".join(f"{shown} {item.binding.description}" for item, shown in members),
                rank=rank,
                order=_order(rank, order[name]),
            )
        )
    return hints


def _declared(item: ActiveBinding) -> int:
    """Where a binding is declared in its node's ``BINDINGS``."""
    ids = [b.id for b in getattr(item.node, "BINDINGS", ()) if isinstance(b, Binding)]
    return ids.index(item.binding.id) if item.binding.id in ids else len(ids)


def _order(rank: int, index: int) -> int:
    """By rank (the pane's keys, then the screen's in FOOTER_RANK's order), a rank's keys as
    declared; what is always shown comes last (help at the right end)."""
    return (rank if rank >= 0 else 100_000) * 1_000 + index


def fit_hints(hints: Sequence[Hint], width: int) -> list[Hint]:
    """The most important hints that fit in ``width`` cells, one space apart, in their order."""
    chosen: list[Hint] = []
    used = 0
    for hint in sorted(hints, key=lambda h: (h.rank, h.order)):
        need = hint.width + (1 if chosen else 0)
        if used + need <= width:
            chosen.append(hint)
            used += need
    return sorted(chosen, key=lambda h: h.order)


class HintKey(FooterKey):
    """One item of the footer, whose enabled state can change in place."""

    def set_enabled(self, enabled: bool) -> None:
        """Greyed or not (``FooterKey`` takes this only when built): only this item repaints."""
        self._disabled = not enabled  # what a click reads (Textual 8.2.8's FooterKey)
        self.set_class(not enabled, "-disabled")


def _same_but_enabled(one: tuple[Hint, ...], other: tuple[Hint, ...]) -> bool:
    """The same items in the same places, whatever each one's enabled state."""
    return len(one) == len(other) and all(
        replace(a, enabled=True) == replace(b, enabled=True)
        for a, b in zip(one, other, strict=True)
    )


class HintFooter(Footer):
    """A compact footer of the keys that apply now, chosen to fit its width (no palette key).

    Textual's ``Footer`` recomposes on every refresh of the screen's bindings: every focus move,
    the terminal's focus coming back, a screen closed over it, each refresh a screen asks for.
    Many leave the items as they were, and a rebuild re-sends them all the same (the terminal's
    focus coming back cost 17.5 KB at 80x24 with it, 11.8 KB without). This one recomposes only
    when what it would show differs from what it shows: another item, key, description or
    order, or another width (a resize). An item greyed or made active again (a job's
    checkpoints known to be none) changes in place: only that item repaints.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True, show_command_palette=False)
        #: What the last compose laid out: its width and the items chosen (None: not yet).
        self._laid_out: tuple[int, tuple[Hint, ...]] | None = None
        self._check_pending = False
        #: What the last compose showed (for tests and the pty check): ``key description``.
        self.shown: list[str] = []

    def _width(self) -> int:
        return self.size.width or self.screen.size.width or self.app.size.width

    def _choose(self) -> tuple[int, tuple[Hint, ...]]:
        """The width to fill and the items that fit in it, from the screen's bindings now."""
        # A screen may name keys that matter more now (the main screen: compare, once two
        # jobs are marked); it refreshes its bindings when that changes.
        urgent = getattr(self.screen, "footer_urgent", None)
        hints = footer_hints(
            self.screen.active_bindings.values(),
            self.screen,
            self.app.get_key_display,
            urgent() if callable(urgent) else frozenset(),
        )
        width = self._width()
        return width, tuple(fit_hints(hints, width))

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._laid_out = layout = self._choose()
        _, chosen = layout
        self.shown = [f"{h.key_display} {h.description}".strip() for h in chosen]
        for hint in chosen:
            # The compact look by class, not data_bind: a bound reactive on the long-lived
            # footer is never released (Textual #6666), and the footer recomposes often.
            yield HintKey(
                hint.key,
                hint.key_display,
                hint.description,
                hint.action,
                disabled=not hint.enabled,
                tooltip=hint.tooltip,
                classes="-compact",
            )

    def bindings_changed(self, screen: Screen) -> None:
        """Textual's hook (the screen's bindings were refreshed): as ``Footer``'s, but the
        items are compared after the refresh and the footer rebuilt only if they differ."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._check_later()

    def on_resize(self, event: Resize) -> None:
        if self._bindings_ready:
            self._check_later()

    def _check_later(self) -> None:
        # Keys typed ahead refresh the bindings several times before one refresh: one check.
        if not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached or not self._bindings_ready:
            return
        layout = self._choose()
        if layout == self._laid_out:
            return
        keys = list(self.query(HintKey))
        if (
            self._laid_out is not None
            and layout[0] == self._laid_out[0]
            and _same_but_enabled(layout[1], self._laid_out[1])
            and len(keys) == len(layout[1])
        ):
            for key, hint in zip(keys, layout[1], strict=True):
                key.set_enabled(hint.enabled)
            self._laid_out = layout
            return
        await self.recompose()
