"""The [keymap] check: what a user who remapped keys is told, before the app starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from tuikit import build_app, screen_text, settle

from ftmon.cli import main
from ftmon.monitor.health import Health
from ftmon.sim import SimWorld
from ftmon.tui.app import FtmonApp
from ftmon.tui.bindings import (
    EVENT_LOG_BINDINGS,
    HELP_BINDING,
    MAIN_BINDINGS,
    MOVE_BINDINGS,
    PAN_BINDINGS,
)
from ftmon.tui.keymap_check import (
    Layer,
    Place,
    binding_places,
    key_name_problem,
    keymap_problems,
    known_ids,
)

# -- the pure check ----------------------------------------------------------------------------


def test_the_default_keys_and_harmless_remaps_have_no_problems() -> None:
    assert keymap_problems({}) == []
    assert keymap_problems({"cancel_job": "X"}) == []  # the README's example
    assert keymap_problems({"help": "?", "filter": "/", "refresh": "f5,ctrl+r"}) == []
    # Pairs share a key on purpose, set together or one after the other.
    assert keymap_problems({"pause_job": "Z"}) == []
    assert keymap_problems({"pause_job": "x", "resume_job": "x"}) == []
    assert keymap_problems({"pause_job": "Z", "resume_job": "R"}) == []
    # Two keys swapped: neither lands on the other's default key any more.
    assert keymap_problems({"cancel_job": "C", "compare": "c"}) == []
    # Keys on other screens only meet the app keys that work there.
    assert keymap_problems({"compare.axis": "c"}) == []
    assert keymap_problems({"close_help": "escape,q"}) == []


def test_the_event_log_keys_shadow_the_screen_s_by_design_until_remapped() -> None:
    # / n N escape are the log's while it has focus: the defaults, or an entry repeating one,
    # are no clash; moving a key onto another pane's action is.
    assert keymap_problems({"filter": "/", "create_job": "n", "log_search": "slash"}) == []
    (problem,) = keymap_problems({"log_level": "c"})
    assert problem.startswith('log_level = "c": c is already the key of cancel_job')


def test_every_binding_id_of_the_app_is_known() -> None:
    ids = set(known_ids())
    for binding in (*MAIN_BINDINGS, *MOVE_BINDINGS, *PAN_BINDINGS):
        assert binding.id in ids
    # Ids the panes and screens declare themselves are keymap ids too.
    assert {"metrics.toggle_accuracy", "compare.axis", "close_help"} <= ids


def test_an_unknown_id_names_the_closest_known_one() -> None:
    (problem,) = keymap_problems({"cancle_job": "x"})
    assert problem == "cancle_job: there is no such action; did you mean cancel_job?"
    (problem,) = keymap_problems({"zzzzzz": "x"})
    assert problem == "zzzzzz: there is no such action"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", 'refresh = "": no key given'),
        (" ", 'refresh = " ": no key given (the space bar is "space")'),
        ("r,,x", 'refresh = "r,,x": an empty key between commas (the "," key is "comma")'),
        ("F5", 'refresh = "F5": "F5" is not a key name Textual knows (did you mean "f5"?)'),
        ("Ctrl+r", 'refresh = "Ctrl+r": "Ctrl+r" is not a key (did you mean "ctrl+r"?)'),
        ("ctlr+r", "modifiers are alt, ctrl, hyper, meta, shift, super"),
        ("ctrl+", "a modifier needs a key after it"),
        ("pgdown", '(did you mean "pagedown"?)'),
    ],
)
def test_empty_and_unknown_key_names_are_reported(value: str, said: str) -> None:
    (problem,) = keymap_problems({"refresh": value})
    assert said in problem


def test_key_names_textual_knows() -> None:
    for key in ("a", "C", "1", "question_mark", "slash", "space", "f12", "ctrl+shift+up", "é"):
        assert key_name_problem(key) is None, key


def test_a_remap_onto_another_actions_default_key_is_a_clash() -> None:
    (problem,) = keymap_problems({"cancel_job": "C"})
    assert problem == (
        'cancel_job = "C": C is already the key of compare on the main screen: '
        "one key cannot do both"
    )
    (problem,) = keymap_problems({"cancel_job": "?"})
    assert "? is already the key of help" in problem  # shown as the footer shows it


def test_two_remaps_onto_one_key_are_a_clash() -> None:
    (problem,) = keymap_problems({"copy": "x", "refresh": "x"})
    assert problem == (
        'copy = "x" and refresh = "x" both put a key on x on the main screen: '
        "one key cannot do both"
    )


def test_a_pair_moves_together_and_clashes_as_one() -> None:
    (problem,) = keymap_problems({"resume_polling": "c"})
    assert problem.startswith('resume_polling = "c" (and pause_polling with it): ')
    assert "c is already the key of cancel_job" in problem
    (problem,) = keymap_problems({"pause_polling": "z"})
    assert "z is already the key of pause_job/resume_job on the main screen" in problem


def test_an_app_key_a_focused_pane_also_binds_is_shadowed_there() -> None:
    # The focused widget is asked first: with the job list focused, j moves down.
    (problem,) = keymap_problems({"refresh": "j"})
    assert problem == (
        'refresh = "j": j is already the key of down in the job list, overview, events and '
        "checkpoints panes; there j does down"
    )
    (problem,) = keymap_problems({"refresh": "a"})
    assert "in the metrics pane; there a does metrics.toggle_accuracy" in problem


def test_pane_keys_clash_within_a_pane_only() -> None:
    (problem,) = keymap_problems({"down": "h"})
    assert problem == (
        'down = "h": h is already the key of pan_left in the events pane: one key cannot do both'
    )
    # Pan keys live in the events pane only; elsewhere l is free.
    assert keymap_problems({"down": "x"}) == []


def test_full_screens_meet_only_the_app_keys_that_work_there() -> None:
    # No main-screen key reaches a full screen: q on a form must never quit and lose it, so
    # quit is the main screen's alone and v (compare's validation key) is free for it.
    # Help is one binding on every screen on purpose: one [keymap] entry remaps it everywhere.
    main_ids = {b.id for b in MAIN_BINDINGS} - {HELP_BINDING.id}
    for place in binding_places():
        if place.screen != "main screen":
            seen = {b.id for layer in place.layers[1:] for b in layer.bindings}
            assert not seen & main_ids, place.screen
    assert keymap_problems({"quit": "v"}) == []
    (problem,) = keymap_problems({"quit": "c"})
    assert "c is already the key of cancel_job" in problem


def test_textual_s_own_keys_count() -> None:
    (problem,) = keymap_problems({"refresh": "ctrl+q"})
    assert "ctrl+q is already the key of quit (a fixed key)" in problem
    (problem,) = keymap_problems({"refresh": "ctrl+p"})
    assert "command_palette (a fixed key)" in problem


def test_every_problem_is_reported_at_once() -> None:
    problems = keymap_problems({"cancle_job": "x", "refresh": "", "cancel_job": "C"})
    assert [p.split(":")[0].split(" ")[0] for p in problems] == [
        "cancle_job",
        "refresh",
        "cancel_job",
    ]


def test_the_check_works_on_any_places_given() -> None:
    app = Layer("app", (Binding("a", "one", id="one"), Binding("b", "two", id="two")))
    pane = Layer("pane", (Binding("c", "three", id="three"),))
    places = [Place("screen", None, (app,)), Place("screen", "pane", (pane, app))]
    assert keymap_problems({"one": "b"}, places) == [
        'one = "b": b is already the key of two on the screen: one key cannot do both'
    ]
    assert keymap_problems({"three": "a"}, places) == [
        'three = "a": a is already the key of one in the pane pane; there a does three'
    ]


def test_the_places_follow_the_classes_bindings() -> None:
    """Read from the real classes: a key added to a pane is checked without touching the list."""
    main = next(p for p in binding_places() if p.screen == "main screen" and p.focus is None)
    screen_keys = {b.id for b in main.layers[0].bindings if b.id}
    assert screen_keys == {b.id for b in MAIN_BINDINGS}
    events = next(p for p in binding_places() if p.focus == "events")
    assert {b.id for b in events.layers[0].bindings if b.id} == {
        b.id for b in (*MOVE_BINDINGS, *PAN_BINDINGS, *EVENT_LOG_BINDINGS)
    } | {"events.open"}


# -- where the user sees it: `ftmon` refuses to start ------------------------------------------


@pytest.fixture
def no_app_run(monkeypatch: pytest.MonkeyPatch) -> list[FtmonApp]:
    """Record an app run instead of running it (and keep the environment's profile out)."""
    started: list[FtmonApp] = []

    def fake_run(self: FtmonApp, **kwargs: Any) -> None:
        started.append(self)
        self._return_code = 0

    monkeypatch.setattr(FtmonApp, "run", fake_run)
    monkeypatch.delenv("FTMON_PROFILE", raising=False)
    return started


def test_ftmon_with_a_clashing_keymap_exits_2_naming_the_file(
    tmp_path: Path, no_app_run: list[FtmonApp], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\ncancel_job = "C"\ncancle_job = "x"\n', encoding="utf-8")
    assert main(["--demo", "--config", str(config)]) == 2
    assert no_app_run == []
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"ftmon: [keymap] in {config}:",
        "  cancle_job: there is no such action; did you mean cancel_job?",
        '  cancel_job = "C": C is already the key of compare on the main screen: '
        "one key cannot do both",
    ]


def test_ftmon_with_a_sound_keymap_starts(
    tmp_path: Path, no_app_run: list[FtmonApp], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\ncancel_job = "X"\nresume_polling = "p"\n', encoding="utf-8")
    assert main(["--demo", "--config", str(config)]) == 0
    (app,) = no_app_run
    assert app._keymap["cancel_job"] == "X"
    assert capsys.readouterr().err == ""


# -- the status line names the key the user has --------------------------------------------------


def test_health_describe_names_the_key_it_is_given() -> None:
    paused = Health(state="paused")
    assert paused.describe(0.0) == "polling paused (space to resume)"
    assert paused.describe(0.0, "p") == "polling paused (p to resume)"


async def test_the_paused_status_line_names_the_remapped_key(world: SimWorld) -> None:
    app = build_app(world, keymap={"resume_polling": "p"})  # pause_polling follows it
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("space")  # no longer pauses
        await pilot.pause()
        assert not app.monitor.paused
        await pilot.press("p")
        await pilot.pause()
        assert app.monitor.paused
        assert "polling paused (p to resume)" in screen_text(app)
        assert "space" not in screen_text(app)
        await pilot.press("p")
        await settle(pilot)
        assert not app.monitor.paused
        assert "polling paused" not in screen_text(app)
