"""Reference Textual apps the benchmarks measure beside ftmon, in the same pty harness.

* ``hello``: the smallest Textual app (one Static): what any Textual program costs to start and
  to sit idle.
* ``table``: a plain ``DataTable`` of job rows in a bordered box; ``u`` changes one cell with
  ``update_cell``: what a naive job list pays per changed row.
* ``log``: Textual's ``Log`` in a bordered box, following its tail; ``u`` appends one line: what a
  plain log pays per new event line.

Each binds ``q`` to quit and exits on SIGHUP, like ftmon. Run
``python bench/ref_apps.py table --rows-json rows.json --height 9`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Log, Static

#: Shown once the app has painted; the benchmarks wait for it.
READY = "ref-ready"

STATUSES = ("running", "succeeded", "failed", "queued", "cancelled", "validating_files")
COLUMNS = ("id", "model", "suffix", "status", "progress")


def job_rows(count: int) -> list[list[str]]:
    """Rows shaped like ftmon's job list, when no real ones are given."""
    return [
        [
            f"ftjob-{i:014d}…",
            "gpt-4o-mini-2…",
            f"suffix-{i}",
            STATUSES[i % len(STATUSES)],
            f"{i * 7 % 300}/300",
        ]
        for i in range(count)
    ]


def event_line(n: int) -> str:
    """A line shaped like ftmon's event log lines."""
    stamp = f"11-26 05:{n // 60 % 60:02d}:{n % 60:02d}"
    return f"{stamp} info  Step {n}/1000: training loss=1.{n % 97:02d}"


class _Reference(App[None]):
    """Quit on ``q`` and on SIGHUP, as ftmon does."""

    CSS = """
    .box { border: round $primary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def on_mount(self) -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit)


class HelloApp(_Reference):
    def compose(self) -> ComposeResult:
        yield Static(f"hello {READY}")


class InputApp(_Reference):
    """One text field, focused, whose value is echoed in the header line: Textual's own cost of
    a typed key, for the typed-ahead benchmark. No quit key: ``q`` is text here."""

    BINDINGS: ClassVar[list[BindingType]] = []

    def compose(self) -> ComposeResult:
        yield Static(f"typed {READY}", id="echo")
        field = Input(id="field")
        field.cursor_blink = False
        yield field

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#echo", Static).update(f"typed {event.value}")


class TableApp(_Reference):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("u", "update", "Update one cell")]

    def __init__(self, rows: Sequence[Sequence[str]], height: int, changed_row: int) -> None:
        super().__init__()
        self.rows = [list(r) for r in rows]
        self.height = height
        self.changed_row = changed_row
        self.step = 0

    def compose(self) -> ComposeResult:
        yield Static(READY)
        table = DataTable(cursor_type="row", classes="box")
        table.styles.height = self.height
        yield table
        yield Static("", id="rest")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        for index, row in enumerate(self.rows):
            table.add_row(*row[: len(COLUMNS)], key=str(index))

    def action_update(self) -> None:
        self.step += 1
        table = self.query_one(DataTable)
        table.update_cell(str(self.changed_row), "progress", f"{self.step}/1000")


class LogApp(_Reference):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("u", "update", "Append one line")]

    def __init__(self, lines: int, height: int) -> None:
        super().__init__()
        self.lines = lines
        self.height = height

    def compose(self) -> ComposeResult:
        yield Static(READY)
        log = Log(classes="box", max_lines=5000)
        log.styles.height = self.height
        yield log
        yield Static("", id="rest")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(Log).write_lines([event_line(n) for n in range(self.lines)])

    def action_update(self) -> None:
        self.lines += 1
        self.query_one(Log).write_line(event_line(self.lines))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="reference Textual apps for the benchmarks")
    parser.add_argument("kind", choices=["hello", "table", "log", "input"])
    parser.add_argument("--rows-json", help="table: a JSON list of rows (lists of strings)")
    parser.add_argument("--rows", type=int, default=16, help="table: made-up rows if no JSON")
    parser.add_argument("--changed-row", type=int, default=0, help="table: the row 'u' changes")
    parser.add_argument("--lines", type=int, default=0, help="log: lines written at start")
    parser.add_argument("--height", type=int, default=0, help="box height (0: fill)")
    args = parser.parse_args(argv)
    height = args.height or None
    app: App[None]
    if args.kind == "table":
        if args.rows_json:
            with open(args.rows_json, encoding="utf-8") as fh:
                rows = json.load(fh)
        else:
            rows = job_rows(args.rows)
        app = TableApp(rows, height or 24, args.changed_row)
    elif args.kind == "log":
        app = LogApp(args.lines, height or 24)
    elif args.kind == "input":
        app = InputApp()
    else:
        app = HelloApp()
    app.run(mouse=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
