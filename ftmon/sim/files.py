"""Uploaded and generated files: training data, validation data and result CSVs."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ftmon.sim.errors import bad_request, not_found

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")


@dataclass
class FileRecord:
    """One file; content may be made on demand (result CSVs) with its size known up front."""

    id: str
    filename: str
    purpose: str
    created_at: int
    size: int
    source: bytes | Callable[[], bytes]
    expires_at: int | None = None
    seq: int = 0

    def content(self) -> bytes:
        if callable(self.source):
            self.source = self.source()
        return self.source

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "object": "file",
            "id": self.id,
            "purpose": self.purpose,
            "filename": self.filename,
            "bytes": self.size,
            "created_at": self.created_at,
            "status": "processed",
        }
        if self.expires_at is not None:
            data["expires_at"] = self.expires_at
        return data

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.created_at, self.seq, self.id)


class FileStore:
    """Files by id, and in creation order for listing."""

    def __init__(self) -> None:
        self._files: dict[str, FileRecord] = {}
        self._order: list[tuple[int, int, str]] = []  # ascending (created_at, seq, id)
        self._seq = 0

    def __len__(self) -> int:
        return len(self._files)

    def add(self, record: FileRecord) -> FileRecord:
        if record.id in self._files:
            raise ValueError(f"duplicate file id {record.id}")
        self._seq += 1
        record.seq = self._seq
        self._files[record.id] = record
        bisect.insort(self._order, record.key)
        return record

    def _visible(self, record: FileRecord | None, now: float) -> bool:
        if record is None or record.created_at > now:
            return False
        return record.expires_at is None or record.expires_at > now

    def find(self, file_id: str, now: float) -> FileRecord | None:
        record = self._files.get(file_id)
        return record if self._visible(record, now) else None

    def get(self, file_id: str, now: float) -> FileRecord:
        record = self.find(file_id, now)
        if record is None:
            raise not_found(f"No such File object: {file_id}", param="id")
        return record

    def delete(self, file_id: str, now: float) -> dict[str, Any]:
        record = self.get(file_id, now)
        del self._files[file_id]
        del self._order[bisect.bisect_left(self._order, record.key)]
        return {"object": "file", "id": file_id, "deleted": True}

    def list(
        self,
        now: float,
        *,
        purpose: str | None = None,
        after: str | None = None,
        limit: int = 10000,
        order: str = "desc",
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of visible files; ``after`` is a file id from the previous page."""
        newest_first = order != "asc"
        keys = reversed(self._order) if newest_first else iter(self._order)
        if after is not None:
            anchor = self._files.get(after)
            if anchor is None:
                raise bad_request(f"No such File object: {after}", param="after")
            pos = bisect.bisect_left(self._order, anchor.key)
            keys = reversed(self._order[:pos]) if newest_first else iter(self._order[pos + 1 :])
        page: list[dict[str, Any]] = []
        for key in keys:
            record = self._files[key[2]]
            if not self._visible(record, now) or (purpose and record.purpose != purpose):
                continue
            if len(page) == limit:
                return page, True
            page.append(record.to_dict())
        return page, False
