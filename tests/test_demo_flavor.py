"""``--demo --flavor azure`` and ``ftmon sim --flavor azure``: the simulator speaks Azure OpenAI's
API, and the demo's settings are Azure's (provider, ``api-key`` header, dated routes)."""

from __future__ import annotations

import json

import pytest

from ftmon import cli
from ftmon.api.status_rules import provider_rules
from ftmon.config import Settings
from ftmon.connect import DEMO_KEY, demo_settings, make_demo
from ftmon.sim import azure
from ftmon.sim.clock import SimClock
from ftmon.sim.world import SimWorld


async def test_an_azure_demo_talks_to_an_azure_world_the_azure_way():
    client, world = make_demo(Settings(provider="azure"), speed=0)
    async with client:
        page = await client.list_jobs(limit=50)
    assert world.flavor == "azure"
    settings = client.settings
    assert settings.provider == "azure" and settings.auth_header == "api-key"
    assert settings.base_url == azure.DEMO_BASE_URL
    assert "api-version=" in settings.base_url
    assert settings.admin_key is None  # Azure has no checkpoint permissions
    assert provider_rules(settings).provider == "azure"
    assert page.data and {job.status for job in page.data} & {"pending", "running"}


async def test_the_default_demo_is_openais():
    client, world = make_demo(Settings(), speed=0)
    async with client:
        await client.list_jobs(limit=5)
    assert world.flavor == "openai"
    assert client.settings.provider == "openai" and client.settings.base_url.endswith("/v1")


def test_a_world_given_decides_the_flavour_and_a_mismatch_is_refused():
    world = SimWorld(clock=SimClock(speed=0), flavor="azure")
    client, same = make_demo(Settings(), world=world)
    assert same is world and client.settings.provider == "azure"
    with pytest.raises(ValueError, match="azure world"):
        make_demo(Settings(), world=world, flavor="openai")


def test_demo_settings_drop_the_users_credentials():
    from ftmon.config import Secret

    mine = Settings(
        provider="azure",
        auth="entra",
        entra_token=Secret("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.x.y"),
        api_key=Secret("0123456789abcdef0123456789abcdef"),
    )
    demo = demo_settings(mine, "azure")
    assert demo.api_key == Secret(DEMO_KEY)
    assert demo.entra_token is None and demo.auth == "key"


def test_ftmon_jobs_on_the_azure_demo(capsys):
    assert cli.main(["jobs", "--demo", "--flavor", "azure", "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)
    assert jobs and any(job["status"] == "pending" for job in jobs)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--flavor", "azure", "jobs"], "--flavor chooses the simulator's API: use it with --demo"),
        (["--demo", "--azure", "--flavor", "openai", "jobs"], "disagree"),
        (["--demo", "--flavor", "aws", "jobs"], "invalid choice: 'aws'"),
    ],
)
def test_odd_flavours_are_usage_errors(capsys, argv, words):
    try:
        code = cli.main(argv)
    except SystemExit as exit:  # argparse's own refusal
        code = exit.code
    assert code == 2
    assert words in capsys.readouterr().err


def test_ftmon_sim_passes_the_flavour_on(monkeypatch):
    import ftmon.sim.server as server

    seen: dict[str, object] = {}
    monkeypatch.setattr(server, "run_sim", lambda **kwargs: seen.update(kwargs))
    assert cli.main(["sim", "--flavor", "azure", "--refuse-creates", "--port", "0"]) == 0
    assert seen["flavor"] == "azure" and seen["refuse_creates"] is True
    assert cli.main(["sim", "--port", "0"]) == 0
    assert seen["flavor"] == "openai" and seen["refuse_creates"] is False
