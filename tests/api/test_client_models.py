"""The models calls round-trip through the simulator (spec-validated): list, retrieve, delete."""

from __future__ import annotations

import httpx
import pytest
from support.simkit import TEST_KEY

from ftmon.api import errors
from ftmon.api.client import FineTuningClient
from ftmon.config import Secret, Settings
from ftmon.sim.world import SimWorld


@pytest.fixture
async def client(sim_transport: httpx.AsyncBaseTransport):
    settings = Settings(api_key=Secret(TEST_KEY), base_url="http://sim.test/v1", timeout=5.0)
    async with FineTuningClient(settings, transport=sim_transport) as made:
        yield made


async def test_list_retrieve_and_delete(client: FineTuningClient, sim_world: SimWorld) -> None:
    page = await client.list_models()
    assert not page.has_more and page.unreadable == 0
    ids = {m.id for m in page.data}
    org = sim_world.organization_id
    fine_tuned = sorted(m.id for m in page.data if m.owned_by == org)
    assert fine_tuned and all(name.startswith("ft:") for name in fine_tuned)
    name = fine_tuned[-1]
    one = await client.retrieve_model(name)
    assert one.id == name and one.owned_by == org and one.created
    deleted = await client.delete_model(name)
    assert deleted.deleted and deleted.id == name and deleted.object == "model"
    assert name not in {m.id for m in (await client.list_models()).data}
    assert ids - {name} == {m.id for m in (await client.list_models()).data}
    with pytest.raises(errors.NotFoundError):
        await client.retrieve_model(name)
    with pytest.raises(errors.NotFoundError):
        await client.delete_model(name)


async def test_a_base_model_is_refused(client: FineTuningClient) -> None:
    with pytest.raises(errors.PermissionDeniedError):
        await client.delete_model("gpt-4o-mini-2024-07-18")


async def test_a_model_id_cannot_climb_out_of_its_route(client: FineTuningClient) -> None:
    with pytest.raises(errors.NotFoundError):
        await client.retrieve_model("../fine_tuning/jobs")
