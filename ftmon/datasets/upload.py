"""Upload a training file with progress, and list or delete uploaded files.

``FineTuningClient.upload_file`` reads the whole file into memory and says nothing while it sends.
Here the file is handed to httpx as an open file, which streams it in 64 KiB chunks; a small
wrapper counts the bytes as httpx reads them, so the caller can draw a real progress bar. The
request goes through ``FineTuningClient.request`` and so keeps its auth, errors and retry rules
(an upload is resent only when it surely never left this machine; each try starts from byte 0).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ftmon.api.client import NO_DEADLINE, FineTuningClient
from ftmon.api.models import FileObject
from ftmon.api.pagination import iter_items
from ftmon.localread import regular_file

#: ``(bytes sent, total bytes)``.
UploadProgress = Callable[[int, int], None]

FINE_TUNE = "fine-tune"


class ProgressReader:
    """A binary file that reports how far it has been read; seekable, so httpx knows its size."""

    def __init__(self, handle: IO[bytes], total: int, on_progress: UploadProgress | None) -> None:
        self._handle = handle
        self.total = total
        self._on_progress = on_progress
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        if chunk:
            self.sent += len(chunk)
            if self._on_progress is not None:
                self._on_progress(min(self.sent, self.total), self.total)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._handle.seek(offset, whence)
        if whence == os.SEEK_SET and offset == 0:
            self.sent = 0  # a retry sends the file again from the start
        return position

    def tell(self) -> int:
        return self._handle.tell()

    def fileno(self) -> int:
        return self._handle.fileno()


async def upload_with_progress(
    client: FineTuningClient,
    path: str | Path,
    *,
    purpose: str = FINE_TUNE,
    filename: str | None = None,
    on_progress: UploadProgress | None = None,
) -> FileObject:
    """Upload ``path`` (streamed) and return the API's file object.

    ``on_progress`` is called on the event loop as chunks go out; the last call has sent == total.
    Raises ``OSError`` if the file cannot be read and ``FtmonApiError`` if the API refuses it.
    """
    file = _local(path)
    name = filename or file.name
    handle: IO[bytes] = await asyncio.to_thread(file.open, "rb")
    try:
        total = os.fstat(handle.fileno()).st_size
        reader = ProgressReader(handle, total, on_progress)
        response = await client.request(
            "POST",
            "files",
            files={"file": (name, reader, "application/jsonl")},
            data={"purpose": purpose},
            safe_to_repeat=False,
            deadline=NO_DEADLINE,
        )
    finally:
        handle.close()
    if on_progress is not None:
        on_progress(total, total)
    return FileObject.model_validate(_json(response))


def _local(path: str | Path) -> Path:
    """The path of a regular file (a FIFO or a device would never end: refused)."""
    return regular_file(path)


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        from ftmon.api.errors import DecodeError

        raise DecodeError(
            f"The server's answer to the upload is not JSON ({response.status_code})",
            status_code=response.status_code,
        ) from None


async def list_training_files(client: FineTuningClient, *, limit: int = 500) -> list[FileObject]:
    """Uploaded files of purpose ``fine-tune``, newest first, at most ``limit``."""
    found: list[FileObject] = []
    async for item in iter_items(
        lambda after: client.list_files(purpose=FINE_TUNE, after=after, limit=100)
    ):
        if item.purpose in (None, FINE_TUNE):
            found.append(item)
        if len(found) >= limit:
            break
    return found


def human_size(size: int | None) -> str:
    """``812 B``, ``4.2 MB``: a file's size in a few characters."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
