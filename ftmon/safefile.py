"""Write files where a hostile neighbour cannot redirect them.

An export lands in a directory that may be shared (``/tmp``, a team folder): another user can
plant ``job.json`` there as a link to a file of the victim's, and a plain ``open(..., "w")``
would follow it and overwrite that file with API-controlled text (a dangling link would create
its target). So: the directory must not be a link, nor someone else's and writable by others;
each file is written to a fresh temporary file in the directory (created exclusively) and moved
over the name at once (``os.replace`` replaces a link there, never follows it), so a reader
never sees half a file either.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


class UnsafeDirectoryError(OSError):
    """The directory could let another user redirect what is written into it."""


def prepare_directory(directory: Path) -> Path:
    """Create ``directory`` if needed and check it is safe to write into; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    info = os.lstat(directory)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeDirectoryError(
            f"{directory} is a symbolic link: not writing through it", str(directory)
        )
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeDirectoryError(f"{directory} is not a directory", str(directory))
    others_write = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid() and others_write:
        raise UnsafeDirectoryError(
            f"{directory} belongs to another user and others can write to it: choose a "
            "directory of your own",
            str(directory),
        )
    return directory


def write_text_atomic(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` as ``directory/name``: a new file, moved into place in one step.

    ``name`` is a plain file name (no separator, not ``.`` or ``..``): nothing is written
    outside ``directory``. The file is readable by its owner only.
    """
    if not name or name in {".", ".."} or os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError(f"not a plain file name: {name!r}")
    target = directory / name
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    return target


def write_bytes_atomic(directory: Path, name: str, data: bytes, *, sync: bool = False) -> Path:
    """:func:`write_text_atomic` for bytes; ``sync`` flushes the file to the disk before it is
    moved into place (an archive's files must survive a power cut whole or not at all)."""
    if not name or name in {".", ".."} or os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError(f"not a plain file name: {name!r}")
    target = directory / name
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    return target
