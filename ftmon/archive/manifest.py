"""``manifest.json``: what an archive holds, read back with every field checked.

It lists every file with its size and SHA-256, where the archive came from (the API's base URL,
never a key), when it was made and last brought up to date, by which ftmon, and per job what is
archived: its status, whether it is final and complete, the newest event's id and the counts.
File objects (training, validation and result files, shared between jobs) are listed once each,
with their content's path or the API's refusal to send it.

The manifest is the archive's one truth: a file that it does not list is not part of the
archive (a run that was interrupted before it could list it), and an events file longer than
listed holds a tail that the next run cuts back before it appends.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftmon import __version__
from ftmon.archive.layout import MANIFEST, ArchiveError, check_relpath, read_inside, safe_id
from ftmon.safefile import write_bytes_atomic

FORMAT = "ftmon-archive"
VERSION = 1
#: The most a manifest may hold (10,000 jobs make ~10 MB).
MANIFEST_CAP = 256 * 1024 * 1024
_SHA = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class FileEntry:
    size: int
    sha256: str


@dataclass
class Manifest:
    """The parsed manifest; ``jobs`` and ``file_objects`` are plain JSON-ready dicts."""

    base_url: str
    provider: str = "openai"
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    ftmon_version: str = __version__
    runs: int = 0
    files: dict[str, FileEntry] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- writing ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "ftmon_version": self.ftmon_version,
            "base_url": self.base_url,
            "provider": self.provider,
            "created": _iso(self.created),
            "updated": _iso(self.updated),
            "runs": self.runs,
            "jobs": self.jobs,
            "file_objects": self.file_objects,
            "files": {
                path: {"size": entry.size, "sha256": entry.sha256}
                for path, entry in sorted(self.files.items())
            },
        }

    def dump(self) -> bytes:
        """One line per job and per file: small, and still readable with ``grep``."""
        data = self.to_dict()
        head = {k: v for k, v in data.items() if k not in ("jobs", "file_objects", "files")}
        lines = [json.dumps(head, ensure_ascii=True)[:-1] + ","]
        for name in ("jobs", "file_objects", "files"):
            items = [
                f"  {json.dumps(key, ensure_ascii=True)}: "
                f"{json.dumps(value, ensure_ascii=True, sort_keys=True)}"
                for key, value in data[name].items()
            ]
            body = "\n" + ",\n".join(items) + "\n" if items else ""
            lines.append(f'"{name}": {{{body}}},')
        lines[-1] = lines[-1].rstrip(",") + "}"
        return ("\n".join(lines) + "\n").encode("ascii")

    def save(self, root: Path) -> None:
        """Moved into place in one step, flushed to the disk first."""
        self.updated = time.time()
        self.ftmon_version = __version__
        write_bytes_atomic(root, MANIFEST, self.dump(), sync=True)

    # -- reading ----------------------------------------------------------------------------

    @classmethod
    def load(cls, root: Path) -> Manifest:
        """The manifest of the archive at ``root``; :class:`ArchiveError` naming what is wrong."""
        try:
            raw = read_inside(root, MANIFEST, MANIFEST_CAP)
        except ArchiveError as exc:
            if "is missing" in exc.message:
                raise ArchiveError(
                    f"{root} is not an ftmon archive: it has no {MANIFEST}", MANIFEST
                ) from None
            raise
        try:
            # json.loads of bytes decodes them and holds both while it parses (19 MB each for
            # a manifest of 10,000 jobs): decoded here as it would, and the bytes let go first.
            text = raw.decode(json.detect_encoding(raw), "surrogatepass")
            del raw
            data = json.loads(text)
            del text
        except (ValueError, RecursionError):
            raise ArchiveError(
                f"{MANIFEST} is not JSON: damaged or not an archive's", MANIFEST
            ) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ArchiveError(f"{MANIFEST} is not an ftmon archive's manifest", MANIFEST)
        if data.get("version") != VERSION:
            raise ArchiveError(
                f"{MANIFEST}: archive format version {str(data.get('version'))[:20]} is not "
                f"one this ftmon reads ({VERSION})",
                MANIFEST,
            )
        return cls._parse(data)

    @classmethod
    def _parse(cls, data: dict[str, Any]) -> Manifest:
        def bad(what: str) -> ArchiveError:
            return ArchiveError(f"{MANIFEST}: {what}", MANIFEST)

        files: dict[str, FileEntry] = {}
        raw_files = data.get("files")
        if not isinstance(raw_files, dict):
            raise bad("no list of files")
        for path, entry in raw_files.items():
            check_relpath(path)
            if not isinstance(entry, dict):
                raise bad(f"the entry of {path[:200]} is not an object")
            size, sha = entry.get("size"), entry.get("sha256")
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise bad(f"the size of {path[:200]} is not a number of bytes")
            if not isinstance(sha, str) or not _SHA.fullmatch(sha):
                raise bad(f"the SHA-256 of {path[:200]} is not 64 hex digits")
            files[path] = FileEntry(size, sha)
        jobs = data.get("jobs")
        objects = data.get("file_objects")
        if not isinstance(jobs, dict) or not isinstance(objects, dict):
            raise bad("no jobs or file objects")
        for job_id, entry in jobs.items():
            _check_entry(bad, "job", job_id, entry, files)
        for file_id, entry in objects.items():
            _check_entry(bad, "file", file_id, entry, files)
        base_url = data.get("base_url")
        if not isinstance(base_url, str):
            raise bad("no base URL")
        return cls(
            base_url=base_url,
            provider=str(data.get("provider") or "openai"),
            created=_epoch(data.get("created")),
            updated=_epoch(data.get("updated")),
            ftmon_version=str(data.get("ftmon_version") or "?"),
            runs=data["runs"] if isinstance(data.get("runs"), int) else 0,
            files=files,
            jobs=jobs,
            file_objects=objects,
        )

    # -- questions --------------------------------------------------------------------------

    def paths_of_job(self, job_id: str) -> list[str]:
        """The files a job entry names."""
        entry = self.jobs.get(job_id) or {}
        return [p for p in (_path(entry.get(k)) for k in ("job", "events", "checkpoints",
                                                          "permissions")) if p]  # fmt: skip


def _path(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and isinstance(part.get("path"), str):
        return str(part["path"])
    return None


def _check_entry(bad: Any, kind: str, key: Any, entry: Any, files: dict[str, FileEntry]) -> None:
    """An entry's id is a plain name, and every path it names is a listed file."""
    try:
        safe_id(kind, key)
    except ArchiveError as exc:
        raise bad(exc.message) from None
    if not isinstance(entry, dict):
        raise bad(f"the entry of {kind} {key} is not an object")
    for name in ("job", "events", "checkpoints", "permissions", "metadata", "content"):
        path = _path(entry.get(name))
        if path is not None and path not in files:
            raise bad(f"{kind} {key} names {path[:200]}, which the list of files does not hold")


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _epoch(value: Any) -> float:
    if isinstance(value, str):
        try:
            return float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")))
        except ValueError:
            return 0.0
    return 0.0
