"""An archive served as the API: an httpx transport that answers the client's reads from disk.

As the simulator is served in process (:mod:`ftmon.sim.transport`), an archive is too, so the
engine, the TUI, the headless read commands and the export work on it with no second code path:

* ``GET /fine_tuning/jobs`` newest first, with ``after``/``limit`` and the ``metadata`` filter
  (``metadata[k]=v``, ``metadata=null``; a ``status`` filter too);
* a job; its events newest first with ``after``/``limit``; its checkpoints; each checkpoint's
  permissions (``after``, ``limit``, ``order``, ``project_id``);
* ``GET /files`` and a file's metadata and content; a download the API refused when the archive
  was made is refused again, with the same status and message;
* every other method answers 403: the archive is read-only.

Answers carry the bytes the API sent. The archive is checked when opened (the manifest, every
listed file there, inside the directory and of its listed size) and each file's SHA-256 when it
is first read; a problem is an :class:`~ftmon.archive.layout.ArchiveError` naming the file (at
open), or a 500 whose message names it (later). Files are opened one directory at a time without
following a link, and none is read past its listed size or a cap.

:func:`archive_client` is the client for an archive: no key needed, read-only settings, and a
base URL that names the archive's directory (``file:///.../v1``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl, unquote

import httpx

from ftmon.api.client import FineTuningClient
from ftmon.archive.layout import MANIFEST, ArchiveError, open_inside, read_inside
from ftmon.archive.manifest import Manifest
from ftmon.archive.verify import verify
from ftmon.config import Secret, Settings

#: Stand-ins for keys: the client sends a key with every request; this one never leaves.
ARCHIVE_KEY = "ftmon-archive-read-only"
#: The most of one JSON file (a job, a checkpoints or permissions list) read whole.
JSON_CAP = 64 * 1024 * 1024
#: The most of a file's content served (as the client's own cap on an answer).
CONTENT_CAP = 1024 * 1024 * 1024
#: The most of an events file indexed.
EVENTS_CAP = 4 * 1024 * 1024 * 1024
MAX_LIMIT = 10_000
READ_ONLY = "This is an archive, opened read-only: nothing can be changed through it."


class _Answer(Exception):
    """An error answer, as the API shapes it."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": code,
            }
        }


class _Events:
    """One job's archived events: where each line starts, and how to find an event by its id.

    No id is held: each line's ``hash()`` of its id, sorted, beside the line it is on (three
    arrays of numbers, 24 bytes an event, where a list of 100,000 ids and their dict were 15
    MB). A lookup reads the candidate lines back and compares their ids, so two ids of one hash
    are told apart."""

    def __init__(self, relpath: str, offsets: array[int], hashes: array[int]) -> None:
        self.relpath = relpath
        self.offsets = offsets  # len + 1 entries: each line's start, then the end
        self.count = len(offsets) - 1
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        self.hashes = array("q", (hashes[n] for n in order))
        self.lines = array("q", order)


class _Unreadable:
    """A part of a manifest entry of a shape this reader does not know, found when the archive
    was opened: using it raises what reading the raw entry raised then, so the request that
    needs it is the same 500 naming the manifest it always was."""

    __slots__ = ("error",)

    def __init__(self, error: type[Exception]) -> None:
        self.error = error


#: What reading an entry of an unknown shape raises (:meth:`ArchiveSource.answer` words them).
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
#: A file object whose content is not in the archive (``content_refused`` says why).
_NO_CONTENT = object()


