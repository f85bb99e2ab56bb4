"""The models view (``M``): the organisation's fine-tuned models joined with the jobs and
checkpoints that made them, as ``ftmon models`` lists them.

The read and the words are :mod:`ftmon.present.models`' (``read_inventory``,
``InventoryLayout``): the view shows the same lines as the command, with a cursor on the lines
that are about a job or a model. ``enter`` closes the view and puts the main list's cursor on the
job (the screen's result is its id); ``D`` deletes the model under the cursor after a dialog
that names it (not in read-only mode, so never on an archive); ``y`` copies its name.

The read runs in a worker (its requests bounded as the present module counts them); the join
and the listing's layout are built in a thread, and only the lines on show are worded
(:class:`~ftmon.present.models.InventoryLayout`), so a big organisation's listing does not
stall the screen: what stalled it was less the work on the loop than the garbage collector's
full passes over all that was held (10,000 parsed jobs, 30,000 worded lines), which block the
loop whichever thread allocated. A read that ends after the view is closed is dropped.
An API error goes to :mod:`ftmon.tui.worker_errors` and the status line says what failed; a
source without ``GET /models`` (an archive, Azure's flavour of the simulator) is said in words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from time import monotonic
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Key, Resize
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ftmon.api.client import FineTuningClient
from ftmon.api.errors import NotFoundError
from ftmon.present.models import (
    SHARE_READS,
    UNKNOWN_JOB_WHY,
    Inventory,
    InventoryLayout,
    InventoryLine,
    JobInfo,
    ModelRow,
    inventory_summary,
    is_base_model,
    read_inventory,
    read_sharing,
    unread_note,
)
from ftmon.text import local_time, one_line
from ftmon.tui.bindings import HELP_BINDING, MOVE_BINDINGS
from ftmon.tui.key_help import open_help
from ftmon.tui.messages import say
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.widgets.hint_footer import HintFooter
from ftmon.tui.widgets.scrolling import ThumbSync
from ftmon.tui.worker_errors import failure_text, report_failure

#: What the view says when the source serves no ``GET /models``.
NO_MODELS_ARCHIVE = "This archive holds no models list (GET /models): nothing to show."
NO_MODELS_ARCHIVE_WHY = "An archive keeps jobs, events and checkpoints; models are listed live."
NO_MODELS_API = "This API serves no models list (GET /models answered 404): nothing to show."

#: The confirm dialog's question says this after the model's name (as ``ftmon models rm``).
DELETE_CONSEQUENCE = "It stops answering at once and cannot be brought back; its job stays."


def delete_question(name: str, created: float | None) -> Text:
    """The delete dialog's question: the model by its whole name, and what happens."""
    question = Text("Delete model\n")
    question.append(one_line(name), style="bold")
    question.append(f"\ncreated {local_time(created)}?\n{DELETE_CONSEQUENCE}")
    return question


def _identity(line: InventoryLine) -> tuple[str, str]:
    """What a line is about, kept across a reload: a model by its name, a job by its id."""
    return _identity_of(line.row, line.job)


def _identity_of(row: ModelRow | None, job: JobInfo | None) -> tuple[str, str]:
    if row is not None:
        return ("model", row.model.id)
    return ("job", job.id if job is not None else "")


class _Worded(Sequence[InventoryLine]):
    """A layout's lines, each worded when first asked for and kept while asked for (the lines
    on show and the cursor's: the same line is the same object while it is)."""

    KEEP = 512

    def __init__(self, layout: InventoryLayout) -> None:
        self.inventory_layout = layout
        self._kept: LRUCache[int, InventoryLine] = LRUCache(self.KEEP)

    def __len__(self) -> int:
        return len(self.inventory_layout)

    def __getitem__(self, index: int) -> InventoryLine:  # type: ignore[override]
        if index < 0:
            index += len(self.inventory_layout)
        line = self._kept.get(index)
        if line is None:
            line = self._kept[index] = self.inventory_layout[index]
        return line


