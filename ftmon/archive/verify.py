"""Check an archive against its manifest: every file there, inside, whole and unchanged.

:func:`verify` reads every file the manifest lists (one segment at a time, no link followed)
and compares its size and SHA-256; each problem names its file. ``deep=False`` checks sizes
only (what the reader does when it opens an archive: each file's hash is checked when it is
first read). An events file longer than listed is no problem: it holds the tail of a run that
was interrupted before it could list it, which the next run cuts back; it is reported as such.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ftmon.archive.layout import (
    MANIFEST,
    ArchiveError,
    hash_fd,
    open_dir_inside,
    open_inside,
    open_subdir,
)
from ftmon.archive.manifest import Manifest


@dataclass
class VerifyReport:
    """What :func:`verify` found."""

    directory: Path
    manifest: Manifest
    files: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)
    #: Files longer than listed: a run's tail not yet in the manifest (not a problem).
    tails: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_first(self) -> None:
        """:class:`ArchiveError` of the first problem, with how many more there are."""
        if self.problems:
            more = len(self.problems) - 1
            extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
            raise ArchiveError(f"{self.problems[0]}{extra}", self.problems[0].split(" ", 1)[0])

    def to_dict(self) -> dict[str, object]:
        return {
            "directory": str(self.directory),
            "ok": self.ok,
            "files": self.files,
            "bytes": self.bytes,
            "problems": list(self.problems),
            "tails": list(self.tails),
        }


def _size_problem(path: str, have: int, size: int) -> str | None:
    if have < size:
        return f"{path} holds {have:,} bytes, fewer than the {size:,} listed (truncated?)"
    if have > size and not path.endswith(".jsonl"):
        return f"{path} holds {have:,} bytes, more than the {size:,} listed (edited?)"
    return None


def check_file(directory: Path, path: str, size: int, sha256: str | None) -> str | None:
    """The problem with one listed file, or None; ``sha256`` None checks its size only."""
    try:
        fd = open_inside(directory, path)
    except ArchiveError as exc:
        return exc.message
    try:
        problem = _size_problem(path, os.fstat(fd).st_size, size)
        if problem:
            return problem
        if sha256 is not None and hash_fd(fd, size) != sha256:
            return f"{path} does not match the SHA-256 the manifest lists (edited or damaged)"
    finally:
        os.close(fd)
    return None


def _shallow(root: Path, manifest: Manifest, report: VerifyReport) -> None:
    """Every listed file there, regular, not a link, of its listed size: one directory read
    and one ``lstat`` a file (what opening each would cost four times over)."""
    folders: dict[str, list[tuple[str, str, int]]] = {}
    for path, entry in manifest.files.items():
        folder, _, name = path.rpartition("/")
        folders.setdefault(folder, []).append((name, path, entry.size))
    parents: dict[str, int] = {}
    try:
        for folder, files in sorted(folders.items()):
            try:
                fd = _open_folder(root, folder, parents)
            except ArchiveError as exc:
                report.problems.append(exc.message)
                continue
            try:
                _check_folder(fd, files, report)
            finally:
                os.close(fd)
    finally:
        for parent in parents.values():
            os.close(parent)


def _open_folder(root: Path, folder: str, parents: dict[str, int]) -> int:
    """``folder`` opened from its parent, which is opened once for all its folders."""
    parent, _, name = folder.rpartition("/")
    if not name:
        return open_dir_inside(root, "")
    if parent not in parents:
        parents[parent] = open_dir_inside(root, parent)
    return open_subdir(parents[parent], name, folder)


def _check_folder(fd: int, files: list[tuple[str, str, int]], report: VerifyReport) -> None:
    """Each of ``files`` (name, path, listed size) in the open directory ``fd``."""
    for name, path, size in sorted(files, key=lambda f: f[1]):
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError as exc:
            missing = exc.errno == errno.ENOENT
            report.problems.append(f"{path} is missing" if missing else f"{path}: {exc}")
            continue
        if stat.S_ISLNK(info.st_mode):
            report.problems.append(
                f"{path} is a symbolic link (not followed: it could point out of the archive)"
            )
        elif not stat.S_ISREG(info.st_mode):
            report.problems.append(f"{path} is not a regular file")
        elif problem := _size_problem(path, info.st_size, size):
            report.problems.append(problem)
        elif info.st_size > size:
            report.tails.append(path)


def verify(
    directory: Path | str, *, deep: bool = True, manifest: Manifest | None = None
) -> VerifyReport:
    """Every file of the archive at ``directory`` checked against ``manifest.json``.

    Raises :class:`ArchiveError` if there is no readable manifest (not an archive, damaged,
    too big); every other problem is in the report's ``problems``, each naming its file.
    ``deep=False`` checks that each file is there, a regular file inside, of its listed size;
    ``deep`` reads each whole and checks its SHA-256 too. ``manifest``: already loaded.
    """
    root = Path(directory)
    manifest = manifest or Manifest.load(root)
    report = VerifyReport(root, manifest)
    report.files = len(manifest.files)
    report.bytes = sum(entry.size for entry in manifest.files.values())
    if MANIFEST in manifest.files:
        report.problems.append(f"{MANIFEST} lists itself")
    if not deep:
        _shallow(root, manifest, report)
        return report
    for path, entry in sorted(manifest.files.items()):
        problem = check_file(root, path, entry.size, entry.sha256)
        if problem:
            report.problems.append(problem)
            continue
        if path.endswith(".jsonl"):
            try:
                if os.lstat(root / path).st_size > entry.size:
                    report.tails.append(path)
            except OSError:
                pass
    return report