def _take(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except _SHAPE_ERRORS as exc:
        return _Unreadable(type(exc))


def _given(value: Any) -> Any:
    if isinstance(value, _Unreadable):
        raise value.error("an entry of an unknown shape")
    return value


class _JobFiles(NamedTuple):
    """What the source reads of a job's manifest entry (each part a value or
    :class:`_Unreadable`); the rest of the entry (its times, counts, names, files) is not kept."""

    job: Any  # the job file's path
    events: Any  # the events file's path
    checkpoints: Any  # the checkpoints file's path, or None
    permissions: Any  # (the permissions file's path or None, why not archived or None)


def _job_files(entry: dict[str, Any]) -> _JobFiles:
    def permissions() -> tuple[Any, Any]:
        found = entry.get("permissions") or {}
        if "path" not in found:
            return None, found.get("not_archived") or "not archived"
        return found["path"], None

    return _JobFiles(
        _take(lambda: entry["job"]["path"]),
        _take(lambda: entry["events"]["path"]),
        _take(lambda: (entry.get("checkpoints") or {}).get("path")),
        _take(permissions),
    )


class _FileObject(NamedTuple):
    """What the source reads of a file object's manifest entry (one with its metadata)."""

    metadata: Any  # the metadata file's path
    content: Any  # the content file's path, or _NO_CONTENT
    refused: Any  # (status, message) of the download the API refused when archiving
    purpose: Any


def _file_object(entry: dict[str, Any]) -> _FileObject:
    def refused() -> tuple[Any, str]:
        found = entry.get("content_refused") or {}
        message = str(found.get("message") or "The content of this file was not archived.")
        return found.get("status"), message

    return _FileObject(
        _take(lambda: str(entry["metadata"]["path"])),
        _take(lambda: entry["content"]["path"]) if "content" in entry else _NO_CONTENT,
        _take(refused),
        entry.get("purpose"),
    )


class ArchiveSource:
    """An archive directory, checked, and the API's read routes answered from it."""

    def __init__(self, directory: Path | str) -> None:
        self.root = Path(directory)
        report = verify(self.root, deep=False)
        report.raise_first()
        manifest = report.manifest
        jobs = manifest.jobs
        self.order = sorted(
            jobs, key=lambda j: (_number(jobs[j].get("created_at")), j), reverse=True
        )
        self.position = {job_id: n for n, job_id in enumerate(self.order)}
        self.checkpoint_jobs: dict[str, str] = {}
        for job_id, entry in jobs.items():
            checkpoints = entry.get("checkpoints")
            names = checkpoints.get("names") if isinstance(checkpoints, dict) else None
            for name in names if isinstance(names, list) else []:
                if isinstance(name, str):
                    self.checkpoint_jobs[name] = job_id
        # Of each entry only what a request reads: the manifest's job and file entries as
        # parsed (25 and 8 MB of the big world's 10,000 jobs) are let go.
        self._job_files = {job_id: _job_files(entry) for job_id, entry in jobs.items()}
        self._file_objects = {
            file_id: _file_object(entry)
            for file_id, entry in manifest.file_objects.items()
            if "metadata" in entry
        }
        #: The manifest's header and its files (size, SHA-256); its job and file-object
        #: entries are the source's own, above.
        self.manifest: Manifest = replace(manifest, jobs={}, file_objects={})
        self._lock = threading.Lock()
        self._checked: set[str] = set()
        #: What the list's filters read of a job (its metadata and status), by job id.
        self._filtered: OrderedDict[str, tuple[Any, Any]] = OrderedDict()
        self._events: OrderedDict[str, _Events] = OrderedDict()

    # -- reading files ----------------------------------------------------------------------

    def _bytes(self, relpath: str, cap: int | None = None) -> bytes:
        entry = self.manifest.files.get(relpath)
        if entry is None:
            raise ArchiveError(f"{relpath} is not in the manifest", relpath)
        data = read_inside(self.root, relpath, JSON_CAP if cap is None else cap, size=entry.size)
        if relpath not in self._checked:
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                raise ArchiveError(
                    f"{relpath} does not match the SHA-256 the manifest lists (edited or damaged)",
                    relpath,
                )
            self._checked.add(relpath)
        return data

    def _json(self, relpath: str) -> Any:
        try:
            return json.loads(self._bytes(relpath))
        except (ValueError, RecursionError):
            raise ArchiveError(f"{relpath} is not JSON", relpath) from None

    def job(self, job_id: str) -> dict[str, Any]:
        """The job as archived, parsed."""
        job = self._json(self._job_path(job_id))
        if not isinstance(job, dict):
            raise ArchiveError(f"the job file of {job_id} is not an object")
        return job

    def _filter_fields(self, job_id: str) -> tuple[Any, Any]:
        """(metadata, status) of a job, what the list's filters compare: kept, not the job."""

        def read() -> tuple[Any, Any]:
            job = self.job(job_id)
            return job.get("metadata"), job.get("status")

        return _kept(self._filtered, job_id, 20_000, read)

    def _entry(self, job_id: str) -> _JobFiles:
        entry = self._job_files.get(job_id)
        if entry is None:
            raise _Answer(
                404,
                f"Could not find fine-tuning job: {job_id}",
                param="fine_tuning_job_id",
                code="fine_tuning_job_not_found",
            )
        return entry

    def _job_path(self, job_id: str) -> str:
        return _given(self._entry(job_id).job)

    def events(self, job_id: str) -> _Events:
        return _kept(
            self._events, job_id, 4, lambda: self._index_events(_given(self._entry(job_id).events))
        )

    def _index_events(self, relpath: str) -> _Events:
        """Line starts and the hashes of the ids of an events file, its SHA-256 checked in the
        same pass."""
        size = self.manifest.files[relpath].size
        if size > EVENTS_CAP:
            raise ArchiveError(f"{relpath} is larger than {EVENTS_CAP:,} bytes (not read)")
        fd = open_inside(self.root, relpath)
        offsets = array("q", [0])
        hashes = array("q")
        digest = hashlib.sha256()
        try:
            if os.fstat(fd).st_size < size:
                raise ArchiveError(f"{relpath} is shorter than the manifest lists (truncated?)")
            done = 0
            rest = b""
            while done < size:
                chunk = os.pread(fd, min(size - done, 1 << 20), done)
                if not chunk:
                    break
                digest.update(chunk)
                base = done - len(rest)
                block = rest + chunk
                done += len(chunk)
                start = 0
                while (end := block.find(b"\n", start)) != -1:
                    hashes.append(_id_hash(_event_id(block[start:end])))
                    offsets.append(base + end + 1)
                    start = end + 1
                rest = block[start:]
        finally:
            os.close(fd)
        if rest:
            raise ArchiveError(f"{relpath}: its last line is cut short", relpath)
        if digest.hexdigest() != self.manifest.files[relpath].sha256:
            raise ArchiveError(
                f"{relpath} does not match the SHA-256 the manifest lists (edited or damaged)",
                relpath,
            )
        return _Events(relpath, offsets, hashes)

    def _find_event(self, events: _Events, event_id: str) -> int | None:
        """The line of the event ``event_id``: the lines of its hash read back and compared."""
        wanted = _id_hash(event_id)
        at = bisect_left(events.hashes, wanted)
        while at < len(events.hashes) and events.hashes[at] == wanted:
            line = events.lines[at]
            if _event_id(self._lines(events, line, line)[0]) == event_id:
                return line
            at += 1
        return None

    def _lines(self, events: _Events, first: int, last: int) -> list[bytes]:
        """Events ``first`` to ``last`` (inclusive, oldest first) as their archived lines."""
        fd = open_inside(self.root, events.relpath)
        try:
            start, end = events.offsets[first], events.offsets[last + 1]
            block = os.pread(fd, end - start, start)
        finally:
            os.close(fd)
        return block.splitlines()

    # -- answering --------------------------------------------------------------------------

    def answer(
        self, method: str, route: list[str], query: dict[str, str]
    ) -> tuple[int, bytes, str]:
        """(status, body, content type) for one request; ``route`` is the path after ``/v1``."""
        try:
            if method != "GET":
                raise _Answer(403, READ_ONLY, code="archive_read_only")
            with self._lock:
                return 200, *self._get(route, query)
        except _Answer as answer:
            return answer.status, _dumps(answer.body), "application/json"
        except ArchiveError as exc:
            return _damaged(exc.message)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # A manifest edited by hand into a shape this reader does not know.
            kind = type(exc).__name__
            return _damaged(f"{MANIFEST} has an entry this ftmon cannot read ({kind})")

    def _get(self, route: list[str], query: dict[str, str]) -> tuple[bytes, str]:
        match route:
            case ["fine_tuning", "jobs"]:
                return self._list_jobs(query), "application/json"
            case ["fine_tuning", "jobs", job_id]:
                return self._bytes(self._job_path(job_id)), "application/json"
            case ["fine_tuning", "jobs", job_id, "events"]:
                return self._list_events(job_id, query), "application/json"
            case ["fine_tuning", "jobs", job_id, "checkpoints"]:
                return self._list_checkpoints(job_id, query), "application/json"
            case ["fine_tuning", "checkpoints", name, "permissions"]:
                return self._list_permissions(name, query), "application/json"
            case ["files"]:
                return self._list_files(query), "application/json"
            case ["files", file_id]:
                return self._bytes(self._file_meta(file_id)), "application/json"
            case ["files", file_id, "content"]:
                return self._file_content(file_id), "application/octet-stream"
        raise _Answer(404, f"Unknown request URL: GET /v1/{'/'.join(route)}", code="unknown_url")

    def _list_jobs(self, query: dict[str, str]) -> bytes:
        limit = _limit(query, 20)
        wanted = _metadata_filter(query)
        status = query.get("status")
        start = 0
        after = query.get("after")
        if after is not None:
            if after not in self.position:
                raise _Answer(400, f"No fine-tuning job found with id {after}", param="after")
            start = self.position[after] + 1
        page: list[bytes] = []
        more = False
        for job_id in self.order[start:]:
            if wanted is not None or status:
                metadata, job_status = self._filter_fields(job_id)
                if not _metadata_matches(metadata, wanted):
                    continue
                if status and job_status != status:
                    continue
            if len(page) == limit:
                more = True
                break
            page.append(self._bytes(self._job_path(job_id)).strip())
        return _page(page, more)

    def _list_events(self, job_id: str, query: dict[str, str]) -> bytes:
        limit = _limit(query, 20)
        events = self.events(job_id)
        newest = events.count - 1
        after = query.get("after")
        if after is not None:
            index = self._find_event(events, after)
            if index is None:
                raise _Answer(400, f"No event found with id {after} in {job_id}", param="after")
            newest = index - 1
        oldest = max(0, newest - limit + 1)
        if newest < 0:
            return _page([], False)
        lines = self._lines(events, oldest, newest)
        lines.reverse()
        return _page(lines, oldest > 0)

    def _list_checkpoints(self, job_id: str, query: dict[str, str]) -> bytes:
        limit = _limit(query, 10)
        path = _given(self._entry(job_id).checkpoints)
        items = self._json(path).get("data", []) if path else []
        return _page_of(items, query.get("after"), limit, "checkpoint", ids=True)

    def _list_permissions(self, name: str, query: dict[str, str]) -> bytes:
        limit = _limit(query, 10)
        job_id = self.checkpoint_jobs.get(name)
        missing = _Answer(
            404,
            f"The model '{name}' does not exist or you do not have access to it.",
            param="fine_tuned_model_checkpoint",
            code="model_not_found",
        )
        if job_id is None:
            raise missing
        path, why = _given(self._entry(job_id).permissions)
        if path is None:
            raise _Answer(403, f"Checkpoint permissions are not in this archive ({why}).")
        found = self._json(path).get(name)
        if not isinstance(found, dict):
            raise missing
        if "error" in found:
            error = found["error"]
            raise _Answer(int(error.get("status") or 404), str(error.get("message") or ""))
        items = [p for p in found.get("data", []) if isinstance(p, dict)]
        project = query.get("project_id")
        if project:
            items = [p for p in items if p.get("project_id") == project]
        order = query.get("order", "descending")
        if order not in ("ascending", "descending"):
            raise _Answer(
                400,
                f"Invalid 'order': expected one of ascending, descending, but got '{order}' "
                "instead.",
                param="order",
                code="invalid_value",
            )
        if order == "ascending":  # archived as the API lists them by default: newest first
            items.reverse()
        return _page_of(items, query.get("after"), limit, "permission", ids=True)

    def _file_entry(self, file_id: str) -> _FileObject:
        entry = self._file_objects.get(file_id)
        if entry is None:
            raise _Answer(404, f"No such File object: {file_id}", param="id")
        return entry

    def _file_meta(self, file_id: str) -> str:
        return _given(self._file_entry(file_id).metadata)

    def _file_content(self, file_id: str) -> bytes:
        entry = self._file_entry(file_id)
        if entry.content is not _NO_CONTENT:
            return self._bytes(_given(entry.content), CONTENT_CAP)
        status, message = _given(entry.refused)
        raise _Answer(
            status if isinstance(status, int) and 400 <= status < 600 else 403,
            message,
        )

    def _list_files(self, query: dict[str, str]) -> bytes:
        limit = _limit(query, MAX_LIMIT)
        purpose = query.get("purpose")
        files = []
        for entry in self._file_objects.values():
            if not purpose or entry.purpose == purpose:
                files.append(self._json(_given(entry.metadata)))
        files.sort(key=lambda f: (_number(f.get("created_at")), str(f.get("id"))))
        if query.get("order", "desc") != "asc":
            files.reverse()
        return _page_of(files, query.get("after"), limit, "file", ids=True)


def _damaged(message: str) -> tuple[int, bytes, str]:
    body = {
        "error": {
            "message": f"The archive is damaged: {message}",
            "type": "server_error",
            "param": None,
            "code": "archive_damaged",
        }
    }
    return 500, _dumps(body), "application/json"


# -- pages ------------------------------------------------------------------------------------


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=True).encode("ascii")


