"""What was sent, remembered across restarts: a small JSON file, written atomically.

Two things are kept:

* ``sent``: one entry per (alert, job, event, key) that was sent or given up on, by a digest:
  ``sha256(identity, job, event, key)``, where the alert's identity is itself a hash of its kind
  and URL (or command). No URL, token or key is ever written here.
* ``watching``: the jobs seen before they ended, with when they were first seen and their best
  checkpoint so far: a job that ends while ftmon is down is still announced after a restart, and
  a job already over when first seen is history, not news.

The file lives in the platform's state directory (``platformdirs``), is read with a size cap and
written through :mod:`ftmon.safefile` (a fresh file moved into place, owner-only). A file that
cannot be read or makes no sense is set aside: ftmon starts afresh and says so once
(:attr:`AlertState.notice`). Old entries are let go, the oldest first, past a count.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from platformdirs import user_state_path

from ftmon.config import AlertSpec
from ftmon.localread import read_bytes_capped
from ftmon.safefile import prepare_directory, write_text_atomic

log = logging.getLogger("ftmon.alerts")

STATE_NAME = "alerts.json"
#: The most the file may hold when read: a full one is some 200 KB.
MAX_STATE_BYTES = 1024 * 1024
#: Entries kept; the oldest go first.
MAX_SENT = 4000
MAX_WATCHING = 1000
#: A finished job is let go this long after it ended (seconds): its ending was told by then.
FORGET_FINISHED = 7 * 86400
#: A job not seen to end is let go this long after it was first seen (a job watched once with
#: ``ftmon watch`` and never again): no fine-tuning job runs for two months.
FORGET_UNFINISHED = 60 * 86400
VERSION = 1


def default_state_path() -> Path:
    """``alerts.json`` in the platform's state directory for ftmon."""
    return user_state_path("ftmon") / STATE_NAME


def alert_identity(alert: AlertSpec) -> str:
    """A hash that tells alerts apart without holding their URL: its kind, URL and command."""
    parts = [alert.kind, alert.url.reveal() if alert.url else "", *alert.command]
    return hashlib.sha256("\0".join(["ftmon-alert", *parts]).encode()).hexdigest()


def digest(identity: str, job_id: str, event: str, key: str = "") -> str:
    """The name under which one sending is remembered."""
    return hashlib.sha256("\0".join([identity, job_id, event, key]).encode()).hexdigest()[:40]


