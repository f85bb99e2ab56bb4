"""Fixtures for the client tests."""

from __future__ import annotations

import random
from typing import Any

import pytest
from apikit import Handler, Harness, settings

from ftmon.api.retry import RetryPolicy


@pytest.fixture
async def harness():
    """Build a :class:`Harness`: ``harness(handler, retry=..., **settings)``; closed after."""
    made: list[Harness] = []

    def make(handler: Handler, *, retry: RetryPolicy | None = None, **overrides: Any) -> Harness:
        policy = retry or RetryPolicy(max_attempts=4, rng=random.Random(7))
        h = Harness(handler, settings(**overrides), policy)
        made.append(h)
        return h

    yield make
    for h in made:
        await h.client.aclose()
