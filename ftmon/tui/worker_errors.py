"""The one place where a worker's failure becomes words on the screen.

Workers let their errors go (``exit_on_error=False``) and each node that runs them hands its
``Worker.StateChanged`` here (the message does not bubble). A failure says what could not be
done, taken from the worker's description ("Could not load older jobs"), with the API's reason
or the file's; anything else is a bug: "Something went wrong". Screens that show an error in
place (the create form, permissions) catch their own and never get here.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from ftmon.api.errors import FtmonApiError
from ftmon.text import one_line
from ftmon.tui.messages import say

#: Reads the user did not ask for with a key: their failure is a warning, not an error.
BACKGROUND_READS = frozenset({"older-events", "older", "search-older"})


def failure_text(error: BaseException) -> str:
    """What went wrong, in one clean line: the API's message, or a file error and its file."""
    if isinstance(error, OSError):
        where = f": {one_line(error.filename)}" if error.filename else ""
        return (one_line(error.strerror or error) or type(error).__name__) + where
    return one_line(error) or type(error).__name__


def report_failure(node: App[Any] | Widget, event: Worker.StateChanged) -> None:
    """A notice for a worker that ended in error; nothing for any other state change. It goes
    to the app's notices (the status line, the history), never to a toast over the panes."""
    worker: Worker[Any] = event.worker
    if event.state != WorkerState.ERROR:
        return
    error = worker.error
    if isinstance(error, FtmonApiError | OSError) and worker.description:
        say(
            node,
            failure_text(error),
            "warning" if worker.group in BACKGROUND_READS else "error",
            title=f"Could not {worker.description}",
        )
        return
    say(node, one_line(error) or type(error).__name__, "error", title="Something went wrong")
