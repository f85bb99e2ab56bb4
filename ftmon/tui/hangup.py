"""Notice a terminal that went away even when no SIGHUP comes.

A process started by a supervisor on a pty that is not its controlling terminal gets no SIGHUP
when the pty closes; Textual's input thread then reads end-of-file in a loop, forever, at full
CPU. A thread blocked in ``poll()`` on the terminal, asking for no events at all, wakes only for
a hang-up or an error, costs nothing while it waits, and ends the app when it comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import sys
import threading
import time
from collections.abc import Callable

_GONE = (
    getattr(select, "POLLHUP", 0) | getattr(select, "POLLERR", 0) | getattr(select, "POLLNVAL", 0)
)


def terminal_fd() -> int | None:
    """The terminal Textual reads keys from (stdin), if it is one."""
    stream = sys.__stdin__
    try:
        fd = stream.fileno() if stream is not None else -1
    except (OSError, ValueError):
        return None
    return fd if fd >= 0 and os.isatty(fd) else None


#: The exit status when the loop never answered a hang-up (128 + SIGHUP, as a shell says it).
STUCK_EXIT = 129


def watch_terminal_hangup(
    loop: asyncio.AbstractEventLoop,
    on_hangup: Callable[[], object],
    fd: int | None = None,
    *,
    give_up_after: float | None = None,
) -> threading.Thread | None:
    """Call ``on_hangup`` on ``loop`` once the terminal hangs up; None where poll() cannot.

    ``give_up_after``: seconds after which a process still running ends at once
    (:data:`STUCK_EXIT`). Seen: Textual's writer thread stopped while the loop waited to queue a
    frame for it, so the loop never ran ``on_hangup`` nor a SIGTERM handler, and the input
    thread read end-of-file in a loop at half a CPU for hours. Nobody is left to see the
    terminal, so there is nothing to restore."""
    fd = terminal_fd() if fd is None else fd
    # macOS's poll() does not work on ttys; there the SIGHUP handler is what we have.
    if fd is None or not hasattr(select, "poll") or sys.platform == "darwin":
        return None

    def wait() -> None:
        poller = select.poll()
        poller.register(fd, 0)  # no events asked for: only hang-up and errors wake it
        while True:
            try:
                ready = poller.poll()
            except OSError:
                return
            if any(mask & _GONE for _, mask in ready):
                with contextlib.suppress(RuntimeError):  # the loop already closed
                    loop.call_soon_threadsafe(on_hangup)
                if give_up_after is not None:
                    # A daemon thread: a process that ends as asked never gets here.
                    time.sleep(give_up_after)
                    os._exit(STUCK_EXIT)
                return

    thread = threading.Thread(target=wait, name="ftmon-hangup", daemon=True)
    thread.start()
    return thread