def _page(items: list[bytes], more: bool) -> bytes:
    return (
        b'{"object": "list", "data": ['
        + b", ".join(items)
        + b'], "has_more": '
        + (b"true}" if more else b"false}")
    )


def _page_of(
    items: list[dict[str, Any]], after: str | None, limit: int, kind: str, *, ids: bool
) -> bytes:
    """One page of a list held whole, ``after`` an item's id; ``first_id``/``last_id`` too."""
    if after is not None:
        positions = [n for n, item in enumerate(items) if item.get("id") == after]
        if not positions:
            raise _Answer(400, f"No {kind} found with id {after}", param="after")
        items = items[positions[0] + 1 :]
    page, more = items[:limit], len(items) > limit
    body: dict[str, Any] = {"object": "list", "data": page, "has_more": more}
    if ids:
        body["first_id"] = page[0].get("id") if page else None
        body["last_id"] = page[-1].get("id") if page else None
    return _dumps(body)


def _limit(query: dict[str, str], default: int) -> int:
    raw = query.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _Answer(
            400,
            f"Invalid 'limit': expected an integer, but got '{raw}' instead.",
            param="limit",
            code="invalid_type",
        ) from None
    if not 1 <= value <= MAX_LIMIT:
        raise _Answer(
            400,
            f"Invalid 'limit': expected a value from 1 to {MAX_LIMIT}, but got {value} instead.",
            param="limit",
            code="invalid_value",
        )
    return value


