"""Reference Textual apps the benchmarks measure beside ftmon, in the same pty harness.

``python bench/ref_apps.py hello`` is the smallest Textual app (one Static): what any Textual
program costs to start and to sit idle. ``python bench/ref_apps.py table`` is a plain DataTable of
job-like rows where ``u`` changes one cell with ``update_cell``: what a naive job list pays per
changed row. Both bind ``q`` to quit and exit on SIGHUP, like ftmon.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

#: Shown once the app has painted; the benchmarks wait for it.
READY = "ref-ready"

STATUSES = ("running", "succeeded", "failed", "queued", "cancelled", "validating_files")


def job_rows(count: int) -> list[tuple[str, str, str, str, str]]:
    """Rows shaped like ftmon's job list: id, status, model, progress, age."""
    return [
        (
            f"ftjob-{i:020d}",
            STATUSES[i % len(STATUSES)],
            "gpt-4o-mini-2024-07-18",
            f"step {i * 7 % 300}/300",
            f"{i + 1}m",
        )
        for i in range(count)
    ]


class _HangUp(App[None]):
    """Quit on ``q`` and on SIGHUP, as ftmon does."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, self.exit)


class HelloApp(_HangUp):
    def compose(self) -> ComposeResult:
        yield Static(f"hello {READY}")


class TableApp(_HangUp):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("u", "update", "Update one cell")]

    def __init__(self, rows: int = 12) -> None:
        super().__init__()
        self.rows = rows
        self.step = 0

    def compose(self) -> ComposeResult:
        yield Static(READY)
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        for name in ("id", "status", "model", "progress", "age"):
            table.add_column(name, key=name)
        for row in job_rows(self.rows):
            table.add_row(*row, key=row[0])

    def action_update(self) -> None:
        self.step += 1
        table = self.query_one(DataTable)
        table.update_cell(job_rows(1)[0][0], "progress", f"step {self.step}/300")


def main(argv: list[str]) -> int:
    kind = argv[1] if len(argv) > 1 else "hello"
    app: App[None]
    if kind == "table":
        app = TableApp(int(argv[2]) if len(argv) > 2 else 12)
    else:
        app = HelloApp()
    app.run(mouse=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
