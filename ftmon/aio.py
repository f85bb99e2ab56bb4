"""Waiting with a time limit without losing a cancellation.

``asyncio.wait_for`` up to Python 3.11 returns the result when the awaited thing finishes in
the same moment its caller is cancelled, and the cancellation is lost (CPython gh-86296): a
Ctrl-C that lands as an answer arrives is ignored and ``ftmon watch`` runs on. ``asyncio.timeout``
(3.11) cancels inside the waiting task itself and has no such gap; 3.10 keeps ``wait_for``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def wait_within(awaitable: Awaitable[T], seconds: float) -> T:
    """``await awaitable``, raising ``TimeoutError`` after ``seconds``; a cancel is never lost."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)  # pragma: no cover - Python 3.10