def _metadata_filter(query: dict[str, str]) -> dict[str, str] | str | None:
    wanted = {
        key[len("metadata[") : -1]: value
        for key, value in query.items()
        if key.startswith("metadata[") and key.endswith("]")
    }
    if "metadata" in query:
        if query["metadata"] != "null" or wanted:
            raise _Answer(
                400,
                "Invalid 'metadata': use metadata[key]=value, or metadata=null for jobs "
                "without metadata.",
                param="metadata",
            )
        return "null"
    return wanted or None


def _metadata_matches(value: Any, wanted: dict[str, str] | str | None) -> bool:
    if wanted is None:
        return True
    if wanted == "null":
        return not value
    if not isinstance(value, dict) or not isinstance(wanted, dict):
        return False
    return all(value.get(k) == v for k, v in wanted.items())


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


_ID_PREFIXES = (b'{"object": "fine_tuning.job.event", "id": "', b'{"id": "')


T = TypeVar("T")


def _kept(kept: OrderedDict[str, T], key: str, most: int, make: Callable[[], T]) -> T:
    """``kept[key]``, made by ``make`` when missing; ``kept`` holds the ``most`` used last."""
    found = kept.get(key)
    if found is not None:
        kept.move_to_end(key)
        return found
    found = kept[key] = make()
    if len(kept) > most:
        kept.popitem(last=False)
    return found


