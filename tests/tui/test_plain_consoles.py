"""No colour and plain consoles (issue 15 point 6).

* ``NO_COLOR``: Textual turns every colour to a grey (its ``Monochrome`` line filter) and sets the
  ``:nocolor`` pseudo-class; our styles then show the cursor row reversed and bold (underlined
  when its list is not focused) and the focused pane with a double border and a reversed title.
* ``TERM=linux``, ``--ascii`` or ``ascii = true``: one line filter (``ftmon.tui.glyphs``) draws
  only ASCII (Latin-1 kept): borders, status glyphs (mapped by status), plots, scrollbars, every
  screen's, Textual's own too.
* Themes: Textual's "Theme" command in the palette; the choice is remembered per profile in a
  small state file, never in the config file.

Pilot tests, pty tests that read the cells a terminal shows (pyte keeps each cell's attributes),
and snapshots at 80x24.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from support.pty import PtyProcess
from textual.scrollbar import ScrollBar, ScrollBarRender
from tuikit import build_app, job_id, new_world, open_job, screen_text, settle, settle_workers

from ftmon.cli import build_parser, settings_from_args
from ftmon.config import ConfigError, load_settings
from ftmon.present.fields import STATUS_STYLE
from ftmon.present.plot import ASCII_GLYPHS, UNICODE_GLYPHS, plot_glyphs
from ftmon.tui.app import FtmonApp
from ftmon.tui.glyphs import (
    ASCII_STATUS,
    AsciiScrollBarRender,
    ascii_wanted,
    key_words,
    status_glyph,
    to_ascii,
)
from ftmon.tui.themes import ThemeMemory

WAIT = 20.0


def not_ascii_drawable(text: str) -> set[str]:
    """Characters a plain console cannot be counted on to draw: past Latin-1."""
    return {c for c in text if ord(c) > 0xFF}


def forbidden(text: str) -> set[str]:
    """Box drawing (U+2500-257F) and braille (U+2800-28FF)."""
    return {c for c in text if 0x2500 <= ord(c) <= 0x257F or 0x2800 <= ord(c) <= 0x28FF}


# -- the mapping ----------------------------------------------------------------------------------


def test_every_status_has_its_own_ascii_glyph_mapped_by_status() -> None:
    assert set(ASCII_STATUS) >= set(STATUS_STYLE)
    glyphs = [status_glyph(s) for s in STATUS_STYLE]
    assert len(set(glyphs)) == len(glyphs), "two statuses share an ASCII glyph"
    assert all(len(g) == 1 and g.isascii() and g not in "~. " for g in glyphs)
    for status, (glyph, _) in STATUS_STYLE.items():
        assert to_ascii(glyph) == ASCII_STATUS[status], status
    assert status_glyph("something-new") == "?"


def test_to_ascii_keeps_every_cell_and_the_users_letters() -> None:
    samples = [
        "╭─ jobs 15 ──╮ │ ┃ ╰──╯ ┼ ═ ║ ╔╗╚╝",
        "⠁⠂⠄⡀⢀⠈⠐⠠⣀⣿⠉⠒⡇ plot",
        "▁▂▃▄▅▆▇█ ▀▔▏▕▎▊ ░▒▓",
        "ftjob-abc… — ↓ 3 new · ★ best ✔ ✘",
        "emoji 🚀 🙂 wide 日本語 café Ωμέγα",
    ]
    for text in samples:
        out = to_ascii(text)
        assert cell_len(out) == cell_len(text), (text, out)
        assert not forbidden(out)
    assert to_ascii("╭──╮") == "+--+"
    assert to_ascii("│") == "|"
    assert to_ascii("╔══╗║╚══╝") == "+==+|+==+"  # a focused pane's double border
    assert to_ascii("⠉⣀⡇") == "'.:"
    assert to_ascii("…") == "~"
    # Letters of every script stay (the console draws what its font has); symbols go.
    assert "日本語" in to_ascii("日本語") and "Ωμέγα" in to_ascii("Ωμέγα")
    assert to_ascii("🚀") == "**"
    assert to_ascii("plain ascii [/bold]") == "plain ascii [/bold]"


def test_arrow_keys_are_words_in_ascii() -> None:
    assert key_words("↓") == "down"
    assert key_words("←→") == "left/right"
    assert key_words("shift+↑") == "shift+up"
    assert key_words("^p") == "^p"


def test_ascii_is_on_for_the_linux_console_the_flag_or_the_setting() -> None:
    assert ascii_wanted(False, {"TERM": "linux"})
    assert ascii_wanted(False, {"TERM": "vt100"})
    assert not ascii_wanted(False, {"TERM": "xterm-256color"})
    assert not ascii_wanted(False, {})
    assert ascii_wanted(True, {"TERM": "xterm-256color"})


def test_the_ascii_setting_from_the_config_a_profile_and_the_flag(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("ascii = true\n[profiles.x]\nascii = false\n[profiles.y]\ninterval = 10\n")
    config.chmod(0o600)
    assert load_settings(config_path=config, env={}).ascii is True
    assert load_settings(config_path=config, env={}, profile="x").ascii is False
    assert load_settings(config_path=config, env={}, profile="y").ascii is True
    config.write_text('ascii = "yes"\n')
    with pytest.raises(ConfigError, match="ascii must be true or false"):
        load_settings(config_path=config, env={})
    empty = tmp_path / "none.toml"
    args = build_parser().parse_args(["--demo", "--ascii", "--config", str(config)])
    assert args.ascii
    config.write_text("")
    assert settings_from_args(args).ascii is True
    args = build_parser().parse_args(["--demo", "--config", str(empty)])
    assert settings_from_args(args).ascii is False


# -- Pilot ----------------------------------------------------------------------------------------


async def test_ascii_mode_draws_only_latin1_on_every_pane_and_screen(tmp_path: Path) -> None:
    world = new_world()
    app = build_app(world, ascii=True, job_id=job_id(world, "catalog-long"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = {"main": screen_text(app)}
        for key in ("2", "3", "4"):
            await pilot.press(key)
            await settle(pilot)
            seen[key] = screen_text(app)
        await pilot.press("1", "question_mark")
        await settle(pilot)
        seen["help"] = screen_text(app)
        # Arrow keys by name: "j, v" would read as two keys.
        assert "j, down" in seen["help"] and "k, up" in seen["help"], seen["help"]
        await pilot.press("escape", "ctrl+p")
        await pilot.pause(0.2)
        seen["palette"] = screen_text(app)
        for name, text in seen.items():
            assert not not_ascii_drawable(text), (name, not_ascii_drawable(text), text)
        # The shapes are still there: borders, a status glyph mapped by status, the plot.
        main = seen["main"]
        assert "+- jobs" in main and "|" in main
        assert any(line.startswith("|> ") or "|> " in line for line in main.splitlines())
        # The plot's curves in ASCII markers (the plot's own ASCII set, not braille turned).
        assert "***" in seen["3"], seen["3"]


async def test_without_ascii_the_glyphs_stay() -> None:
    build_app(new_world(), ascii=True)
    assert plot_glyphs() == ASCII_GLYPHS
    assert ScrollBar.renderer is AsciiScrollBarRender
    app = build_app(new_world(), ascii=False)  # each app chooses plots' and scrollbars' glyphs
    assert plot_glyphs() == UNICODE_GLYPHS
    assert ScrollBar.renderer is ScrollBarRender
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "╭─ jobs" in screen_text(app)


async def test_no_color_shows_the_cursor_reversed_and_the_focused_pane_doubled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    world = new_world()
    app = build_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        jobs = app.main.job_list
        cursor = jobs.get_component_rich_style("job-list--cursor")
        assert cursor.reverse and cursor.bold
        # A job that just finished is told by its weight, its green band being grey now.
        recent = jobs.get_component_rich_style("job-list--recent")
        assert recent.bold and recent.underline
        assert app.main.query_one("#jobs-pane").styles.border_top[0] == "double"
        await open_job(pilot, job_id(world, "catalog-long"))
        await pilot.press("2")  # the events take the focus: the list's cursor is underlined
        await settle(pilot)
        assert jobs.get_component_rich_style("job-list--cursor-blurred").underline
        assert app.main.query_one("#jobs-pane").styles.border_top[0] != "double"
        events = app.main.query_one("#events")
        assert events.has_focus and events.styles.border_top[0] == "double"
        assert app.main.event_log.get_component_rich_style("event-log--cursor").reverse


async def test_with_colour_the_no_color_rules_do_not_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = build_app(new_world())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.main.job_list.get_component_rich_style("job-list--cursor").reverse
        assert app.main.query_one("#jobs-pane").styles.border_top[0] == "round"


# -- themes ---------------------------------------------------------------------------------------


def test_theme_memory_is_per_profile_and_survives_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ui.json"
    work, home = ThemeMemory(path, "work"), ThemeMemory(path, None)
    assert work.load() is None
    assert work.save("nord")
    assert home.save("textual-light")
    assert ThemeMemory(path, "work").load() == "nord"
    assert ThemeMemory(path, None).load() == "textual-light"
    assert ThemeMemory(path, "other").load() is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("{not json")
    assert ThemeMemory(path, "work").load() is None
    assert ThemeMemory(path, "work").save("gruvbox")  # a bad file is replaced, not a crash
    assert json.loads(path.read_text())["themes"] == {"work": "gruvbox"}
    path.write_bytes(b"x" * (200 * 1024))  # too big: not read
    assert ThemeMemory(path, "work").load() is None
    assert ThemeMemory(None, "work").load() is None and not ThemeMemory(None, "w").save("nord")


def cursor_colours(app: FtmonApp) -> set[str]:
    """The background colours of the job list's cursor row as drawn now."""
    jobs = app.main.job_list
    strip = jobs.render_line(jobs.cursor - round(jobs.scroll_y))
    return {str(seg.style.bgcolor) for seg in strip if seg.style and seg.style.bgcolor}


