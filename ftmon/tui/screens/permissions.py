"""Share a job's checkpoints with other projects: list, add and remove checkpoint permissions.

These routes need an admin key, and their path takes the checkpoint's model name
(``ft:...:ckpt-step-N``), not its ``ftckpt_`` id. Without an admin key the screen says so and
sends nothing. Every API call runs in a named worker that cannot take the app down; failures are
shown in the screen's status line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from ftmon.api.client import FineTuningClient
from ftmon.api.errors import AuthenticationError, FtmonApiError, PermissionDeniedError
from ftmon.api.models import CheckpointPermission, FineTuningJobCheckpoint
from ftmon.text import cut_name, local_time, one_line
from ftmon.tui.bindings import HELP_BINDING
from ftmon.tui.key_help import open_help
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.widgets.hint_footer import HintFooter
from ftmon.tui.widgets.tables import RowTable

#: A project id as the API prints them; checked lightly so a typo is caught before a request.
PROJECT_ID = re.compile(r"^proj_[A-Za-z0-9_-]+$")
#: Pages of permissions fetched at most for one checkpoint (100 each): a loop guard.
MAX_PAGES = 50
PAGE_SIZE = 100

NO_ADMIN_KEY = (
    "Sharing checkpoints needs an admin key: set OPENAI_ADMIN_KEY, or admin_key in the config "
    "file. Nothing was requested."
)


def describe_error(exc: FtmonApiError) -> str:
    """The error's own line, plus which key to check when the server refused the key."""
    text = one_line(str(exc))
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        text += " · these calls use the admin key (OPENAI_ADMIN_KEY or admin_key)"
    return text


def parse_project_ids(raw: str) -> tuple[list[str], list[str]]:
    """``(ids, rejected)`` from text with ids separated by spaces and/or commas, deduplicated."""
    ids: list[str] = []
    rejected: list[str] = []
    for part in re.split(r"[\s,;]+", raw.strip()):
        if not part:
            continue
        target = ids if PROJECT_ID.match(part) else rejected
        if part not in target:
            target.append(part)
    return ids, rejected