def _id_hash(event_id: str | None) -> int:
    """What :class:`_Events` keeps of an id (a line with none: a hash no lookup asks for)."""
    return hash(event_id) if event_id is not None else 0


def _event_id(line: bytes) -> str | None:
    """An archived event's id: read from the line's start when it is there, else parsed."""
    for prefix in _ID_PREFIXES:
        if line.startswith(prefix):
            end = line.find(b'"', len(prefix))
            if end != -1 and b"\\" not in line[len(prefix) : end]:
                return line[len(prefix) : end].decode("ascii")
    try:
        value = json.loads(line).get("id")
    except (ValueError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, str) else None


# -- the transport and the client -------------------------------------------------------------


class ArchiveTransport(httpx.AsyncBaseTransport):
    """Serves the client's requests from an :class:`ArchiveSource`, off the event loop."""

    def __init__(self, source: ArchiveSource, base_url: str) -> None:
        self.source = source
        self.base = httpx.URL(base_url).raw_path.split(b"?")[0].rstrip(b"/")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw_path = request.url.raw_path.split(b"?")[0]
        if raw_path.startswith(self.base + b"/"):
            rest = raw_path[len(self.base) + 1 :].decode("ascii", "replace")
            route = [unquote(part) for part in rest.split("/")]
        else:
            route = ["?"]
        query = dict(
            parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True)
        )
        status, body, kind = await asyncio.to_thread(
            self.source.answer, request.method, route, query
        )
        return httpx.Response(status, content=body, headers={"content-type": kind}, request=request)


