"""The engine tests' client: the simulator in process, one try per request."""

from __future__ import annotations

import httpx
import pytest
from support.simkit import TEST_KEY

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.config import Secret, Settings


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def client(sim_transport: httpx.AsyncBaseTransport):
    settings = Settings(api_key=Secret(TEST_KEY), base_url="http://sim.test/v1", timeout=5)
    # One try per request: the engine's own backoff is what these tests watch.
    async with FineTuningClient(
        settings, transport=sim_transport, retry=RetryPolicy(max_attempts=1), sleep=_no_sleep
    ) as c:
        yield c
