"""Where each thing lives in an archive, and opening a file there without leaving the directory.

An archive directory holds ``manifest.json`` and, beside it::

    jobs/<job id>/job-<sha>.json           the job as the API sent it (content-addressed)
    jobs/<job id>/events.jsonl             every event, oldest first, one JSON object a line
    jobs/<job id>/checkpoints-<sha>.json   every checkpoint, as a list object
    jobs/<job id>/permissions-<sha>.json   each checkpoint's permissions (with an admin key)
    files/<file id>.json                   a file's metadata as the API sent it
    files/<file id>.content                its content, where the API allowed the download

A file whose content can change (a job that is still running) gets a new name for each new
content, so the manifest on disk always names files that hold what it says: the new file is
written first, the manifest moved into place next, the old file removed last.

Ids come from the API and become names here, so an id is used only if it is a plain name
(:func:`safe_id`); every path in a manifest is checked (:func:`check_relpath`) and opened one
directory at a time without following a link (:func:`open_inside`): nothing outside the
directory is ever read or written through an archive.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from pathlib import Path

MANIFEST = "manifest.json"
JOBS = "jobs"
FILES = "files"
EVENTS = "events.jsonl"

#: A name made of an id: letters, digits, ``_ - .``, not starting with a dot, no ``..``.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
#: A manifest path: one to four segments, each a plain name not starting with a dot.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}"
_SAFE_PATH = re.compile(rf"(?:{_SEGMENT}/){{0,3}}{_SEGMENT}")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class ArchiveError(Exception):
    """Something is wrong with an archive; the message names the file."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class UnsafeIdError(ArchiveError):
    """An id from the API that cannot name a file or directory."""


def safe_id(kind: str, value: object) -> str:
    """``value`` if it can name a file: a ``job id`` of ``../x`` or ``.hidden`` cannot."""
    if not isinstance(value, str) or not _SAFE_ID.fullmatch(value) or ".." in value:
        shown = repr(value)[:80]
        raise UnsafeIdError(
            f"the API sent a {kind} id that cannot name a file ({shown}): it may hold only "
            "letters, digits, '_', '-' and '.', not start with a dot nor hold '..'"
        )
    return value


def check_relpath(path: object) -> tuple[str, ...]:
    """The segments of a manifest path (``jobs/ftjob-1/events.jsonl``), each a plain name."""
    if not isinstance(path, str) or not path:
        raise ArchiveError(f"{MANIFEST}: a file path that is not text ({repr(path)[:80]})")
    if not _SAFE_PATH.fullmatch(path) or ".." in path:
        raise ArchiveError(
            f"{MANIFEST}: the path {path[:200]!r} leaves the archive or is not a plain name", path
        )
    return tuple(path.split("/"))


def job_dir(job_id: str) -> str:
    return f"{JOBS}/{safe_id('job', job_id)}"


def events_path(job_id: str) -> str:
    return f"{job_dir(job_id)}/{EVENTS}"


def file_meta_path(file_id: str) -> str:
    return f"{FILES}/{safe_id('file', file_id)}.json"


def file_content_path(file_id: str) -> str:
    return f"{FILES}/{safe_id('file', file_id)}.content"


def addressed_name(stem: str, data: bytes) -> str:
    """``stem-<16 hex of its SHA-256>.json``: a new name for new content."""
    return f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}.json"


def _why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link (not followed: it could point out of the archive)"
    if exc.errno == errno.ENOENT:
        return "is missing"
    if exc.errno == errno.ENOTDIR:
        return "is not where a directory should be"
    return exc.strerror or str(exc)


def open_dir_inside(root: Path, relative: str) -> int:
    """A file descriptor of the directory ``root/relative`` (``""``: root itself), opened one
    segment at a time, following no link; :class:`ArchiveError` naming ``relative`` if not."""
    try:
        fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise ArchiveError(f"{root}: {_why(exc)}", str(root)) from None
    for part in relative.split("/") if relative else ():
        try:
            inner = open_subdir(fd, part, relative)
        finally:
            os.close(fd)
        fd = inner
    return fd


def open_subdir(parent: int, name: str, relative: str) -> int:
    """The directory ``name`` in the open directory ``parent``, not through a link;
    :class:`ArchiveError` naming ``relative`` (its path in the archive) if not."""
    try:
        return os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=parent)
    except OSError as exc:
        why = _why(exc)
        try:  # O_DIRECTORY on a link to a directory says ENOTDIR: say what it is
            if stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode):
                why = _why(OSError(errno.ELOOP, "link"))
        except OSError:
            pass
        raise ArchiveError(f"{relative}: {name} {why}", relative) from None


def open_inside(root: Path, relpath: str, flags: int = os.O_RDONLY, mode: int = 0o600) -> int:
    """A file descriptor of ``root/relpath``, opened one segment at a time, following no link.

    Raises :class:`ArchiveError` naming ``relpath`` if a segment is a link, missing or not a
    directory (the parents), or the file is not a regular file.
    """
    parts = check_relpath(relpath)
    fd = open_dir_inside(root, "/".join(parts[:-1]))
    try:
        target = os.open(parts[-1], flags | _NOFOLLOW | _CLOEXEC, mode, dir_fd=fd)
    except OSError as exc:
        raise ArchiveError(f"{relpath} {_why(exc)}", relpath) from None
    finally:
        os.close(fd)
    info = os.fstat(target)
    if not stat.S_ISREG(info.st_mode):
        os.close(target)
        raise ArchiveError(f"{relpath} is not a regular file", relpath)
    return target


def read_inside(root: Path, relpath: str, cap: int, *, size: int | None = None) -> bytes:
    """The first ``size`` bytes of ``root/relpath`` (all of it when None), at most ``cap``."""
    fd = open_inside(root, relpath)
    try:
        have = os.fstat(fd).st_size
        want = have if size is None else size
        if want > cap:
            raise ArchiveError(
                f"{relpath} holds {want:,} bytes, more than the {cap:,} read whole (not read)",
                relpath,
            )
        if have < want:
            raise ArchiveError(
                f"{relpath} holds {have:,} bytes, fewer than the {want:,} the manifest lists "
                "(truncated?)",
                relpath,
            )
        chunks = []
        left = want
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def hash_fd(fd: int, size: int) -> str:
    """SHA-256 of the first ``size`` bytes of an open file, read from its start."""
    digest = hashlib.sha256()
    left = size
    offset = 0
    while left > 0:
        chunk = os.pread(fd, min(left, 1 << 20), offset)
        if not chunk:
            break
        digest.update(chunk)
        offset += len(chunk)
        left -= len(chunk)
    return digest.hexdigest()
