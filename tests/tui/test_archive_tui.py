"""The TUI on an archive (``ftmon --archive DIR``): the jobs as archived, read-only, and a header
that says it is an archive and of when."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx
from support.app import build_app
from support.simkit import TEST_KEY
from tuikit import screen_text, settle

from ftmon import exits
from ftmon.api.client import FineTuningClient
from ftmon.archive import command
from ftmon.archive.source import archive_client
from ftmon.config import Secret, Settings


class Quiet:
    json_mode = True
    stderr = None

    def line(self, text: object = "") -> None: ...

    def note(self, message: str) -> None: ...

    def document(self, data: object) -> None: ...


async def archive_of_the_simulator(
    transport: httpx.AsyncBaseTransport, directory: Path
) -> FineTuningClient:
    """``ftmon archive DIR`` of the simulator behind ``transport``, then a client reading it."""
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    live = Settings(api_key=Secret(TEST_KEY), base_url="http://sim.test/v1", max_retries=0)
    async with FineTuningClient(live, transport=transport) as source:
        assert await command.run(source, parser.parse_args([str(directory)]), Quiet()) == exits.OK
    return archive_client(Settings(), directory)


async def test_the_tui_on_an_archive_is_read_only_and_says_of_when(
    sim_transport: httpx.AsyncBaseTransport, tmp_path: Path
) -> None:
    client = await archive_of_the_simulator(sim_transport, tmp_path / "archive")
    app = build_app(client=client, clock=time.time)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "archive of " in text and "jobs 15" in text
        assert app.settings.read_only
        footer = text.splitlines()[-1]
        assert "cancel" not in footer and "new job" not in footer
        await pilot.press("c")  # nothing to change in an archive
        await settle(pilot)
        assert "read-only" in screen_text(app)