class AlertState:
    """The sent and watching records; ``path`` None keeps them in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.sent: dict[str, dict[str, Any]] = {}
        self.watching: dict[str, dict[str, Any]] = {}
        #: Said once when the file could not be read or written, for a status line.
        self.notice: str | None = None
        self._dirty = False
        self._write_failed = False
        #: The file's size and time when last read or written: unchanged, it is not read again.
        self._seen: object = None
        if path is not None:
            self._load(path)

    # -- reading -----------------------------------------------------------------------------

    def _load(self, path: Path) -> None:
        try:
            read = _read(path)
        except _Unreadable as exc:
            self._start_afresh(str(exc))
            return
        if read is not None:
            self.sent, self.watching, self._seen = read

    def refresh(self) -> None:
        """Take in what another ftmon on this machine recorded since (a TUI and a ``watch``,
        or ``ftmon serve``'s sessions, share the file): what it sent is not sent again."""
        if self.path is None:
            return
        try:
            if _stamp(self.path) == self._seen:
                return
            read = _read(self.path)
        except (_Unreadable, OSError):
            return
        if read is not None:
            self._merge(*read)

    def _merge(
        self, sent: dict[str, dict[str, Any]], watching: dict[str, dict[str, Any]], seen: object
    ) -> None:
        for name, entry in sent.items():
            if name not in self.sent:
                self.sent[name] = entry
        for job_id, theirs in watching.items():
            ours = self.watching.get(job_id)
            if ours is None:
                self.watching[job_id] = theirs
            else:
                ours["since"] = min(ours["since"], theirs["since"])
                ours["ended"] = ours["ended"] if ours["ended"] is not None else theirs["ended"]
                ours["best"] = ours["best"] or theirs["best"]
        self._seen = seen

    def _start_afresh(self, reason: str) -> None:
        self.notice = (
            f"the alerts' record {self.path} was unreadable ({reason}); starting afresh: "
            "an alert already sent may be sent again"
        )
        log.warning("%s", self.notice)
        self._dirty = True  # the bad file is replaced at the next save

    # -- sent --------------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self.sent

    def record(self, name: str, *, ok: bool, at: float) -> None:
        self.sent[name] = {"at": at, "ok": ok}
        if len(self.sent) > MAX_SENT:
            for old in sorted(self.sent, key=lambda k: self.sent[k]["at"])[: len(self.sent) // 4]:
                del self.sent[old]
        self._dirty = True

    # -- watching ----------------------------------------------------------------------------

    def watch(self, job_id: str, now: float) -> dict[str, Any]:
        """The job's watching entry, made (first seen ``now``) if new."""
        entry = self.watching.get(job_id)
        if entry is None:
            entry = self.watching[job_id] = {"since": now, "ended": None, "best": None}
            self._dirty = True
            if len(self.watching) > MAX_WATCHING:
                oldest = sorted(self.watching, key=lambda k: self.watching[k]["since"])
                for old in oldest[: len(self.watching) - MAX_WATCHING]:
                    del self.watching[old]
        return entry

    def update(self, job_id: str, **values: Any) -> None:
        entry = self.watching.get(job_id)
        if entry is not None and any(entry.get(k) != v for k, v in values.items()):
            entry.update(values)
            self._dirty = True

    def forget_finished(self, now: float) -> None:
        """Let go of jobs that ended long ago, and of those first seen very long ago."""
        gone = [
            job_id
            for job_id, entry in self.watching.items()
            if (entry["ended"] is not None and now - entry["ended"] > FORGET_FINISHED)
            or now - entry["since"] > FORGET_UNFINISHED
        ]
        for job_id in gone:
            del self.watching[job_id]
        self._dirty = self._dirty or bool(gone)

    # -- writing -----------------------------------------------------------------------------

    def save(self) -> None:
        """Write the file if anything changed; a failure is said once and never raised."""
        if not self._dirty or self.path is None:
            return
        self.refresh()  # another ftmon's records are kept, not written over
        data = {"version": VERSION, "sent": self.sent, "watching": self.watching}
        try:
            directory = prepare_directory(self.path.parent)
            write_text_atomic(directory, self.path.name, json.dumps(data, separators=(",", ":")))
            self._seen = _stamp(self.path)
        except OSError as exc:
            if not self._write_failed:
                self._write_failed = True
                self.notice = (
                    f"cannot write the alerts' record {self.path} "
                    f"({exc.strerror or type(exc).__name__}): after a restart, alerts may be "
                    "sent again"
                )
                log.warning("%s", self.notice)
            return
        self._dirty = False


class _Unreadable(Exception):
    """The file is there but cannot be used; the text says why."""


def _stamp(path: Path) -> object:
    info = path.stat()
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _read(
    path: Path,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], object] | None:
    """(sent, watching, stamp) from the file; None when there is none; :class:`_Unreadable`."""
    try:
        stamp = _stamp(path)
        raw = read_bytes_capped(path, MAX_STATE_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _Unreadable(f"cannot read it ({exc.strerror or type(exc).__name__})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("not an ftmon alerts file")
        sent, watching = data.get("sent", {}), data.get("watching", {})
        if not isinstance(sent, dict) or not isinstance(watching, dict):
            raise ValueError("not an ftmon alerts file")
        return (
            {
                str(k): {"at": float(v["at"]), "ok": bool(v.get("ok", True))}
                for k, v in sent.items()
                if isinstance(v, dict) and isinstance(v.get("at"), int | float)
            },
            {str(k): _watch_entry(v) for k, v in watching.items() if isinstance(v, dict)},
            stamp,
        )
    except (ValueError, UnicodeDecodeError, TypeError, KeyError) as exc:
        reason = "not valid JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise _Unreadable(reason) from None


def _watch_entry(value: dict[str, Any]) -> dict[str, Any]:
    since = value.get("since")
    ended = value.get("ended")
    best = value.get("best")
    if not isinstance(since, int | float):
        raise ValueError("a watched job without its time")
    return {
        "since": float(since),
        "ended": float(ended) if isinstance(ended, int | float) else None,
        "best": best if isinstance(best, str) else None,
    }