async def test_a_theme_chosen_in_the_palette_is_remembered_for_the_profile(tmp_path: Path) -> None:
    state = tmp_path / "ui.json"
    config = tmp_path / "config.toml"
    config.write_text("")
    app = build_app(new_world(), theme_state=state)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Theme" in titles
        before = app.theme
        border_before = app.main.query_one("#jobs-pane").styles.border_top[1]
        cursor_before = cursor_colours(app)
        # The palette's Theme command, as a user picks it.
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"theme", "enter")
        await pilot.pause(0.3)
        await pilot.press(*"nord", "enter")
        await pilot.pause(0.3)
        assert app.theme == "nord" != before
        # The job list (a line-API widget with its own row cache) repainted in the new theme.
        assert cursor_colours(app) != cursor_before
    assert json.loads(state.read_text())["themes"] == {"demo": "nord"}
    again = build_app(new_world(), theme_state=state)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
        # Our styles follow the theme: the focused pane's border is in the theme's colour.
        assert again.main.query_one("#jobs-pane").styles.border_top[1] != border_before
    assert config.read_text() == ""  # the config file is never written


async def test_an_unknown_remembered_theme_is_ignored(tmp_path: Path) -> None:
    state = tmp_path / "ui.json"
    state.write_text(json.dumps({"themes": {"demo": "no-such-theme"}}))
    app = build_app(new_world(), theme_state=state)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"


