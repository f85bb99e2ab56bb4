"""Training files on both sides: a local one checked off the event loop, uploaded ones listed.

The check itself is :func:`ftmon.datasets.validate.check_file` (pure and blocking); here it runs
in a thread, reports its progress on the event loop, and stops within a MiB once its caller is
gone (Ctrl-C, a closed form) instead of reading the file to its end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from ftmon.api.client import FineTuningClient
from ftmon.api.models import FileObject
from ftmon.api.pagination import iter_items
from ftmon.datasets.problems import DatasetReport
from ftmon.datasets.validate import MIN_EXAMPLES, check_file

#: The purpose of training files.
FINE_TUNE = "fine-tune"

#: ``(bytes done, total bytes)``; the total is 0 when unknown.
Progress = Callable[[int, int], None]


async def check_local_file(
    path: Path,
    method: str,
    *,
    validation: bool = False,
    on_progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DatasetReport:
    """Check a local file for ``method`` in a thread; a validation file needs no minimum of
    examples.

    ``on_progress`` is called on the event loop, never from the thread. ``should_stop`` is asked
    between reads; the check also stops when this call is cancelled (the thread cannot be, and
    ``asyncio.run`` would wait for it). Raises ``OSError`` if the file cannot be read and
    :class:`~ftmon.datasets.validate.CheckCancelled` when it stopped.
    """
    loop = asyncio.get_running_loop()
    done = threading.Event()

    def stopped() -> bool:
        return done.is_set() or (should_stop is not None and should_stop())

    def relay(read: int, total: int | None) -> None:
        if on_progress is not None and not done.is_set():
            on_progress(read, total or 0)

    def progress(read: int, total: int | None) -> None:  # in the thread
        if on_progress is None or done.is_set():
            return
        try:
            loop.call_soon_threadsafe(relay, read, total)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    try:
        return await asyncio.to_thread(
            check_file,
            path,
            method,
            min_examples=1 if validation else MIN_EXAMPLES,
            on_progress=progress,
            should_stop=stopped,
        )
    finally:
        done.set()


async def list_training_files(client: FineTuningClient, *, limit: int = 500) -> list[FileObject]:
    """Uploaded files of purpose ``fine-tune``, newest first, at most ``limit``."""
    found: list[FileObject] = []
    async for item in iter_items(
        lambda after: client.list_files(purpose=FINE_TUNE, after=after, limit=100)
    ):
        if item.purpose in (None, FINE_TUNE):
            found.append(item)
        if len(found) >= limit:
            break
    return found
