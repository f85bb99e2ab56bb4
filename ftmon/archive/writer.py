"""Archive an account's fine-tuning jobs into a directory, incrementally and resumably.

For each job: the job, every event (appended, oldest first), every checkpoint, each
checkpoint's permissions (with an admin key), and its files (training, validation, result):
metadata and content, or the API's refusal to send the content. All as the API sent it.

A second run reads the list of jobs and fetches only what changed: new jobs, jobs not yet final
(their new events only), and what an earlier run could not get. A final job archived whole costs
no request beyond the list pages. Work is committed to the manifest a job at a time, every few
seconds and at the end, also when the run is interrupted (Ctrl-C, a lost network, a full disk):
the next run finds a consistent archive and completes it (:mod:`ftmon.archive.store`).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.api.models import is_final, normalise_status
from ftmon.archive import raw
from ftmon.archive.layout import (
    EVENTS,
    MANIFEST,
    ArchiveError,
    UnsafeIdError,
    events_path,
    file_content_path,
    file_meta_path,
    job_dir,
    safe_id,
)
from ftmon.archive.manifest import Manifest
from ftmon.archive.store import ArchiveStore, Change, encode, lock_archive
from ftmon.archive.verify import verify
from ftmon.export import client_secrets
from ftmon.safefile import prepare_directory
from ftmon.text import one_line, redact

NO_ADMIN_KEY = "not archived: no admin key"
#: The most of an archived checkpoints or events file read back into memory.
READ_BACK_CAP = 512 * 1024 * 1024


@dataclass
class Selection:
    """Which jobs: these ids, or every job (created since ``since``, of these statuses)."""

    job_ids: list[str] = field(default_factory=list)
    since: float | None = None
    statuses: frozenset[str] = frozenset()

    def wants(self, job: dict[str, Any]) -> bool:
        return not self.statuses or normalise_status(job.get("status")) in self.statuses


@dataclass
class Progress:
    jobs_total: int = 0
    jobs_done: int = 0
    bytes: int = 0
    listing: bool = True


@dataclass
class ArchiveSummary:
    """What a run did; ``error`` is what stopped it early, if anything did."""

    directory: Path
    base_url: str = ""
    jobs_listed: int = 0
    jobs_fetched: int = 0
    jobs_unchanged: int = 0
    jobs_archived: int = 0
    jobs_final: int = 0
    events_added: int = 0
    files_written: int = 0
    bytes_written: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Jobs an error kept out of this run (the next run tries them again).
    failed: list[dict[str, Any]] = field(default_factory=list)
    failures: list[errors.FtmonApiError] = field(default_factory=list, repr=False)
    error: BaseException | None = None

    @property
    def complete(self) -> bool:
        return self.error is None and not (self.skipped or self.not_found or self.failed)

    def to_dict(self) -> dict[str, Any]:
        error: Any = None
        if isinstance(self.error, errors.FtmonApiError):
            error = self.error.to_dict()
        elif self.error is not None:
            error = {"kind": type(self.error).__name__, "message": _reason(self.error)}
        return {
            "directory": str(self.directory),
            "manifest": str(self.directory / MANIFEST),
            "base_url": self.base_url,
            "complete": self.complete,
            "jobs": {
                "listed": self.jobs_listed,
                "fetched": self.jobs_fetched,
                "unchanged": self.jobs_unchanged,
                "in_archive": self.jobs_archived,
                "final_and_complete": self.jobs_final,
            },
            "events_added": self.events_added,
            "files_written": self.files_written,
            "bytes_written": self.bytes_written,
            "refusals": self.refusals,
            "skipped": self.skipped,
            "not_found": self.not_found,
            "notes": self.notes,
            "failed": self.failed,
            "error": error,
        }


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ArchiveError):
        return exc.message
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return str(exc)


def public_base_url(url: str, secrets: list[str]) -> str:
    """The base URL as an archive records it: no user name or password, no key."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return redact(urlunsplit(parts._replace(netloc=netloc, fragment="")), secrets)


def _refuse_other_directories(root: Path) -> None:
    """Nothing is written into a directory that holds files but no manifest (not an archive)."""
    if not root.is_dir() or (root / MANIFEST).exists() or os.path.islink(root / MANIFEST):
        return
    if any(not name.startswith(".") for name in os.listdir(root)):
        raise ArchiveError(
            f"{root} holds files but no {MANIFEST}: it is not an ftmon archive "
            "(archive into a new or empty directory)",
            MANIFEST,
        )