class ModelList(ThumbSync, ScrollView, can_focus=True):
    """The listing's lines, with a cursor that rests only on lines about a job or a model."""

    BINDINGS: ClassVar[list[BindingType]] = list(MOVE_BINDINGS)
    COMPONENT_CLASSES: ClassVar[set[str]] = {"model-list--cursor", "model-list--empty"}
    DEFAULT_CSS = """
    ModelList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .model-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
        & > .model-list--empty { color: $text-muted; text-style: italic; }
    }
    """  # noqa: E501

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: Sequence[InventoryLine] = []
        self.inventory_layout: InventoryLayout | None = None
        #: Indices of the lines the cursor may rest on.
        self.stops: list[int] = []
        self.stop = 0
        self.empty_text = "reading the models…"
        self._cache: LRUCache[tuple[int, int, bool], Strip] = LRUCache(256)

    def show(self, layout: InventoryLayout | None, *, keep: InventoryLine | None = None) -> None:
        """New lines (None: none); the cursor stays on the same model or job when it is still
        listed. Nothing is worded here: only the lines drawn are, as they are drawn."""
        self.inventory_layout = layout
        self.lines = _Worded(layout) if layout is not None else []
        self.stops = list(layout.stops) if layout is not None else []
        self.stop = 0
        if keep is not None and layout is not None:
            wanted = _identity(keep)
            for position, index in enumerate(self.stops):
                if _identity_of(*layout.about(index)) == wanted:
                    self.stop = position
                    break
        self.virtual_size = Size(max(0, self.scrollable_content_region.width), len(self.lines))
        self._cache.clear()
        self.refresh()
        self._scroll_to_cursor()

    @property
    def current(self) -> InventoryLine | None:
        if 0 <= self.stop < len(self.stops):
            return self.lines[self.stops[self.stop]]
        return None

    def _move_to(self, stop: int) -> None:
        if not self.stops:
            return
        stop = max(0, min(stop, len(self.stops) - 1))
        if stop != self.stop:
            old = self.stops[self.stop]
            was_model = self._about(old)[0] is not None
            self.stop = stop
            self.refresh_line(old)
            self.refresh_line(self.stops[stop])
            if (self._about(self.stops[stop])[0] is not None) != was_model:
                self.screen.refresh_bindings()  # delete applies to a model's line only
        self._scroll_to_cursor()

    def _about(self, index: int) -> tuple[ModelRow | None, JobInfo | None]:
        if self.inventory_layout is not None:
            return self.inventory_layout.about(index)
        return None, None

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0 or not self.stops:
            return
        index = self.stops[self.stop]
        top = round(self.scroll_y)
        if self.stop == 0:
            index = 0  # the header line above the first job stays in view
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif self.stops[self.stop] >= top + height:
            self.scroll_to(y=self.stops[self.stop] - height + 1, animate=False, immediate=True)

    def action_move(self, step: int) -> None:
        self._move_to(self.stop + step)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        if not self.stops:
            return
        target = self.stops[self.stop] + direction * height
        # The stop nearest the line a page away.
        best = min(range(len(self.stops)), key=lambda s: abs(self.stops[s] - target))
        self._move_to(best)

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.stops) - 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = max(0, self.scrollable_content_region.width)
        base = self.rich_style
        if not self.lines:
            if y == 0:
                style = self.get_component_rich_style("model-list--empty")
                return self._strip(Text(self.empty_text, style=style), width, base)
            return Strip.blank(width, base)
        if index >= len(self.lines):
            return Strip.blank(width, base)
        cursor = bool(self.stops) and index == self.stops[self.stop]
        key = (index, width, cursor and self.has_focus)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        text = self.lines[index].text.copy()
        text.truncate(width, overflow="ellipsis", pad=True)  # the cursor spans the whole row
        if cursor:
            text.stylize(self.get_component_rich_style("model-list--cursor"))
        strip = self._strip(text, width, base)
        self._cache[key] = strip
        return strip

    def _strip(self, text: Text, width: int, base: Style) -> Strip:
        text.truncate(width, overflow="ellipsis", pad=True)
        text.stylize_before(base)
        return Strip(text.render(self.app.console), width).crop_extend(0, width, base)


