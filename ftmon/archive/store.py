"""Writing into an archive so that its manifest on disk is always true.

Files are written first, the manifest last. A :class:`Change` gathers what one job (or one file
object) adds, replaces and retires; :meth:`ArchiveStore.apply` puts it into the manifest in
memory at once, and :meth:`ArchiveStore.commit` moves the manifest into place and only then
removes the files it no longer names. Interrupted anywhere, the directory holds the last
committed manifest and every file it names, unchanged:

* a file whose content can change gets a new name for new content (:func:`addressed_name`),
  written to a temporary file and moved into place (:mod:`ftmon.safefile`);
* ``events.jsonl`` is only appended to, after its listed part is checked against the manifest's
  SHA-256 and any tail past it (a run interrupted before its commit) is cut off.

Every byte written passes the key redaction: a key the server echoed never reaches the disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftmon.archive.layout import (
    ArchiveError,
    addressed_name,
    open_dir_inside,
    open_inside,
    read_inside,
)
from ftmon.archive.manifest import FileEntry, Manifest
from ftmon.safefile import prepare_directory, write_bytes_atomic
from ftmon.text import REDACTED

#: The names :func:`addressed_name` makes.
_ADDRESSED = re.compile(r"(job|checkpoints|permissions)-[0-9a-f]{16}\.json")


@dataclass
class Change:
    """What one unit of work adds to the manifest, applied all at once."""

    added: dict[str, FileEntry] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_objects: dict[str, dict[str, Any]] = field(default_factory=dict)


def encode(data: Any, *, indent: int | None = 2) -> bytes:
    """JSON as written to an archive: ASCII only (every character escaped), one trailing newline
    for a document, none for a line."""
    text = json.dumps(data, ensure_ascii=True, indent=indent)
    return (text + "\n").encode("ascii") if indent is not None else text.encode("ascii")


class ArchiveStore:
    """The archive directory, its manifest in memory, and the keys that must not be written."""

    def __init__(self, root: Path, manifest: Manifest, secrets: Iterable[str] = ()) -> None:
        self.root = root
        self.manifest = manifest
        self._secrets = _secret_forms(secrets)
        self._prepared: set[str] = set()
        self._retired: set[str] = set()
        self.bytes_written = 0
        self.files_written = 0
        self.commits = 0

    # -- writing files ------------------------------------------------------------------------

    def redact(self, data: bytes) -> bytes:
        for secret in self._secrets:
            if secret in data:
                data = data.replace(secret, REDACTED.encode())
        return data

    def directory(self, relative: str) -> Path:
        """``root/relative`` created and checked one level at a time (no level a link)."""
        path = self.root
        done = ""
        for part in relative.split("/"):
            path = path / part
            done = f"{done}/{part}" if done else part
            if done not in self._prepared:
                prepare_directory(path)
                self._prepared.add(done)
        return path

    def put_addressed(self, change: Change, directory: str, stem: str, data: bytes) -> str:
        """Write ``data`` as ``directory/stem-<sha>.json`` unless the manifest has it already;
        its path. The file of the same stem that the manifest listed is retired in ``change``
        by the caller (:meth:`replace`)."""
        data = self.redact(data)
        relpath = f"{directory}/{addressed_name(stem, data)}"
        if relpath not in self.manifest.files:
            self._write(change, relpath, data)
        return relpath

    def put_fixed(self, change: Change, relpath: str, data: bytes) -> str:
        """Write ``data`` as ``relpath`` (a file written once: a file object's metadata or
        content); a file the manifest lists is never written again."""
        if relpath in self.manifest.files:
            raise ArchiveError(f"{relpath} is archived already: not rewriting it", relpath)
        self._write(change, relpath, self.redact(data))
        return relpath

    def _write(self, change: Change, relpath: str, data: bytes) -> None:
        folder, _, name = relpath.rpartition("/")
        write_bytes_atomic(self.directory(folder), name, data, sync=False)
        change.added[relpath] = FileEntry(len(data), hashlib.sha256(data).hexdigest())
        self.bytes_written += len(data)
        self.files_written += 1

    def replace(self, change: Change, old: str | None, new: str) -> None:
        """``new`` takes the place of ``old`` (retired once the manifest no longer names it)."""
        if old and old != new:
            change.retired.add(old)

    def append(self, change: Change, relpath: str, chunks: Iterable[bytes]) -> int:
        """Append ``chunks`` to ``relpath`` after its listed part (a tail past it is cut off);
        returns the bytes appended. The listed part must be whole and unchanged."""
        listed = self.manifest.files.get(relpath)
        start = listed.size if listed else 0
        folder = relpath.rpartition("/")[0]
        self.directory(folder)
        fd = open_inside(self.root, relpath, os.O_RDWR | os.O_CREAT)
        try:
            have = os.fstat(fd).st_size
            if have < start:
                raise ArchiveError(
                    f"{relpath} holds {have:,} bytes, fewer than the {start:,} the manifest "
                    "lists (truncated?): not appending to it",
                    relpath,
                )
            digest = hashlib.sha256()
            offset = 0
            while offset < start:
                chunk = os.pread(fd, min(start - offset, 1 << 20), offset)
                if not chunk:
                    break
                digest.update(chunk)
                offset += len(chunk)
            if listed and digest.hexdigest() != listed.sha256:
                raise ArchiveError(
                    f"{relpath} does not match the SHA-256 the manifest lists (edited or "
                    "damaged): not appending to it",
                    relpath,
                )
            if have > start:
                os.ftruncate(fd, start)
            written = 0
            for chunk in chunks:
                chunk = self.redact(chunk)
                view = memoryview(chunk)
                while view:
                    done = os.pwrite(fd, view, start + written)
                    view = view[done:]
                    written += done
                digest.update(chunk)
            if written:
                os.fsync(fd)
        finally:
            os.close(fd)
        change.added[relpath] = FileEntry(start + written, digest.hexdigest())
        self.bytes_written += written
        if written and not listed:
            self.files_written += 1
        return written

    def clean(self, folder: str) -> int:
        """Remove from ``folder`` what an interrupted run wrote and never listed: content-addressed
        files and temporaries the manifest does not name (nothing else is touched)."""
        try:
            fd = open_dir_inside(self.root, folder)
        except ArchiveError:
            return 0
        removed = 0
        try:
            for name in os.listdir(fd):
                relpath = f"{folder}/{name}"
                if relpath in self.manifest.files or relpath in self._retired:
                    continue
                if _ADDRESSED.fullmatch(name) or (name.startswith(".") and name.endswith(".tmp")):
                    try:
                        os.unlink(name, dir_fd=fd)
                        removed += 1
                    except OSError:
                        pass
        finally:
            os.close(fd)
        return removed

    # -- reading back what is archived -------------------------------------------------------------

    def read_listed(self, relpath: str, cap: int) -> bytes:
        """A listed file's bytes, checked against the manifest."""
        entry = self.manifest.files.get(relpath)
        if entry is None:
            raise ArchiveError(f"{relpath} is not in the manifest", relpath)
        data = read_inside(self.root, relpath, cap, size=entry.size)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise ArchiveError(
                f"{relpath} does not match the SHA-256 the manifest lists (edited or damaged)",
                relpath,
            )
        return data

    # -- the manifest -----------------------------------------------------------------------------

    def apply(self, change: Change) -> None:
        """Put ``change`` into the manifest in memory, all of it at once."""
        files = self.manifest.files
        files.update(change.added)
        self.manifest.jobs.update(change.jobs)
        self.manifest.file_objects.update(change.file_objects)
        named = set(change.added)
        for relpath in change.retired - named:
            files.pop(relpath, None)
            self._retired.add(relpath)

    def commit(self) -> None:
        """The manifest moved into place; then the files it no longer names removed."""
        self.manifest.save(self.root)
        self.commits += 1
        retired, self._retired = self._retired, set()
        for relpath in retired:
            if relpath in self.manifest.files:
                continue
            folder, _, name = relpath.rpartition("/")
            try:
                fd = open_dir_inside(self.root, folder)
            except ArchiveError:
                continue
            try:
                os.unlink(name, dir_fd=fd)
            except OSError:
                pass
            finally:
                os.close(fd)


#: Held (``flock``) by the run that is writing the archive.
LOCK = ".ftmon-archive.lock"


def lock_archive(root: Path) -> int:
    """Take the archive for this run (created if needed): a second run on the same directory
    at the same time would interleave its appends. The descriptor releases it when closed."""
    prepare_directory(root)
    folder = open_dir_inside(root, "")
    try:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(LOCK, flags, 0o600, dir_fd=folder)
    except OSError as exc:
        raise ArchiveError(f"{LOCK}: {exc.strerror or exc}", LOCK) from None
    finally:
        os.close(folder)
    try:
        import fcntl
    except ImportError:  # no flock here (Windows): one run at a time is then the user's to keep
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ArchiveError(
            f"another ftmon archive is writing to {root} now: wait for it to end", LOCK
        ) from None
    return fd


def _secret_forms(secrets: Iterable[str]) -> list[bytes]:
    """Each key as it could appear in bytes written: as is, and escaped inside JSON."""
    forms: list[bytes] = []
    for secret in secrets:
        if not secret:
            continue
        for form in (secret, json.dumps(secret)[1:-1]):
            raw = form.encode("utf-8", "replace")
            if raw not in forms:
                forms.append(raw)
    return forms
