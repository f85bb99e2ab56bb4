"""OpenAI's wind-down of job creation said plainly in the create form: the API's message, then
one line on what it means and what still works (the simulator's ``world.refuse_creates``)."""

from __future__ import annotations

import json

from support.dialogs import confirm
from textual.widgets import Input, Static
from tuikit import build_app, new_world, settle

from ftmon.present.provider import CREATION_CLOSED
from ftmon.tui.screens.create import CreateJobScreen

WIDE = (120, 36)
LINE = json.dumps(
    {"messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}]}
)


async def _refused_create() -> tuple[str, list[str]]:
    """Open the form, fill it, send it to a world that refuses creates; the status line and
    the ids of the jobs created."""
    world = new_world()
    world.refuse_creates = True
    item = world.upload_file("t.jsonl", "fine-tune", (LINE + "\n").encode() * 10)
    before = {j["id"] for j in world.list_jobs(limit=100)[0]}
    app = build_app(world)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CreateJobScreen)
        form.query_one("#in-model", Input).value = "gpt-4.1-mini-2025-04-14"
        form.query_one("#in-training_file", Input).value = item["id"]
        await pilot.pause()
        await pilot.press("ctrl+s")
        await confirm(pilot)
        status = ""
        for _ in range(500):
            await pilot.pause(0.01)
            status = str(form.query_one("#create-status", Static).render())
            if status.startswith("Not created"):
                break
        assert app.screen is form  # the form stays open, as typed
    after = {j["id"] for j in world.list_jobs(limit=100)[0]}
    return status, sorted(after - before)


async def test_the_form_says_what_a_wind_down_refusal_means() -> None:
    status, created = await _refused_create()
    first, _, second = status.partition("\n")
    assert first.startswith("Not created: This key may not do that (403 Forbidden): ")
    assert "no longer available for this organization" in first  # the API's own words
    assert " ".join(second.split()) == " ".join(CREATION_CLOSED.split())
    assert created == []
