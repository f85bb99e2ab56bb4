"""The alert tests' fixtures: an HTTP sink on 127.0.0.1 (``alertkit.Sink``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alertkit import Sink


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    server = await Sink().start()
    try:
        yield server
    finally:
        await server.stop()
