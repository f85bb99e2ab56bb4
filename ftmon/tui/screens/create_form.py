"""The create form's parts: its fields (a label, the input, and room under it for the reason it
is wrong or a note), what they are, and the last step, the exact request to confirm.

:class:`~ftmon.tui.screens.create.CreateJobScreen` lays them out and runs the create flow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Select, Static, TextArea

from ftmon.create.request import REASONING_EFFORTS, CreateInput
from ftmon.datasets.formats import METHOD_LABELS, METHODS
from ftmon.text import clean, one_line
from ftmon.tui.screens.confirm import ConfirmScreen

#: (field, label, placeholder, which methods show it: None = all)
TEXT_FIELDS: tuple[tuple[str, str, str, tuple[str, ...] | None], ...] = (
    ("n_epochs", "Epochs", "auto (1-50)", None),
    ("batch_size", "Batch size", "auto (1-256)", None),
    ("learning_rate_multiplier", "LR multiplier", "auto (> 0)", None),
    ("beta", "Beta", "auto (0-2]", ("dpo",)),
    ("compute_multiplier", "Compute multiplier", "auto (0-10]", ("reinforcement",)),
    ("eval_interval", "Eval interval", "auto (steps)", ("reinforcement",)),
    ("eval_samples", "Eval samples", "auto", ("reinforcement",)),
)
NAMING_FIELDS = (
    ("suffix", "Suffix", "up to 64 characters, in the model's name"),
    ("seed", "Seed", "random (0-2147483647)"),
    ("metadata", "Metadata", "key=value, key=value"),
)
WANDB_FIELDS = (
    ("wandb_project", "W&B project", "none (no integration)"),
    ("wandb_name", "W&B run name", "the job id"),
    ("wandb_entity", "W&B entity", "the key's default entity"),
    ("wandb_tags", "W&B tags", "tag, tag"),
)
FILE_LABELS = {"training_file": "Training file", "validation_file": "Validation file"}


def form_input(field: str, placeholder: str, value: str = "", **kwargs: Any) -> Input:
    widget = Input(
        value=value,
        placeholder=placeholder,
        id=f"in-{field}",
        compact=True,
        select_on_focus=False,
        **kwargs,
    )
    widget.cursor_blink = False  # a blinking cursor writes to the terminal twice a second
    return widget


class Field(Vertical):
    """A label, its input, and room under it for the reason it is wrong or a note."""

    DEFAULT_CSS = """
    Field {
        height: auto;
    }
    Field > Horizontal {
        height: auto;
    }
    Field .label {
        width: 20;
        color: $text-muted;
    }
    Field .error {
        display: none;
        margin-left: 20;
        color: $text-error;
    }
    Field .note {
        display: none;
        margin-left: 20;
        color: $text-success;
    }
    Field.-error .error, Field.-note .note {
        display: block;
    }
    Field.-error .label {
        color: $text-error;
        text-style: bold;
    }
    """

    def __init__(self, name: str, label: str, *children: Widget, classes: str = "") -> None:
        super().__init__(id=f"field-{name}", classes=classes)
        self.field_name = name
        self.label = label
        self._children = children

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(Content(self.label), classes="label")
            yield from self._children[:1]
        for extra in self._children[1:]:
            with Horizontal():
                yield Static(Content(""), classes="label")
                yield extra
        yield Static(Content(""), classes="error")
        yield Static(Content(""), classes="note")

    def show_error(self, reason: str | None) -> None:
        self.query_one(".error", Static).update(Text(clean(reason or "", multiline=True)))
        self.set_class(bool(reason), "-error")

    def show_note(self, note: str | None) -> None:
        self.query_one(".note", Static).update(Text(clean(note or "", multiline=True)))
        self.set_class(bool(note), "-note")

    @property
    def error(self) -> str:
        return str(self.query_one(".error", Static).render()) if self.has_class("-error") else ""

    @property
    def note(self) -> str:
        return str(self.query_one(".note", Static).render()) if self.has_class("-note") else ""


def upload_placeholder(path: Path) -> str:
    """Where a local file's id will go in the request once Create job has uploaded it."""
    return f"<upload of {path.name}>"


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def form_fields(init: CreateInput, models: Sequence[str]) -> ComposeResult:
    """Every field of the form, under its heading, filled from ``init``."""
    yield Static(Text("Data"), classes="heading")
    yield Field(
        "model",
        "Base model",
        form_input(
            "model",
            "gpt-4.1-mini-2025-04-14, or a fine-tuned model",
            init.model,
            suggester=SuggestFromList(models, case_sensitive=False),
        ),
    )
    for name, label in FILE_LABELS.items():
        yield Field(
            name,
            label,
            form_input(name, "file-… or a local .jsonl path", getattr(init, name)),
            Select[str](
                [],
                prompt="or pick an uploaded file… (loading)",
                id=f"pick-{name}",
                compact=True,
            ),
        )
    yield Static(Text("Method and hyperparameters (empty means auto)"), classes="heading")
    yield Field(
        "method",
        "Method",
        Select[str](
            [(Text(METHOD_LABELS[m]), m) for m in METHODS],
            value=init.method if init.method in METHODS else "supervised",
            allow_blank=False,
            id="in-method",
            compact=True,
        ),
    )
    for name, label, placeholder, methods in TEXT_FIELDS:
        classes = f"only-{methods[0]}" if methods else ""
        yield Field(
            name, label, form_input(name, placeholder, getattr(init, name)), classes=classes
        )
    effort = init.reasoning_effort if init.reasoning_effort in REASONING_EFFORTS else None
    yield Field(
        "reasoning_effort",
        "Reasoning effort",
        Select[str](
            [(Text(e), e) for e in REASONING_EFFORTS],
            prompt="default",
            value=effort if effort else Select.NULL,
            id="in-reasoning_effort",
            compact=True,
        ),
        classes="only-reinforcement",
    )
    grader = TextArea(
        init.grader, id="in-grader", soft_wrap=True, tab_behavior="focus", compact=True
    )
    grader.cursor_blink = False
    yield Field("grader", "Grader (JSON)", grader, classes="only-reinforcement")
    yield Static(Text("Naming"), classes="heading")
    for name, label, placeholder in NAMING_FIELDS:
        yield Field(name, label, form_input(name, placeholder, getattr(init, name)))
    yield Static(Text("Weights & Biases (optional)"), classes="heading")
    for name, label, placeholder in WANDB_FIELDS:
        yield Field(name, label, form_input(name, placeholder, getattr(init, name)))


