"""Check an archive against its manifest: every file there, inside, whole and unchanged.

:func:`verify` reads every file the manifest lists (one segment at a time, no link followed)
and compares its size and SHA-256; each problem names its file. ``deep=False`` checks sizes
only (what the reader does when it opens an archive: each file's hash is checked when it is
first read). An events file longer than listed is no problem: it holds the tail of a run that
was interrupted before it could list it, which the next run cuts back; it is reported as such.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ftmon.archive.layout import MANIFEST, ArchiveError, hash_fd, open_inside
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


def check_file(directory: Path, path: str, size: int, sha256: str | None) -> str | None:
    """The problem with one listed file, or None; ``sha256`` None checks its size only."""
    try:
        fd = open_inside(directory, path)
    except ArchiveError as exc:
        return exc.message
    try:
        have = os.fstat(fd).st_size
        if have < size:
            return f"{path} holds {have:,} bytes, fewer than the {size:,} listed (truncated?)"
        if have > size and not path.endswith(".jsonl"):
            return f"{path} holds {have:,} bytes, more than the {size:,} listed (edited?)"
        if sha256 is not None and hash_fd(fd, size) != sha256:
            return f"{path} does not match the SHA-256 the manifest lists (edited or damaged)"
    finally:
        os.close(fd)
    return None


def verify(directory: Path | str, *, deep: bool = True) -> VerifyReport:
    """Every file of the archive at ``directory`` checked against ``manifest.json``.

    Raises :class:`ArchiveError` if there is no readable manifest (not an archive, damaged,
    too big); every other problem is in the report's ``problems``, each naming its file.
    """
    root = Path(directory)
    manifest = Manifest.load(root)
    report = VerifyReport(root, manifest)
    for path, entry in sorted(manifest.files.items()):
        problem = check_file(root, path, entry.size, entry.sha256 if deep else None)
        report.files += 1
        report.bytes += entry.size
        if problem:
            report.problems.append(problem)
            continue
        if path.endswith(".jsonl"):
            try:
                if os.lstat(root / path).st_size > entry.size:
                    report.tails.append(path)
            except OSError:
                pass
    if MANIFEST in manifest.files:
        report.problems.append(f"{MANIFEST} lists itself")
    return report