def open_archive(root: Path, base_url: str, provider: str) -> Manifest:
    """The manifest of the archive at ``root`` to add to, or a new one for an empty directory.

    Refuses a directory that holds files but no manifest, an archive of another API, and one
    whose files do not match their manifest (each problem naming the file).
    """
    prepare_directory(root)
    try:
        manifest = Manifest.load(root)
    except ArchiveError as exc:
        if "has no" not in exc.message:
            raise
        _refuse_other_directories(root)
        # Listed before anything else is written: a directory with files of ours has a
        # manifest, so a run interrupted before its first commit leaves an archive.
        manifest = Manifest(base_url=base_url, provider=provider)
        manifest.save(root)
        return manifest
    if manifest.base_url != base_url:
        raise ArchiveError(
            f"{root} is an archive of {one_line(manifest.base_url)}, not of "
            f"{one_line(base_url)}: archive into another directory",
            MANIFEST,
        )
    report = verify(root, deep=False, manifest=manifest)
    if report.problems:
        first = report.problems[0]
        raise ArchiveError(f"{first}; the archive needs repair before it grows", first)
    return manifest


class _Stop(Exception):
    """An error that ends the run (the network, the key), raised past the job it met."""


class _Run:
    def __init__(
        self,
        client: FineTuningClient,
        store: ArchiveStore,
        selection: Selection,
        summary: ArchiveSummary,
        on_progress: Callable[[Progress], None] | None,
        concurrency: int,
        commit_every: float,
    ) -> None:
        self.client = client
        self.store = store
        self.selection = selection
        self.summary = summary
        self.on_progress = on_progress
        self.concurrency = max(1, concurrency)
        self.commit_every = commit_every
        self.progress = Progress()
        self.last_commit = time.monotonic()
        self.admin = bool(client.settings.admin_key and client.settings.admin_key.reveal())
        self._files: dict[str, asyncio.Future[None]] = {}

    @property
    def manifest(self) -> Manifest:
        return self.store.manifest

    def report(self) -> None:
        self.progress.bytes = self.store.bytes_written
        if self.on_progress is not None:
            self.on_progress(self.progress)

    # -- which jobs -------------------------------------------------------------------------

    def _is_done(self, job_id: str) -> bool:
        entry = self.manifest.jobs.get(job_id)
        if not entry or not entry.get("complete"):
            return False
        permissions = entry.get("permissions") or {}
        return not (self.admin and permissions.get("not_archived") == NO_ADMIN_KEY)

    def _take(self, job: dict[str, Any], work: list[tuple[str, bytes]]) -> None:
        try:
            safe_id("job", job.get("id"))
        except UnsafeIdError as exc:
            self.summary.skipped.append({"job": repr(job.get("id"))[:100], "reason": exc.message})
            return
        if self._is_done(job["id"]):
            self.summary.jobs_unchanged += 1
        else:
            # Kept encoded until its turn: 10,000 jobs as dicts would hold ~80 MB.
            work.append((job["id"], encode(job, indent=None)))

    async def select(self) -> list[tuple[str, bytes]]:
        work: list[tuple[str, bytes]] = []
        if self.selection.job_ids:
            for job_id in self.selection.job_ids:
                self.summary.jobs_listed += 1
                if self._is_done(job_id):
                    self.summary.jobs_unchanged += 1
                    continue
                try:
                    job = await raw.get_object(self.client, raw.job_path(job_id))
                except errors.NotFoundError:
                    self.summary.not_found.append(job_id)
                    continue
                self._take(job, work)
            return work
        since = self.selection.since
        async for page in raw.pages(self.client, "fine_tuning/jobs"):
            old = False
            for job in page:
                created = job.get("created_at")
                if since is not None and isinstance(created, (int, float)) and created < since:
                    old = True
                    continue
                if not self.selection.wants(job):
                    continue
                self.summary.jobs_listed += 1
                self._take(job, work)
            self.progress.jobs_total = len(work)
            self.report()
            if old:
                break
        return work

    # -- the run ----------------------------------------------------------------------------

    async def go(self) -> None:
        work = await self.select()
        self.progress.listing = False
        self.progress.jobs_total = len(work)
        self.report()
        pending = deque(work)

        async def worker() -> None:
            while pending:
                await self.one(pending.popleft())

        workers = [asyncio.ensure_future(worker()) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise

    async def one(self, item: tuple[str, bytes]) -> None:
        job = json.loads(item[1])
        try:
            await self.archive_job(job)
        except errors.FtmonApiError as exc:
            if _ends_run(exc):
                raise
            self.summary.failed.append({"job": job["id"], "error": exc.to_dict()})
            self.summary.failures.append(exc)
        self.summary.jobs_fetched += 1
        self.progress.jobs_done += 1
        if time.monotonic() - self.last_commit >= self.commit_every:
            started = time.monotonic()
            self.store.commit()
            self.last_commit = time.monotonic()
            # A manifest of 10,000 jobs takes a while to write: never more than a tenth of
            # the run goes to it.
            self.commit_every = max(self.commit_every, 10 * (self.last_commit - started))
        self.report()

    async def archive_job(self, job: dict[str, Any]) -> None:
        job_id = job["id"]
        folder = job_dir(job_id)
        old = self.manifest.jobs.get(job_id) or {}
        change = Change()
        await asyncio.to_thread(self.store.clean, folder)
        status = job.get("status")
        final = is_final(status)
        events = await self.events(change, job_id, old.get("events") or {})
        checkpoints = await self.checkpoints(change, job_id, old.get("checkpoints") or {})
        permissions = await self.permissions(change, folder, old, checkpoints)
        files, files_ok = await self.job_files(job)
        job_path = self.store.put_addressed(change, folder, "job", encode(job))
        self.store.replace(change, _path(old.get("job")), job_path)
        complete = final and files_ok and "error" not in permissions
        change.jobs[job_id] = {
            "created_at": job.get("created_at"),
            "status": status,
            "final": final,
            "complete": complete,
            "job": {"path": job_path},
            "events": events,
            "checkpoints": checkpoints,
            "permissions": permissions,
            "files": files,
            "archived_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        self.store.apply(change)

    # -- events ------------------------------------------------------------------------------

    async def events(self, change: Change, job_id: str, old: dict[str, Any]) -> dict[str, Any]:
        """The job's new events appended, oldest first; its manifest entry."""
        relpath = events_path(job_id)
        newest = old.get("newest_id")
        count = int(old.get("count") or 0)
        spool_dir = self.store.directory(job_dir(job_id))
        with tempfile.TemporaryFile(dir=spool_dir, prefix=".events.", suffix=".spool") as spool:
            spans: list[tuple[int, int, list[str | None]]] = []
            first_id: str | None = None
            met = newest is None
            async for page in raw.pages(
                self.client, raw.job_path(job_id) + "/events", max_pages=raw.EVENT_PAGES
            ):
                lines = []
                ids: list[str | None] = []
                for item in page:
                    if newest is not None and item.get("id") == newest:
                        met = True
                        break
                    if first_id is None and isinstance(item.get("id"), str):
                        first_id = item["id"]
                    lines.append(encode(item, indent=None))
                    ids.append(item["id"] if isinstance(item.get("id"), str) else None)
                if lines:
                    start = spool.tell()
                    spool.write(b"\n".join(lines) + b"\n")
                    spans.append((start, spool.tell(), ids))
                if met and newest is not None:
                    break
            known: set[str] = set()
            if not met:
                # The newest archived event is no longer listed (ids that changed): keep out
                # every event already archived, by id.
                known = self._archived_ids(relpath)
            added = [0]
            chunks = _replay(spool, spans, known, added)
            self.store.append(change, relpath, chunks)
        self.summary.events_added += added[0]
        return {
            "path": relpath,
            "count": count + added[0],
            "newest_id": first_id if first_id is not None and added[0] else newest,
        }

    def _archived_ids(self, relpath: str) -> set[str]:
        if relpath not in self.manifest.files:
            return set()
        ids: set[str] = set()
        for line in self.store.read_listed(relpath, READ_BACK_CAP).splitlines():
            try:
                value = json.loads(line).get("id")
            except (ValueError, AttributeError):
                continue
            if isinstance(value, str):
                ids.add(value)
        return ids

    # -- checkpoints and their permissions ---------------------------------------------------

    async def checkpoints(self, change: Change, job_id: str, old: dict[str, Any]) -> dict[str, Any]:
        """Every checkpoint the API lists, and those archived before that it no longer lists
        (a checkpoint pruned since is kept, and named in ``gone``)."""
        listed = [
            item
            async for page in raw.pages(self.client, raw.job_path(job_id) + "/checkpoints")
            for item in page
        ]
        ids = {item.get("id") for item in listed}
        kept: list[dict[str, Any]] = []
        path = _path(old)
        if path and path in self.manifest.files:
            before = json.loads(self.store.read_listed(path, READ_BACK_CAP))
            kept = [c for c in before.get("data", []) if c.get("id") not in ids]
        union = sorted(listed + kept, key=_step, reverse=True)
        relpath = self.store.put_addressed(
            change, job_dir(job_id), "checkpoints", encode({"object": "list", "data": union})
        )
        self.store.replace(change, path, relpath)
        entry: dict[str, Any] = {"path": relpath, "count": len(union), "listed": len(listed)}
        if kept:
            entry["gone"] = [c.get("id") for c in kept]
        # The names the permissions route takes: a reader finds a checkpoint's job by them.
        entry["names"] = [
            c["fine_tuned_model_checkpoint"]
            for c in union
            if isinstance(c.get("fine_tuned_model_checkpoint"), str)
        ]
        entry["_names"] = [
            c["fine_tuned_model_checkpoint"]
            for c in listed
            if isinstance(c.get("fine_tuned_model_checkpoint"), str)
        ]
        return entry

    async def permissions(
        self, change: Change, folder: str, old: dict[str, Any], checkpoints: dict[str, Any]
    ) -> dict[str, Any]:
        names: list[str] = checkpoints.pop("_names")
        if not self.admin:
            return {"not_archived": NO_ADMIN_KEY}
        found: dict[str, Any] = {}
        refused: str | None = None
        for name in names:
            try:
                items = [
                    item
                    async for page in raw.pages(self.client, raw.permissions_path(name), admin=True)
                    for item in page
                ]
            except (errors.AuthenticationError, errors.PermissionDeniedError) as exc:
                refused = f"the admin key was refused: {exc}"
                break
            except errors.FtmonApiError as exc:
                if _ends_run(exc):
                    raise
                found[name] = {"error": {"status": exc.status_code, "message": _api_words(exc)}}
            else:
                found[name] = {"object": "list", "data": items, "has_more": False}
        if refused:
            return {"not_archived": refused, "error": True}
        relpath = self.store.put_addressed(change, folder, "permissions", encode(found))
        self.store.replace(change, _path(old.get("permissions")), relpath)
        return {"path": relpath, "checkpoints": len(found)}

    # -- files -------------------------------------------------------------------------------

    async def job_files(self, job: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The job's training, validation and result files archived; which, and whether all
        were (a refusal counts as archived: it is the API's answer)."""
        wanted: dict[str, Any] = {}
        ok = True
        for key in ("training_file", "validation_file"):
            if isinstance(job.get(key), str) and job[key]:
                wanted[key] = job[key]
        results = job.get("result_files")
        if isinstance(results, list):
            wanted["result_files"] = [f for f in results if isinstance(f, str) and f]
        for value in wanted.values():
            for file_id in value if isinstance(value, list) else [value]:
                try:
                    safe_id("file", file_id)
                except UnsafeIdError as exc:
                    self.summary.notes.append(f"{one_line(job['id'])}: {exc.message}")
                    ok = False
                    continue
                await self.archive_file(file_id)
                ok = ok and file_id in self.manifest.file_objects
        return wanted, ok

    async def archive_file(self, file_id: str) -> None:
        if file_id in self.manifest.file_objects:
            return
        running = self._files.get(file_id)
        if running is not None:
            await asyncio.shield(running)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._files[file_id] = future
        try:
            await self._archive_file(file_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters, if any, see it too
            raise
        else:
            future.set_result(None)
        finally:
            del self._files[file_id]

    async def _archive_file(self, file_id: str) -> None:
        change = Change()
        entry: dict[str, Any] = {}
        try:
            meta = await raw.get_object(self.client, raw.file_path(file_id))
        except errors.FtmonApiError as exc:
            if _ends_run(exc):
                raise
            entry["metadata_refused"] = {"status": exc.status_code, "message": _api_words(exc)}
            self.summary.refusals.append({"file": file_id, **entry["metadata_refused"]})
        else:
            entry["purpose"] = meta.get("purpose")
            entry["metadata"] = {
                "path": self.store.put_fixed(change, file_meta_path(file_id), encode(meta))
            }
            try:
                data = await self._content(file_id, meta.get("bytes"))
            except errors.FtmonApiError as exc:
                if _ends_run(exc):
                    raise
                entry["content_refused"] = {"status": exc.status_code, "message": _api_words(exc)}
                self.summary.refusals.append({"file": file_id, **entry["content_refused"]})
            else:
                relpath = self.store.put_fixed(change, file_content_path(file_id), data)
                entry["content"] = {"path": relpath}
        change.file_objects[file_id] = entry
        self.store.apply(change)

    async def _content(self, file_id: str, size: Any) -> bytes:
        """The file's content; read again when its size is not the metadata's (a proxy's page
        or a broken answer is no content), and kept if the API sends the same twice."""
        data = await raw.content(self.client, file_id)
        if not isinstance(size, int) or len(data) == size:
            return data
        again = await raw.content(self.client, file_id)
        if len(again) == size:
            return again
        if again == data:
            self.summary.notes.append(
                f"{file_id}: its content is {len(data):,} bytes, its metadata says {size:,}; "
                "archived as sent"
            )
            return data
        raise errors.DecodeError(
            f"The content of {file_id} came back different each time, and not of its {size:,} bytes"
        )


def _replay(
    spool: IO[bytes],
    spans: list[tuple[int, int, list[str | None]]],
    known: set[str],
    added: list[int],
) -> Iterator[bytes]:
    """The spooled pages (newest first) as appended chunks, oldest first, each event once."""
    seen: set[str] = set(known)
    for start, end, ids in reversed(spans):
        spool.seek(start)
        lines = spool.read(end - start).splitlines()
        out = []
        for line, event_id in zip(reversed(lines), reversed(ids), strict=True):
            if event_id is not None:
                if event_id in seen:
                    continue
                seen.add(event_id)
            out.append(line)
        added[0] += len(out)
        if out:
            yield b"\n".join(out) + b"\n"


def _step(checkpoint: dict[str, Any]) -> int:
    step = checkpoint.get("step_number")
    return step if isinstance(step, int) and not isinstance(step, bool) else 0


def _path(part: Any) -> str | None:
    if isinstance(part, dict) and isinstance(part.get("path"), str):
        return str(part["path"])
    return None


def _api_words(exc: errors.FtmonApiError) -> str:
    return one_line(exc.api_message or exc.message)


def _ends_run(exc: errors.FtmonApiError) -> bool:
    """An error no other job would escape: the network, the server, the key."""
    return exc.retryable or isinstance(
        exc,
        (errors.AuthenticationError, errors.MissingApiKeyError, errors.InvalidKeyError),
    )


async def archive(
    client: FineTuningClient,
    directory: Path | str,
    selection: Selection | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    concurrency: int = 4,
    commit_every: float = 2.0,
) -> ArchiveSummary:
    """Bring the archive at ``directory`` up to date with what the API holds.

    Raises :class:`ArchiveError` if the directory cannot be an archive (before anything is
    fetched). An error that ends the run part way (the network, the key, the disk) is in the
    summary's ``error``: what was done before it is committed. Ctrl-C commits what is done,
    then passes on.
    """
    root = Path(directory)
    await asyncio.to_thread(_refuse_other_directories, root)
    lock = await asyncio.to_thread(lock_archive, root)
    try:
        return await _archive(client, root, selection, on_progress, concurrency, commit_every)
    finally:
        os.close(lock)


async def _archive(
    client: FineTuningClient,
    root: Path,
    selection: Selection | None,
    on_progress: Callable[[Progress], None] | None,
    concurrency: int,
    commit_every: float,
) -> ArchiveSummary:
    secrets = client_secrets(client)
    base_url = public_base_url(client.settings.base_url, secrets)
    manifest = await asyncio.to_thread(
        open_archive, root, base_url, client.settings.provider or "openai"
    )
    manifest.runs += 1
    store = ArchiveStore(root, manifest, secrets)
    summary = ArchiveSummary(root, base_url)
    run = _Run(
        client, store, selection or Selection(), summary, on_progress, concurrency, commit_every
    )
    try:
        await run.go()
    except (errors.FtmonApiError, OSError, ArchiveError, httpx.HTTPError) as exc:
        summary.error = exc
    except BaseException:
        try:
            store.commit()
        except OSError:
            pass
        raise
    try:
        store.commit()
    except OSError as exc:
        summary.error = summary.error or exc
    if not run.admin and summary.jobs_fetched:
        summary.notes.append(
            "checkpoint permissions not archived: no admin key (OPENAI_ADMIN_KEY); a later run "
            "with one adds them"
        )
    summary.jobs_archived = len(manifest.jobs)
    summary.jobs_final = sum(1 for e in manifest.jobs.values() if e.get("complete"))
    summary.files_written = store.files_written
    summary.bytes_written = store.bytes_written
    run.report()
    return summary


__all__ = ["EVENTS", "ArchiveSummary", "Progress", "Selection", "archive", "open_archive"]