# -- a real terminal ---------------------------------------------------------------------------


def cells(run: PtyProcess) -> list[list[Any]]:
    """The pyte screen's cells, row by row (each with its character and attributes)."""
    with run._lock:
        screen = run.screen
        return [[screen.buffer[y][x] for x in range(screen.columns)] for y in range(screen.lines)]


def reversed_rows(run: PtyProcess) -> list[str]:
    """The rows whose cells are mostly reversed and bold: where the cursor is."""
    out = []
    for row in cells(run):
        marked = [c for c in row if c.reverse and c.bold]
        if len(marked) >= 30:
            out.append("".join(c.data for c in marked))
    return out


def plain_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "FTMON_", "TEXTUAL_", "AZURE_", "NO_COLOR"))
    }
    env["FTMON_CONFIG"] = str(tmp_path / "no-config.toml")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env.update(extra)
    return env


def start(tmp_path: Path, *args: str, term: str, **env: str) -> PtyProcess:
    run = PtyProcess(
        [sys.executable, "-m", "ftmon", "--demo", "--speed", "0", *args],
        cols=80,
        rows=24,
        env=plain_env(tmp_path, **env),
    )
    run.env["TERM"] = term  # the driver's default is xterm-256color
    run.start()
    return run


pty_only = pytest.mark.skipif(os.name != "posix", reason="needs a pty")


@pty_only
@pytest.mark.e2e
def test_linux_console_with_no_color_reverses_the_cursor_row_and_draws_ascii(
    tmp_path: Path,
) -> None:
    run = start(tmp_path, term="linux", NO_COLOR="1")
    try:
        run.wait_for("jobs 15", WAIT)
        run.wait_quiet(0.8, WAIT)
        text = run.text()
        assert not forbidden(text), forbidden(text)
        assert "+= jobs 15 =" in text  # the focused pane: a double border, = across
        rows = reversed_rows(run)
        assert len(rows) == 1 and "ftjob-" in rows[0], rows
        first = rows[0]
        run.send("j")
        run.wait_for(lambda screen: reversed_rows(run) and reversed_rows(run)[0] != first, WAIT)
        rows = reversed_rows(run)
        assert len(rows) == 1 and "ftjob-" in rows[0] and rows[0] != first
        # Every tab (the metrics' plot is braille elsewhere), and help.
        for key in ("3", "2", "4", "?"):
            run.send(key)
            time.sleep(0.3)
            run.wait_quiet(0.5, WAIT)
            shown = run.text()
            assert not forbidden(shown), (key, forbidden(shown), shown)
            if key == "2":  # the events took the focus, and the double border with it
                assert "+= events =" in shown and "+- jobs 15 -" in shown, shown
        run.send("\x1b")
    finally:
        run.close()


@pty_only
@pytest.mark.e2e
def test_the_ascii_flag_on_a_modern_terminal_and_none_without_it(tmp_path: Path) -> None:
    run = start(tmp_path, "--ascii", term="xterm-256color")
    try:
        run.wait_for("jobs 15", WAIT)
        run.send("3")
        time.sleep(0.3)
        run.wait_quiet(0.5, WAIT)
        assert not forbidden(run.text()), run.text()
    finally:
        run.close()
    run = start(tmp_path, term="xterm-256color")
    try:
        run.wait_for("jobs 15", WAIT)
        assert "╭─ jobs 15" in run.text()
    finally:
        run.close()


# -- snapshots ------------------------------------------------------------------------------------


def test_ascii_mode_80x24(snap_compare: Any) -> None:
    world = new_world()
    app = build_app(world, ascii=True, job_id=job_id(world, "catalog-long"))
    assert snap_compare(app, terminal_size=(80, 24), press=["3"], run_before=settle_workers)


def test_no_color_mode_80x24(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    world = new_world()
    app = build_app(world, job_id=job_id(world, "catalog-long"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle_workers)