class PermissionsScreen(Screen[None]):
    """The checkpoints of one job, and the projects the highlighted one is shared with."""

    DEFAULT_CSS = """
    PermissionsScreen {
        layout: vertical;
    }
    PermissionsScreen #perm-title {
        height: 1;
        padding: 0 1;
        text-style: bold;
        background: $panel;
    }
    PermissionsScreen .perm-heading {
        height: 1;
        padding: 0 1;
        margin-top: 1;
        color: $text-muted;
    }
    PermissionsScreen #perm-checkpoints {
        height: auto;
        max-height: 8;
    }
    PermissionsScreen #perm-projects {
        height: 1fr;
        min-height: 3;
    }
    PermissionsScreen #perm-message {
        height: auto;
        padding: 0 1;
    }
    PermissionsScreen #perm-add {
        display: none;
        height: auto;
        padding: 0 1;
    }
    PermissionsScreen #perm-add-label {
        width: auto;
        text-style: bold;
    }
    PermissionsScreen #perm-add-input {
        width: 1fr;
    }
    PermissionsScreen #perm-add.-open {
        display: block;
    }
    PermissionsScreen #perm-status {
        height: auto;
        min-height: 1;
        padding: 0 1;
    }
    PermissionsScreen #perm-status.-error {
        color: $text-error;
    }
    PermissionsScreen #perm-status.-ok {
        color: $text-success;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "add projects", id="permissions.add"),
        Binding("d", "delete", "remove", id="permissions.delete"),
        Binding("r", "reload", "reload", id="permissions.reload"),
        Binding("escape", "close", "close", id="permissions.close"),
        Binding("q", "close", "close", show=False),
        HELP_BINDING,
    ]

    def __init__(
        self,
        client: FineTuningClient,
        checkpoints: Sequence[FineTuningJobCheckpoint],
        *,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.client = client
        self.checkpoints = list(checkpoints)
        self.read_only = read_only
        self.has_admin_key = bool(client.settings.admin_key)
        #: Permissions of the highlighted checkpoint, as shown (row key = index).
        self.permissions: list[CheckpointPermission] = []
        self._shown_for: str | None = None
        self._requested_for: str | None = None
        self._busy = False

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        job = next((c.fine_tuning_job_id for c in self.checkpoints if c.fine_tuning_job_id), None)
        title = "Checkpoint permissions"
        if job:
            title += f" · {one_line(job)}"
        if self.read_only:
            title += " · read-only"
        yield Static(Text(title, no_wrap=True, overflow="ellipsis"), id="perm-title")
        yield Static(Text("Checkpoints"), classes="perm-heading")
        # Tables that j/k, g/G and the page keys move, as every list of the app.
        ckpts: RowTable[Text | str] = RowTable(
            id="perm-checkpoints", cursor_type="row", zebra_stripes=False
        )
        yield ckpts
        yield Static(Text("Shared with"), classes="perm-heading", id="perm-projects-heading")
        projects: RowTable[Text | str] = RowTable(id="perm-projects", cursor_type="row")
        yield projects
        message = Static(Text(""), id="perm-message")
        message.display = False
        yield message
        with Horizontal(id="perm-add"):
            yield Static(Text("Share with "), id="perm-add-label")
            yield Input(
                placeholder="proj_… project ids, separated by spaces or commas (enter adds)",
                id="perm-add-input",
                compact=True,
            )
        yield Static(Text(""), id="perm-status")
        yield HintFooter()

    def on_mount(self) -> None:
        self.query_one("#perm-add-input", Input).cursor_blink = False
        self._fill_checkpoints()
        ckpts = self.query_one("#perm-checkpoints", DataTable)
        projects = self.query_one("#perm-projects", DataTable)
        projects.add_column(Text("project"), key="project")
        projects.add_column(Text("permission"), key="permission")
        projects.add_column(Text("shared since"), key="since")
        if not self.checkpoints:
            self._message("This job has no checkpoints (yet): nothing to share.")
            projects.display = False
            self.query_one("#perm-projects-heading").display = False
        elif not self.has_admin_key:
            self._message(NO_ADMIN_KEY, error=True)
            projects.display = False
            self.query_one("#perm-projects-heading").display = False
        ckpts.focus()
        self.refresh_bindings()
        if self.checkpoints and self.has_admin_key:
            self._load_current()

    # -- state helpers -----------------------------------------------------------------------

    def current_checkpoint(self) -> FineTuningJobCheckpoint | None:
        if not self.checkpoints:
            return None
        row = self.query_one("#perm-checkpoints", DataTable).cursor_row
        if 0 <= row < len(self.checkpoints):
            return self.checkpoints[row]
        return None

    def current_model(self) -> str | None:
        """The highlighted checkpoint's model name: the permission routes' path segment."""
        ckpt = self.current_checkpoint()
        return ckpt.fine_tuned_model_checkpoint if ckpt is not None else None

    def current_permission(self) -> CheckpointPermission | None:
        table = self.query_one("#perm-projects", DataTable)
        row = table.cursor_row
        if table.row_count and 0 <= row < len(self.permissions):
            return self.permissions[row]
        return None

    def _fill_checkpoints(self) -> None:
        """The checkpoints' rows, each name cut in its middle to the screen's width, so that its
        ``ckpt-step-N`` always shows (``…:ckpt-step-30`` must not stand for step 300)."""
        ckpts = self.query_one("#perm-checkpoints", DataTable)
        keep = ckpts.cursor_row
        ckpts.clear(columns=True)
        steps = [str(c.step_number) if c.step_number is not None else "—" for c in self.checkpoints]
        step_width = max([len("step"), *(len(step) for step in steps)])
        # Each column has a cell of padding each side; a cell for a scrollbar.
        room = max(16, self.app.size.width - step_width - 4 - 1)
        ckpts.add_column(Text("step"), key="step", width=step_width)
        ckpts.add_column(Text("checkpoint model"), key="model")
        for index, (ckpt, step) in enumerate(zip(self.checkpoints, steps, strict=True)):
            model = one_line(ckpt.fine_tuned_model_checkpoint) or f"{one_line(ckpt.id)} (no model)"
            ckpts.add_row(Text(step, justify="right"), Text(cut_name(model, room)), key=str(index))
        if self.checkpoints:
            ckpts.move_cursor(row=min(keep, len(self.checkpoints) - 1), animate=False)
        self._filled_for = self.app.size.width

    def on_resize(self) -> None:
        if self.is_mounted and getattr(self, "_filled_for", None) != self.app.size.width:
            self._fill_checkpoints()

    def _message(self, text: str, *, error: bool = False) -> None:
        widget = self.query_one("#perm-message", Static)
        widget.update(Text(text, style="bold" if error else ""))
        widget.display = bool(text)

    def _status(self, text: str, kind: str = "") -> None:
        widget = self.query_one("#perm-status", Static)
        widget.update(Text(text))
        widget.set_class(kind == "error", "-error")
        widget.set_class(kind == "ok", "-ok")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add", "delete"):
            return not self.read_only and self.has_admin_key and bool(self.checkpoints)
        if action == "reload":
            return self.has_admin_key and bool(self.checkpoints)
        return True

    # -- loading -----------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "perm-checkpoints" and self.has_admin_key:
            if self.current_model() != self._requested_for:
                self._load_current()

    def _load_current(self) -> None:
        model = self.current_model()
        self._requested_for = model
        if model is None:
            self._show_permissions(None, [])
            self._status("This checkpoint has no model name, so it cannot be shared.", "error")
            return
        self._status("Loading…")
        self._load(model)

    @work(group="permissions-load", exclusive=True, exit_on_error=False)
    async def _load(self, model: str, *, after_change: bool = False) -> None:
        """Every page of the checkpoint's permissions; a newer load cancels this one.

        After an add or a delete (``after_change``) the list is refreshed quietly: the line
        that says what was done stays, and a failed refresh leaves the list as it was.
        """
        try:
            found = await self._fetch_all(model)
        except Exception as exc:  # a bug must not leave the screen half-drawn either
            if not after_change:
                self._show_permissions(model, [])
            message = (
                describe_error(exc)
                if isinstance(exc, FtmonApiError)
                else f"Unexpected error: {one_line(type(exc).__name__)}"
            )
            self._status(message, "error")
            return
        self._show_permissions(model, found)
        if after_change:
            return
        count = len(found)
        self._status(
            "Not shared with any project."
            if count == 0
            else f"Shared with {count} project{'s' if count != 1 else ''}."
        )

    async def _fetch_all(self, model: str) -> list[CheckpointPermission]:
        found: list[CheckpointPermission] = []
        seen: set[str] = set()
        after: str | None = None
        for _ in range(MAX_PAGES):
            page = await self.client.list_permissions(model, after=after, limit=PAGE_SIZE)
            fresh = [p for p in page.data if p.id not in seen]
            seen.update(p.id for p in fresh)
            found.extend(fresh)
            next_after = page.last_id or (page.data[-1].id if page.data else None)
            if not page.has_more or not fresh or not next_after or next_after == after:
                break
            after = next_after
        return found

    def _show_permissions(self, model: str | None, permissions: list[CheckpointPermission]) -> None:
        self._shown_for = model
        self.permissions = permissions
        heading = self.query_one("#perm-projects-heading", Static)
        # The model name is highlighted in the table above; the step is enough to tie them.
        ckpt = self.current_checkpoint()
        label = "Shared with"
        if model and ckpt is not None and ckpt.step_number is not None:
            label += f" · checkpoint at step {ckpt.step_number}"
        heading.update(Text(label))
        table = self.query_one("#perm-projects", DataTable)
        table.clear()
        for index, perm in enumerate(permissions):
            table.add_row(
                Text(one_line(perm.project_id) or "—"),
                Text(one_line(perm.id)),
                Text(local_time(perm.created_at)),
                key=str(index),
            )

    # -- actions -----------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.check_action("reload", ()):
            self._load_current()

    def action_add(self) -> None:
        if not self.check_action("add", ()) or self.current_model() is None:
            return
        box = self.query_one("#perm-add")
        box.add_class("-open")
        field = self.query_one("#perm-add-input", Input)
        field.focus()
        self._status(
            "Type project ids (proj_…), separated by spaces or commas; enter adds, esc cancels."
        )

    def _close_add(self) -> None:
        self.query_one("#perm-add").remove_class("-open")
        self.query_one("#perm-add-input", Input).value = ""
        self.query_one("#perm-checkpoints", DataTable).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        model = self.current_model()
        if model is None:
            return
        ids, rejected = parse_project_ids(event.value)
        if rejected:
            shown = ", ".join(one_line(r, width=40) for r in rejected[:3])
            self._status(f"Not a project id: {shown} (they look like proj_abc123).", "error")
            return
        if not ids:
            self._status("Type at least one project id (proj_…).", "error")
            return
        if self._busy:
            self._status("Still working on the last change…")
            return
        self._close_add()
        self._status(f"Adding {len(ids)} project{'s' if len(ids) != 1 else ''}…")
        self._busy = True
        self._add(model, ids)

    @work(group="permissions-change", exit_on_error=False)
    async def _add(self, model: str, ids: list[str]) -> None:
        try:
            created = await self.client.create_permissions(model, ids)
        except FtmonApiError as exc:
            self._status(describe_error(exc), "error")
            return
        except Exception as exc:
            self._status(f"Unexpected error: {one_line(type(exc).__name__)}", "error")
            return
        finally:
            self._busy = False
        names = ", ".join(one_line(p.project_id) for p in created.data) or ", ".join(ids)
        self._status(f"Shared with {names}.", "ok")
        self._reload_after_change(model)

    def action_delete(self) -> None:
        if not self.check_action("delete", ()):
            return
        model = self.current_model()
        perm = self.current_permission()
        if model is None or perm is None:
            self._status("No project selected to remove.", "error")
            return
        question = Text.assemble(
            "Stop sharing\n",
            (one_line(model), "bold"),
            "\nwith ",
            (one_line(perm.project_id) or one_line(perm.id), "bold"),
            "?\nThat project can no longer use this checkpoint; sharing it again takes an admin "
            "key.",
        )

        def answered(yes: bool | None) -> None:
            if not yes:
                self._status("Nothing removed.")
                return
            if self._busy:
                self._status("Still working on the last change…")
                return
            self._status(f"Removing {one_line(perm.project_id) or one_line(perm.id)}…")
            self._busy = True
            self._delete(model, perm)

        self.app.push_screen(
            ConfirmScreen(question, yes_label="Stop sharing", no_label="Keep sharing"), answered
        )

    @work(group="permissions-change", exit_on_error=False)
    async def _delete(self, model: str, perm: CheckpointPermission) -> None:
        try:
            await self.client.delete_permission(model, perm.id)
        except FtmonApiError as exc:
            self._status(describe_error(exc), "error")
            return
        except Exception as exc:
            self._status(f"Unexpected error: {one_line(type(exc).__name__)}", "error")
            return
        finally:
            self._busy = False
        self._status(f"Removed {one_line(perm.project_id) or one_line(perm.id)}.", "ok")
        self._reload_after_change(model)

    def _reload_after_change(self, model: str) -> None:
        """Refresh the list if the user is still on that checkpoint; keep the success line."""
        if self.current_model() == model:
            self._load(model, after_change=True)

    def action_help(self) -> None:
        open_help(self)

    def action_close(self) -> None:
        if self.query_one("#perm-add").has_class("-open"):
            self._close_add()
            self._status("")
            return
        self.dismiss(None)