def archive_settings(settings: Settings, directory: Path | str, manifest: Manifest) -> Settings:
    """The user's settings pointed at an archive: read-only, stand-in keys, the base URL the
    archive's directory as a ``file:`` URL."""
    return replace(
        settings,
        api_key=Secret(ARCHIVE_KEY),
        admin_key=Secret(ARCHIVE_KEY),
        base_url=Path(directory).resolve().as_uri() + "/v1",
        auth_header="bearer",
        organization=None,
        project=None,
        provider=manifest.provider if manifest.provider in ("openai", "azure") else "openai",
        read_only=True,
        max_retries=0,
        # The header says it is an archive and of when: "archive of 2026-12-05 06:30 UTC".
        profile="archive of " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(manifest.updated)),
    )


def archive_client(settings: Settings, directory: Path | str) -> FineTuningClient:
    """A client whose API is the archive at ``directory`` (checked first: :class:`ArchiveError`
    naming the file if it is not an archive or does not match its manifest)."""
    source = ArchiveSource(directory)
    archived = archive_settings(settings, directory, source.manifest)
    return FineTuningClient(archived, transport=ArchiveTransport(source, archived.base_url))


def describe(directory: Path | str) -> dict[str, Any]:
    """What a header says of an archive: where from, made when, last brought up to date."""
    manifest = Manifest.load(Path(directory))
    data = manifest.to_dict()
    return {k: data[k] for k in ("base_url", "provider", "created", "updated", "ftmon_version")}
