"""Read a local input (a config file, a grader, a dataset) only if it is a file, and only so much.

A path can name a FIFO (a read blocks until someone writes, and Ctrl-C waits with it), a device
(``/dev/zero`` never ends) or a file of gigabytes; a file read whole into memory must have a cap.
So: the path must be a regular file (checked with ``stat``, which never blocks), and a whole-file
read stops one byte past its cap with a message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: The most a config file or a grader may hold: both are a few kilobytes when real.
SMALL_FILE_CAP = 1024 * 1024


class LocalInputError(OSError):
    """The path is not a regular file, or is larger than what is read whole.

    Its text (also its ``strerror``, as callers of ``OSError`` read it) is the reason alone,
    without the path: the caller says which file.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.strerror = reason


def regular_file(path: str | Path) -> Path:
    """``path`` (``~`` expanded) if it names a regular file; ``LocalInputError`` if not."""
    file = Path(path).expanduser()
    info = os.stat(file)  # FileNotFoundError and friends pass through as they are
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a directory"
            if stat.S_ISDIR(info.st_mode)
            else "not a regular file"
        )
        raise LocalInputError(f"it is {kind}, not a regular file")
    return file


def read_bytes_capped(path: str | Path, cap: int = SMALL_FILE_CAP) -> bytes:
    """The whole of a regular file, if it holds at most ``cap`` bytes."""
    file = regular_file(path)
    with file.open("rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise LocalInputError(f"it is larger than {cap // 1024:,} KiB (not read)")
    return data


def read_text_capped(path: str | Path, cap: int = SMALL_FILE_CAP) -> str:
    """The whole of a regular UTF-8 file of at most ``cap`` bytes."""
    return read_bytes_capped(path, cap).decode("utf-8")
