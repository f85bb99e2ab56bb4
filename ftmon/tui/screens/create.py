"""Create a fine-tuning job: a form that checks every field, checks and uploads local files, and
shows the exact request before anything is sent.

Fields take text; :func:`ftmon.create.request.check_input` says what is wrong, and the reason is
shown under the field. A file field takes an uploaded file's id (or one picked from the list of
uploaded files) or a local path: on review a local file is checked line by line (problems shown at
the field with their line numbers; examples and an estimate of tokens and billed tokens when it
is fine), then uploaded with a determinate progress bar, and its id takes the path's place.
Before any upload, a reinforcement job's grader is checked by the API (the reason it refuses one
is shown at the grader field, and nothing is uploaded or sent).
The last step shows the request body as JSON; "Create job" sends exactly that.
The checks, uploads and sending are :class:`ftmon.create.flow.CreateFlow`'s (as for
``ftmon create``); this screen says at the fields what it reports.

Without ``on_submit`` the screen dismisses with the body and the caller sends it; with it, the
screen sends it and, if the API refuses, marks the field the API named and stays open.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Button, Input, ProgressBar, Select, Static, TextArea

from ftmon.api.client import FineTuningClient
from ftmon.api.errors import FtmonApiError
from ftmon.api.models import FileObject
from ftmon.api.status_rules import provider_rules
from ftmon.create.files import list_training_files
from ftmon.create.flow import Callbacks, CreateFlow, Refusal, Stage, Submit
from ftmon.create.request import (
    SUGGESTED_MODELS,
    CreateInput,
    JobCopy,
    check_input,
    copy_note,
    field_for_param,
    n_epochs_value,
)
from ftmon.datasets.formats import METHOD_LABELS, METHODS
from ftmon.datasets.problems import DatasetReport
from ftmon.datasets.summary import cost_line, problem_lines
from ftmon.present.provider import CREATION_CLOSED, creation_closed
from ftmon.text import clean, human_size, local_time, one_line
from ftmon.tui.bindings import HELP_BINDING
from ftmon.tui.key_help import open_help
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.create_form import (
    FILE_LABELS,
    Field,
    RequestReview,
    file_size,
    form_fields,
    upload_placeholder,
)
from ftmon.tui.widgets.hint_footer import HintFooter


class CreateJobScreen(Screen["dict[str, Any] | None"]):
    """The create-job form. Dismisses with the request body that was (or is to be) sent, or None.

    ``client`` lists uploaded files and uploads local ones; ``on_submit`` (optional) sends the body.
    """

    DEFAULT_CSS = """
    CreateJobScreen {
        layout: vertical;
    }
    CreateJobScreen #create-title {
        height: 1;
        padding: 0 1;
        text-style: bold;
        background: $panel;
    }
    CreateJobScreen #create-form {
        height: 1fr;
        padding: 0 1;
    }
    CreateJobScreen #create-copied {
        height: auto;
        max-width: 120;
        margin-top: 1;
        color: $text-warning;
    }
    CreateJobScreen Field, CreateJobScreen .heading {
        max-width: 120;
    }
    CreateJobScreen .heading {
        height: 1;
        margin-top: 1;
        text-style: bold;
    }
    CreateJobScreen Input, CreateJobScreen Select {
        width: 1fr;
    }
    CreateJobScreen #in-grader {
        height: 6;
        width: 1fr;
    }
    CreateJobScreen .only-dpo, CreateJobScreen .only-reinforcement {
        display: none;
    }
    CreateJobScreen.-dpo .only-dpo, CreateJobScreen.-reinforcement .only-reinforcement {
        display: block;
    }
    CreateJobScreen #create-progress {
        display: none;
        height: 1;
        padding: 0 1;
    }
    CreateJobScreen #create-progress.-busy {
        display: block;
    }
    CreateJobScreen #create-progress-label {
        width: auto;
        max-width: 50%;
        margin-right: 1;
    }
    CreateJobScreen #create-bottom {
        height: auto;
        padding: 0 1;
    }
    CreateJobScreen #create-status {
        width: 1fr;
        height: auto;
    }
    CreateJobScreen #create-status.-error {
        color: $text-error;
    }
    CreateJobScreen #create-bottom Button {
        margin-left: 2;
        width: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "review", "review & create", id="create.review", priority=True),
        Binding("escape", "close", "close", id="create.close"),
        # Not a priority key: in a text field ``?`` is typed, as every printable key (f1 helps).
        HELP_BINDING,
    ]

    AUTO_FOCUS = "#in-model"

    def __init__(
        self,
        client: FineTuningClient,
        *,
        initial: CreateInput | None = None,
        on_submit: Submit | None = None,
        models: Sequence[str] = SUGGESTED_MODELS,
        opening_note: str = "",
        source: JobCopy | None = None,
    ) -> None:
        if initial is None and source is not None:
            initial = source.input
        super().__init__(classes=f"-{(initial or CreateInput()).method}")
        #: The job this form was filled from (``N``), and what could not be copied from it.
        self.source = source
        self.client = client
        self.initial = initial or CreateInput()
        self.on_submit = on_submit
        self.models = list(models)
        self.busy = False
        #: Uploading or sending after Create job: closing now could not call it back.
        self.sending = False
        #: The files listed for picking, by id.
        self.uploaded: dict[str, FileObject] = {}
        #: The checked reports of local files, by field.
        self.reports: dict[str, DatasetReport] = {}
        self._stopping = False
        #: Values this screen put in a field itself (an upload's id): not a change by the user.
        self._placed: dict[str, str] = {}
        #: The form as it first showed: closing it unchanged needs no question.
        self.opened_with = self.initial
        #: What was typed when the form was closed unsent with changes (the app keeps it).
        self.draft: CreateInput | None = None
        #: The request body that was sent (or handed back), once it was.
        self.sent_body: dict[str, Any] | None = None
        #: Said on opening instead of the usual line (a reopened draft says so).
        self.opening_note = opening_note

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text(), no_wrap=True, overflow="ellipsis"), id="create-title")
        with VerticalScroll(id="create-form"):
            if self.source is not None:
                yield Static(Text(copy_note(self.source)), id="create-copied")
            yield from form_fields(self.initial, self.models)
        with Horizontal(id="create-progress"):
            yield Static(Text(""), id="create-progress-label")
            yield ProgressBar(total=100, show_eta=False, id="create-progress-bar")
        with Horizontal(id="create-bottom"):
            yield Static(Text(""), id="create-status")
            yield Button(Content("Cancel"), id="create-cancel", variant="default", compact=True)
            yield Button(
                Content("Review & create"), id="create-review", variant="primary", compact=True
            )
        yield HintFooter()

    def action_help(self) -> None:
        open_help(self)

    def title_text(self) -> str:
        """The form's title: the job it was filled from, when it was."""
        if self.source is None:
            return "Create a fine-tuning job"
        suffix = one_line(self.source.input.suffix, width=40)
        return f"New job like {self.source.source}" + (f" ({suffix})" if suffix else "")

    def on_mount(self) -> None:
        self._status(self.opening_note or "Nothing is uploaded or created yet.")
        if not self.initial.grader:
            self.query_one("#in-grader", TextArea).text = ""
        self.opened_with = self.read_input()
        self._load_files()

    def on_unmount(self) -> None:
        self._stopping = True  # a running file check stops at its next progress report

    # -- reading and marking fields -----------------------------------------------------------

    def field(self, name: str) -> Field:
        return self.query_one(f"#field-{name}", Field)

    def read_input(self) -> CreateInput:
        """The form's values as typed."""
        values: dict[str, Any] = {}
        for name in CreateInput.field_names():
            if name == "method":
                value = self.query_one("#in-method", Select).value
                values[name] = value if isinstance(value, str) else "supervised"
            elif name == "reasoning_effort":
                value = self.query_one("#in-reasoning_effort", Select).value
                values[name] = value if isinstance(value, str) else ""
            elif name == "grader":
                values[name] = self.query_one("#in-grader", TextArea).text
            else:
                values[name] = self.query_one(f"#in-{name}", Input).value
        return CreateInput(**values)

    def show_errors(self, errors: dict[str, str]) -> None:
        for widget in self.query(Field):
            widget.show_error(errors.get(widget.field_name))

    def _status(self, text: str, *, error: bool = False) -> None:
        try:
            status = self.query_one("#create-status", Static)
        except NoMatches:
            return  # a worker finishing after the screen closed
        status.update(Text(clean(text, multiline=True)))
        status.set_class(error, "-error")

    def _visible_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """Errors of fields that the chosen method shows (others are not sent)."""
        return {name: reason for name, reason in errors.items() if self.field(name).display}

    def _focus_field(self, name: str) -> None:
        field = self.field(name)
        target = field.query("Input, Select, TextArea").first()
        target.focus()
        field.scroll_visible(animate=False)

    # -- events ---------------------------------------------------------------------------------

    @on(Select.Changed, "#in-method")
    def _method_changed(self, event: Select.Changed) -> None:
        for method in METHODS:
            self.set_class(event.value == method, f"-{method}")

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        select_id = event.select.id or ""
        if not select_id.startswith("pick-") or not isinstance(event.value, str):
            return
        name = select_id.removeprefix("pick-")
        self.query_one(f"#in-{name}", Input).value = event.value
        self.field(name).show_note(self._file_note(event.value))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("in-")
        if self._placed.get(name) == event.value:
            del self._placed[name]
            return
        if name in FILE_LABELS:
            self.reports.pop(name, None)
            self.field(name).show_note(self._file_note(event.value.strip()))
        if name and self.query(f"#field-{name}") and self.field(name).error:
            # Once marked, a field says as it is typed when it becomes right.
            self.field(name).show_error(check_input(self.read_input()).errors.get(name))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "create-review":
            self.action_review()
        elif event.button.id == "create-cancel":
            self.action_close()

    def _file_note(self, value: str) -> str:
        item = self.uploaded.get(value)
        if item is None:
            return ""
        return f"uploaded file {one_line(item.filename, width=50)} · {human_size(item.bytes)}"

    # -- uploaded files ------------------------------------------------------------------------

    @work(group="create-files", exclusive=True, exit_on_error=False)
    async def _load_files(self) -> None:
        try:
            files = await list_training_files(self.client, limit=200)
        except FtmonApiError as exc:
            self._set_pickers([], f"uploaded files could not be listed: {one_line(exc, width=60)}")
            return
        except Exception as exc:  # a bug must not leave the form half-drawn
            self._set_pickers([], f"uploaded files could not be listed ({type(exc).__name__})")
            return
        self.uploaded = {f.id: f for f in files}
        prompt = "or pick an uploaded file…" if files else "no uploaded training files yet"
        self._set_pickers(files, prompt)

    def _set_pickers(self, files: list[FileObject], prompt: str) -> None:
        options = [(self._file_option(f), f.id) for f in files]
        for name in FILE_LABELS:
            picker = self.query_one(f"#pick-{name}", Select)
            picker.set_options(options)
            picker.prompt = prompt

    @staticmethod
    def _file_option(item: FileObject) -> Text:
        when = local_time(item.created_at)[:16]
        words = [one_line(item.id), one_line(item.filename, width=40), human_size(item.bytes), when]
        return Text(" · ".join(words))

    # -- review, check, upload, confirm, send --------------------------------------------------

    def action_review(self) -> None:
        if self.busy:
            self._status("Still working on the files…")
            return
        inp = self.read_input()
        checked = check_input(inp)
        errors = self._visible_errors(checked.errors)
        self.show_errors(errors)
        if errors:
            count = len(errors)
            self._status(
                f"{count} field{'s' if count != 1 else ''} to fix before anything is sent.",
                error=True,
            )
            self._focus_field(next(iter(errors)))
            return
        self.busy = True
        self._prepare(inp, checked.local_files())

    @work(group="create-prepare", exclusive=True, exit_on_error=False)
    async def _prepare(self, inp: CreateInput, local: dict[str, Path]) -> None:
        """Check local files and the grader, then show the request for confirmation.

        Nothing leaves the machine here but the grader check: local files are uploaded only
        once the user confirms the request (:meth:`_send`), so backing out leaves nothing behind.
        """
        flow = self._flow(inp, local)
        try:
            checked = await self._check_all(flow)
        except Exception as exc:  # anything unexpected: said, never fatal
            self._status(f"Unexpected error: {one_line(exc) or type(exc).__name__}", error=True)
            checked = False
        finally:
            self.busy = False
            self._progress(None)
        if not checked:
            return
        placeholders = {name: upload_placeholder(path) for name, path in local.items()}
        body = flow.body(placeholders)
        train = self.reports.get("training_file")
        notes = [cost_line(train, n_epochs_value(inp))] if train is not None else []
        uploads = [
            f"{one_line(p.name, width=40)} ({human_size(file_size(p))})" for p in local.values()
        ]
        if uploads:
            notes.append(
                f"Create job uploads {', '.join(uploads)} first; its id takes the <upload …> place."
            )
        cost = "\n".join(notes)
        if self.app.screen is not self or self._stopping:
            # The user is answering another question (close the form?): do not cover it.
            self._status("Checked: review again to see the request.")
            return
        self._status("Nothing is uploaded or sent before Create job.")
        self.app.push_screen(
            RequestReview(body, cost), lambda yes: self._confirmed(inp, local, yes)
        )

    async def _check_all(self, flow: CreateFlow) -> bool:
        """True when every local file and the grader pass (problems marked at their fields)."""
        if await flow.check_files() is None:
            return False
        try:
            verdict = await flow.check_grader()
        except FtmonApiError as exc:
            self._status(
                f"The grader could not be checked: {one_line(exc)}. Nothing was uploaded or sent.",
                error=True,
            )
            return False
        if verdict is None:
            return False
        if flow.inp.method == "reinforcement":
            self.field("grader").show_note(verdict.skipped)
        return True

    # -- what the create flow says, at the fields --------------------------------------------

    def _flow(self, inp: CreateInput, local: dict[str, Path]) -> CreateFlow:
        """The create flow for ``inp``, telling this form what it does."""

        def checked(stage: Stage, report: DatasetReport) -> None:
            name = stage.field or ""
            self.reports[name] = report
            self.field(name).show_note(cost_line(report, n_epochs_value(inp)))

        def progress(stage: Stage, done: int, total: int) -> None:
            if not self._stopping:  # the screen may be gone: then a check stops instead
                self._progress(stage.label(width=30), done, total)

        callbacks = Callbacks(
            on_stage=self._stage_began,
            on_progress=progress,
            on_stage_end=lambda stage: self._progress(None),
            on_checked=checked,
            on_uploaded=self._uploaded,
            on_refused=self._refused,
            should_stop=lambda: self._stopping,
        )
        return CreateFlow(self.client, inp, local, callbacks)

    def _stage_began(self, stage: Stage) -> None:
        label = stage.label(width=30)
        self._status(f"{label}…")
        if stage.path is not None:
            self._progress(label, 0, 1)

    def _uploaded(self, stage: Stage, uploaded: FileObject) -> None:
        name = stage.field or ""
        self.uploaded[uploaded.id] = uploaded
        self._placed[name] = uploaded.id
        self.query_one(f"#in-{name}", Input).value = uploaded.id
        self.field(name).show_note(f"uploaded as {uploaded.id}")

    def _refused(self, refusal: Refusal) -> None:
        field, path = self.field(refusal.field), refusal.path
        if refusal.stage.kind == "upload":
            self._upload_failed(refusal.field, one_line(refusal.reason))
        elif refusal.kind == "unreadable" and path is not None:
            field.show_error(f"cannot read {one_line(path)}: {refusal.reason}")
            self._status("A file could not be read; nothing was sent.", error=True)
        elif refusal.kind == "problems" and path is not None and refusal.report is not None:
            report = refusal.report
            count = report.problem_count
            method = METHOD_LABELS[report.method]
            lines = [f"{count:,} problem{'s' if count != 1 else ''} for {method}:"]
            lines += problem_lines(report, limit=4, width=120)
            field.show_error("\n".join(lines))
            self._status(
                f"{one_line(path.name)} has problems: fix the file (or choose the method it was "
                "written for); nothing was uploaded.",
                error=True,
            )
            self._focus_field(refusal.field)
        else:  # the API refused the grader
            field.show_error(refusal.reason)
            self._status("The API refused the grader: nothing was uploaded or sent.", error=True)
            self._focus_field(refusal.field)

    def _upload_failed(self, name: str, reason: str) -> None:
        self.field(name).show_error(f"upload failed: {reason}")
        self._status("An upload failed; nothing was created.", error=True)

    def _progress(self, label: str | None, done: int = 0, total: int = 1) -> None:
        """A determinate bar while checking or uploading; hidden (and still) otherwise."""
        try:
            box = self.query_one("#create-progress")
        except NoMatches:
            return  # a progress report arriving after the screen closed
        if label is None:
            box.remove_class("-busy")
            return
        self.query_one("#create-progress-label", Static).update(
            Text(f"{label} {human_size(done)} of {human_size(total)}")
        )
        self.query_one("#create-progress-bar", ProgressBar).update(
            total=max(1, total), progress=done
        )
        box.add_class("-busy")

    def _confirmed(self, inp: CreateInput, local: dict[str, Path], yes: bool | None) -> None:
        if not yes:
            self._status("Not sent: nothing was uploaded or created.")
            return
        self.busy = True
        self._send(inp, local)

    @work(group="create-send", exclusive=True, exit_on_error=False)
    async def _send(self, inp: CreateInput, local: dict[str, Path]) -> None:
        """Upload the local files, then send the request with their ids."""
        self.sending = True
        flow = self._flow(inp, local)
        try:
            try:
                ids = await flow.upload_files()
            except FtmonApiError as exc:
                field = flow.stage.field if flow.stage is not None else None
                self._upload_failed(field or "training_file", one_line(exc))
                return
            if ids is None:
                return
            body = flow.body(ids)
            self.sent_body = body
            if self.on_submit is None:
                self.dismiss(body)
                return
            try:
                await flow.create(body, submit=self.on_submit)
            except FtmonApiError as exc:
                if creation_closed(exc, provider_rules(self.client.settings)):
                    # OpenAI's wind-down: the API's words, then what they mean.
                    self._status(f"Not created: {one_line(exc)}\n{CREATION_CLOSED}", error=True)
                    return
                field = field_for_param(exc.api_param)
                reason = one_line(exc.api_message or exc)
                if field is not None:
                    self.field(field).show_error(f"the API refused it: {reason}")
                    self._focus_field(field)
                self._status(f"Not created: {one_line(exc)}", error=True)
                return
        except Exception as exc:
            self._status(f"Not created: unexpected {type(exc).__name__}", error=True)
            return
        finally:
            self.busy = False
            self.sending = False
        self.dismiss(body)

    @property
    def changed(self) -> bool:
        """True when the form holds something the user typed (not as it was opened)."""
        return self.read_input() != self.opened_with

    def action_close(self) -> None:
        """Close unsent; with changes, only after asking (what was typed is kept as a draft)."""
        if self.sending:
            self._status("Uploading and creating the job: it cannot be called back now.")
            return
        if not self.changed:
            self._discard()
            return
        question = (
            "Close this form without creating the job? What you typed is kept until ftmon "
            "quits: the new-job key opens it again as you left it."
        )
        self.app.push_screen(
            ConfirmScreen(question, yes_label="Close the form", no_label="Keep editing"),
            lambda yes: self._discard() if yes else None,
        )

    def _discard(self) -> None:
        self.draft = self.read_input() if self.changed else None
        self._stopping = True
        self.dismiss(None)
