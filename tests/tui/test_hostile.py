"""API text is data: markup shows as typed, escape sequences never reach the terminal."""

from __future__ import annotations

from tuikit import build_app, poll, screen_text, settle

from ftmon.sim import SimWorld
from ftmon.tui.screens.confirm import ConfirmScreen

ESC_TITLE = "\x1b]0;pwned\x07"  # set the window title
ESC_CLIPBOARD = "\x1b]52;c;ZXZpbA==\x07"  # write the clipboard
ESC_CLEAR = "\x1b[2J\x1b[H"  # clear the screen
CSI_8BIT = "\x9b31m"  # an 8-bit CSI
DCS = "\x1bPq#0;2;0;0;0\x1b\\"  # a sixel / DCS string
BIDI = "\u202egnp.exe\u202c\u2066x\u2069"  # right-to-left override, isolates
ZERO_WIDTH = "a\u200bb\ufeffc"
BYTES_THAT_MUST_NOT_APPEAR = ("\x1b", "\x07", "\x9b", "\x90", "\x9d", "\u202e", "\u2066", "\u200b")

HOSTILE_JOB = {
    "id": "ftjob-hostile0000000000000000",
    "status": "running",
    "created_at": None,  # filled in by the test: the newest job
    "model": "gpt-4o-mini[link=https://evil.example]x[/link]",
    "suffix": "[/bold]",
    "metadata": {
        "[@click=app.quit]": "[link=x]click[/link]",
        "note": f"tab\there{ESC_TITLE}{BIDI}",
        "[b]": f"{ZERO_WIDTH}{CSI_8BIT}",
    },
    "error": {"code": "[red]x", "message": f"{ESC_CLIPBOARD}[@click=app.quit]", "param": "[/]"},
    "status_timeline": [{"offset_seconds": 300, "status": "succeeded"}],
    "events": [
        {"offset_seconds": 1, "message": f"[/bold] {ESC_CLEAR}cleared?", "level": "info"},
        {"offset_seconds": 2, "message": f"[@click=app.quit]click {DCS}", "level": "warn"},
        {"offset_seconds": 3, "message": f"[link=x]x[/link] {ESC_TITLE}{BIDI}", "level": "error"},
        {"offset_seconds": 4, "message": "line one\nline two\r\x00\x08end", "level": "\x1b[5minfo"},
    ],
}


def add_hostile_job(world: SimWorld) -> str:
    # Created a little while ago, so that its scripted events have happened.
    spec = dict(HOSTILE_JOB, created_at=int(world.clock.now()) - 10)
    return world.add_job(spec)["id"]


def assert_no_escapes(text: str) -> None:
    for char in BYTES_THAT_MUST_NOT_APPEAR:
        assert char not in text, repr(char)


async def test_hostile_strings_show_as_typed_and_never_escape(world: SimWorld) -> None:
    job = add_hostile_job(world)
    app = build_app(world)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settle(pilot)
        assert app.main.selected_id == job  # the newest
        await settle(pilot)
        svg = app.export_screenshot()
        text = screen_text(app)
        assert_no_escapes(svg)
        # Markup in data is shown, not applied.
        assert "[/bold]" in text
        overview = app.main.overview.plain
        assert "gpt-4o-mini[link=https://evil.example]x[/link]" in overview
        assert "gpt-4o-mini[lin" in text  # cut to its column, not parsed
        assert "meta [@click=app.quit]" in overview
        assert "[link=x]click[/link]" in overview
        assert "[b]" in overview and "abc" in overview
        assert "[@click=app.quit]" in overview  # the error message, cleaned
        messages = [line.message for line in app.main.event_log.lines][-4:]
        assert messages[0] == "[/bold] [2J[Hcleared?"
        assert messages[1].startswith("[@click=app.quit]click ")
        assert messages[2].startswith("[link=x]x[/link] ]0;pwned")
        assert messages[3] == "line one line twoend"  # CR, NUL and BS removed
        assert app.main.event_log.lines[-1].level == "[5minfo"
        for message in messages:
            assert_no_escapes(message)
        # The events pane and the dialog show it too, still as text.
        await pilot.press("2")
        await pilot.click("#overview")  # where a [@click] would be, if it were markup
        await pilot.pause()
        assert app.is_running
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "([/bold])" in screen_text(app)
        assert_no_escapes(app.export_screenshot())
        await pilot.press("escape")
        await pilot.press("y")
        assert app.clipboard == job
        # Finishing announces it: a notice with the suffix as typed (the status line shows the
        # newest, H the history of them all), still no escapes.
        await poll(pilot, world, advance=600)
        assert job in app.main.announced
        assert "Job succeeded" in screen_text(app)
        await pilot.press("H")
        await pilot.pause()
        history = screen_text(app)
        assert f"Job succeeded: {job} ([/bold])" in history
        assert_no_escapes(app.export_screenshot())
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running


async def test_hostile_filter_text_and_unknown_status(world: SimWorld) -> None:
    world.add_job(
        {
            "id": "ftjob-oddstatus000000000000000",
            "status": "PENDING_REVIEW[/]",
            "created_at": int(world.clock.now()),
            "suffix": "odd",
        }
    )
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        row = app.main.job_list.row("ftjob-oddstatus000000000000000")
        assert row is not None and row.glyph == "?" and row.status == "PENDING_REVIEW[/]"
        await pilot.press("slash", *"[/]", "enter")
        await pilot.pause()
        assert app.main.job_list.visible_ids == ("ftjob-oddstatus000000000000000",)
        assert "filter: [/]" in screen_text(app)
        assert app.is_running