class ModelsScreen(Screen[str | None]):
    """The models view; dismissed with the id of the job to show, or None."""

    DEFAULT_CSS = """
    ModelsScreen { layout: vertical; }
    ModelsScreen #models-title { height: 1; padding: 0 1; text-style: bold; background: $panel; }
    ModelsScreen #models-list { height: 1fr; padding-left: 1; }
    ModelsScreen #models-status { height: auto; min-height: 1; padding: 0 1; color: $text-muted; }
    ModelsScreen #models-status.-error { color: $text-error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "close", id="models.close"),
        Binding("enter", "open_job", "show the job", id="models.open_job"),
        Binding("y", "copy", "copy", id="models.copy"),
        Binding("r", "reload", "reload", id="models.reload"),
        # One request a model (admin key): only when asked, as ``ftmon models --shared``.
        Binding("s", "read_sharing", "shared with", id="models.sharing"),
        # A capital, as a stray key of a burst is not one; asks first.
        Binding("D", "delete_model", "delete model", id="models.delete"),
        HELP_BINDING,
    ]

    def __init__(
        self,
        client: FineTuningClient,
        *,
        read_only: bool = False,
        archive: bool = False,
        shares_checkpoints: bool = True,
    ) -> None:
        super().__init__()
        self.client = client
        #: Whether ``s`` can read who each model is shared with: a provider that shares
        #: checkpoints (not Azure), an admin key, not an archive (it keeps no permissions list).
        self.can_read_sharing = (
            shares_checkpoints and bool(client.settings.admin_key) and not archive
        )
        self.read_only = read_only or archive
        self.archive = archive
        self.inventory: Inventory | None = None
        self._width = 0
        self._busy = False
        #: When the list (or why there is none) was first on show (monotonic, as Textual stamps
        #: keys); None before: keys typed earlier act on nothing (:meth:`on_key`).
        self.shown_at: float | None = None

    def compose(self) -> ComposeResult:
        title = "Fine-tuned models"
        if self.archive:
            title += " · archive"
        elif self.read_only:
            title += " · read-only"
        yield Static(Text(title, no_wrap=True, overflow="ellipsis"), id="models-title")
        yield ModelList(id="models-list")
        yield Static(Text("Reading the models…"), id="models-status")
        yield HintFooter()

    @property
    def model_list(self) -> ModelList:
        return self.query_one("#models-list", ModelList)

    def on_mount(self) -> None:
        self.model_list.focus()
        self._load()

    def _status(self, text: str, *, error: bool = False) -> None:
        widget = self.query_one("#models-status", Static)
        widget.update(Text(text))
        widget.set_class(error, "-error")

    # -- which keys apply --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete_model":
            if self.read_only:
                return False  # hidden: read-only mode, an archive
            line = self.model_list.current if self.is_mounted else None
            return line is not None and line.row is not None
        if action in ("open_job", "copy"):
            return self.is_mounted and self.model_list.current is not None
        if action == "read_sharing":
            return self.can_read_sharing and self.inventory is not None and not self._busy
        return True

    # -- reading -----------------------------------------------------------------------------

    @work(group="models-load", exclusive=True, exit_on_error=False, description="read the models")
    async def _load(self) -> None:
        self._status("Reading the models…")
        try:
            found = await read_inventory(self.client)
        except NotFoundError:
            if not self.is_attached:
                return
            text = NO_MODELS_ARCHIVE if self.archive else NO_MODELS_API
            self.model_list.empty_text = text
            self.model_list.show(None)
            self._status(NO_MODELS_ARCHIVE_WHY if self.archive else "")
            self._mark_shown()
            return
        if not self.is_attached:
            return  # the view was closed while it read: the answer is dropped
        self.inventory = found
        await self._draw()

    async def _draw(self) -> None:
        found = self.inventory
        if found is None:
            return
        listing = self.model_list
        width = max(20, listing.scrollable_content_region.width)
        self._width = width
        keep = listing.current
        # The join is done; the layout of a big organisation's listing takes a while: off the
        # loop (the lines are worded as they are drawn).
        layout: InventoryLayout | None = await asyncio.to_thread(InventoryLayout, found, width)
        if not self.is_attached:
            return  # closed while the layout was made: nothing to show it on
        if not found.groups and not found.unknown:
            listing.empty_text = "No fine-tuned models."
            layout = None
        listing.show(layout, keep=keep)
        words = inventory_summary(found)
        note = unread_note(found)
        self._status(words + (f" · {note}" if note else ""))
        self.refresh_bindings()
        self._mark_shown()

    def on_resize(self, event: Resize) -> None:
        self._redraw()

    @work(group="models-draw", exclusive=True, exit_on_error=False, description="draw the models")
    async def _redraw(self) -> None:
        width = max(20, self.model_list.scrollable_content_region.width)
        if self.inventory is not None and width != self._width:
            await self._draw()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "models-load":
            error = event.worker.error
            self.model_list.empty_text = "could not read the models"
            self.model_list.refresh()
            if error is not None:
                self._status(f"Could not read the models: {failure_text(error)}", error=True)
            self._mark_shown()
        report_failure(self, event)

    # -- actions -----------------------------------------------------------------------------

    def action_help(self) -> None:
        open_help(self)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_read_sharing(self) -> None:
        if self.inventory is None or not self.can_read_sharing or self._busy:
            return
        self._busy = True
        self.refresh_bindings()
        self._status(f"Reading who the models are shared with (up to {SHARE_READS} requests)…")
        self._read_sharing()

    @work(group="models-sharing", exit_on_error=False, description="read the models' sharing")
    async def _read_sharing(self) -> None:
        found = self.inventory
        try:
            if found is not None:
                await read_sharing(self.client, found.rows)
        finally:
            self._busy = False
        await self._draw()

    def action_reload(self) -> None:
        self._load()

    def action_open_job(self) -> None:
        line = self.model_list.current
        if line is None:
            return
        if line.job is None:
            self._status(f"Its job is unknown: {UNKNOWN_JOB_WHY}.")
            return
        self.dismiss(line.job.id)

    def action_copy(self) -> None:
        line = self.model_list.current
        if line is None:
            return
        text = one_line(_identity(line)[1])
        self.app.copy_to_clipboard(text)
        self._status(f"Copied {text}")
        say(self, f"Copied {text}")

    def _mark_shown(self) -> None:
        """The list (or why there is none) is on show: keys typed from now on act on it."""
        if self.shown_at is None:
            self.call_after_refresh(self._stamp_shown)

    def _stamp_shown(self) -> None:
        if self.shown_at is None:
            self.shown_at = monotonic()
            self.refresh_bindings()  # the footer once more, now that the list is drawn

    def _close_keys(self) -> list[str]:
        keys = self.app._keymap.get("models.close", "escape,q")
        return [key.strip() for key in keys.split(",")]

    def on_key(self, event: Key) -> None:
        """Keys typed before the list showed act on nothing (a burst's ``enter`` must not open
        a job it never saw), but for those that close the view; ``D`` where it does nothing
        says why: read-only."""
        if (self.shown_at is None or event.time < self.shown_at) and (
            event.key not in self._close_keys()
        ):
            event.prevent_default()
            event.stop()
            return
        if event.key not in self._delete_keys():
            return
        if self.read_only:
            self._status("read-only: deleting a model is off")
            event.prevent_default()

    def _delete_keys(self) -> list[str]:
        keys = self.app._keymap.get("models.delete", "D")
        return [key.strip() for key in keys.split(",")]

    def action_delete_model(self) -> None:
        line = self.model_list.current
        if self.read_only or line is None or line.row is None:
            return
        model = line.row.model
        if is_base_model(model.id):
            self._status(
                f"{one_line(model.id)} is one of OpenAI's models, not a fine-tuned one: "
                "only fine-tuned models (ft:...) can be deleted; nothing was sent",
                error=True,
            )
            return
        name = model.id

        def answered(yes: bool | None) -> None:
            if not yes:
                self._status("Nothing deleted.")
                return
            if self._busy:
                self._status("Still deleting the last one…")
                return
            self._busy = True
            self._status(f"Deleting {one_line(name)}…")
            self._delete(name)

        self.app.push_screen(
            ConfirmScreen(
                delete_question(name, model.created),
                yes_label="Delete model",
                no_label="Keep the model",
            ),
            answered,
        )

    @work(group="models-delete", exit_on_error=False, description="delete the model")
    async def _delete(self, name: str) -> None:
        try:
            deleted = await self.client.delete_model(name)
        finally:
            self._busy = False
        say(self, f"deleted {one_line(deleted.id)}", title="Model deleted")
        self._load()