class RequestReview(ConfirmScreen):
    """The last step: the exact JSON that will be sent, scrollable, "Keep editing" in focus."""

    DEFAULT_CSS = """
    RequestReview #review-body {
        height: auto;
        max-height: 45vh;
        width: 100%;
        min-width: 40;
        margin-bottom: 1;
        background: $boost;
    }
    RequestReview #review-cost {
        height: auto;
        margin-bottom: 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # j and k as in every list of the app.
        Binding("k,up", "scroll_body(-1)", "Scroll", show=False),
        Binding("j,down", "scroll_body(1)", "Scroll", show=False),
        Binding("pageup", "scroll_body(-10)", "Scroll", show=False),
        Binding("pagedown", "scroll_body(10)", "Scroll", show=False),
    ]

    def __init__(self, body: dict[str, Any], cost: str = "") -> None:
        model = one_line(str(body.get("model", "")), width=60)
        suffix = one_line(str(body.get("suffix", "")), width=40)
        named = f"{model} ({suffix})" if suffix else model
        super().__init__(
            f"Create a fine-tuning job of {named}? It starts training and is billed as it "
            "runs. This request will be sent (↑↓ scroll):",
            yes_label="Create job",
            no_label="Keep editing",
            danger=False,
        )
        self.body = body
        self.body_text = json.dumps(body, indent=2, ensure_ascii=False)
        self.cost = cost

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self._question, id="confirm-question")
            with VerticalScroll(id="review-body", can_focus=False):
                yield Static(Text(clean(self.body_text, multiline=True)), id="review-json")
            cost = Static(Text(self.cost), id="review-cost")
            cost.display = bool(self.cost)
            yield cost
            with Horizontal(id="confirm-buttons"):
                yield Button(Content(self._no_label), id="no", variant="default", compact=True)
                yield Button(Content(self._yes_label), id="yes", variant="primary", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def action_scroll_body(self, lines: int) -> None:
        scroll = self.query_one("#review-body", VerticalScroll)
        scroll.scroll_relative(y=lines, animate=False, immediate=True)
