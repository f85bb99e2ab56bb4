"""Keys that arrive together, as a slow SSH link or typing ahead delivers them, act only as aimed.

Each burst is one ``write()`` to the pty, so ftmon reads it in one go. After a key that moves
focus (``/``, ``n``, ``N``, ``P``, ``tab``, a dialog) the rest of the burst must reach the widget
that key focused, in order; a confirmation takes no key of the burst that opened it. The judge is
the simulator: its request counts show that nothing was sent (no POST, no DELETE), and the
working directory shows that nothing was written (``e`` exports there).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.pty import PtyProcess

from bench.common import SimProcess, tui_env

pytestmark = pytest.mark.e2e

API_KEY = "sk-burst-test-0123456789"
ADMIN_KEY = "sk-admin-burst-test-0123456789"
SIZE = (120, 36)
CTRL_U = "\x15"  # in the filter: delete everything to the left
ENTER = "\r"
ESC = "\x1b"
RIGHT = "\x1b[C"
TAB = "\t"
#: Every key the main screen binds to a single character (the keymap's defaults).
MAIN_KEYS = "qczPDyr ?nNemCM1234jkgGhl"


def _changes(sim: SimProcess) -> dict[str, int]:
    """Requests that change something, by route, as the simulator counted them."""
    routes: dict[str, int] = sim.stats()["routes"]
    return {r: n for r, n in routes.items() if r.split(" ", 1)[0] in {"POST", "DELETE", "PUT"}}


def _running_job(sim: SimProcess) -> dict[str, Any]:
    jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
    return next(job for job in jobs if job["status"] == "running")


def _finished_job(sim: SimProcess) -> dict[str, Any]:
    jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
    return next(job for job in jobs if job["status"] == "succeeded")


def _paused_job(sim: SimProcess) -> dict[str, Any]:
    jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
    return next(job for job in jobs if job["status"] == "paused")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The directory ftmon runs in: an export (``e``) would write here."""
    return tmp_path


@pytest.fixture
def term(sim: SimProcess, ftmon_script: str, workdir: Path) -> Iterator[PtyProcess]:
    """ftmon at 120x36 on a running job, against the frozen simulator."""
    job = _running_job(sim)
    env = tui_env(sim.base_url, OPENAI_API_KEY=API_KEY, OPENAI_ADMIN_KEY=ADMIN_KEY)
    cols, rows = SIZE
    with PtyProcess(
        [ftmon_script, "--job", job["id"]], cols=cols, rows=rows, env=env, cwd=workdir
    ) as running:
        running.wait_for(re.compile(r"│ id\s+" + re.escape(job["id"][:16])), timeout=30)
        running.wait_quiet(0.3)
        before = _changes(sim)
        yield running
        assert _changes(sim) == before, "a burst sent a change to the API"
        assert not running.exited(), f"ftmon exited on a burst: {running.exit_report()}"


def _overview_id(term: PtyProcess) -> str:
    """The start of the job id the overview shows (the selected job), once it is drawn."""
    found: list[str] = []

    def shown(text: str) -> bool:
        match = re.search(r"│ id\s+(ftjob-[A-Za-z0-9]+)", text)
        if match:
            found.append(match.group(1))
        return bool(match)

    term.wait_for(shown)
    return found[-1]


def _cursor_row(term: PtyProcess) -> str:
    """The job id (as cut) on the job list's cursor row: the one row with a background of its
    own (focused or not)."""
    rows: list[tuple[str, str]] = []
    with term._lock:
        for y, line in enumerate(term.screen.display):
            x = line.find("ftjob-")
            if 0 <= x < SIZE[0] // 2:
                rows.append((term.screen.buffer[y][x].bg, line[x : x + 20]))
    backgrounds = [bg for bg, _ in rows]
    odd = [row for bg, row in rows if backgrounds.count(bg) == 1]
    assert len(odd) == 1, f"no single cursor row in the job list:\n{term.text()}"
    return odd[0]


def _filter_title(text: str) -> str | None:
    match = re.search(r"filter: (.*?) ─", text)
    return match.group(1) if match else None


def _close_filter(term: PtyProcess) -> None:
    term.send(CTRL_U + ENTER)
    term.wait_for(lambda text: "filter:" not in text)


def test_slash_then_a_word_filters_and_acts_on_nothing(
    term: PtyProcess, sim: SimProcess, workdir: Path
) -> None:
    for word in ("policy", "lazy", "paused", "e", "cy"):
        term.send("/" + word)
        term.wait_for(f"filter: {word} ")
        assert "Cancel job" not in term.text() and "Pause job" not in term.text()
        _close_filter(term)
    assert list(workdir.iterdir()) == []


def test_slash_then_every_main_screen_key_types_that_key(term: PtyProcess, workdir: Path) -> None:
    for key in MAIN_KEYS:
        term.send("/" + key + "x")
        shown = f"{key}x".strip()
        term.wait_for(lambda text, shown=shown: _filter_title(text) == shown)
        _close_filter(term)
    assert list(workdir.iterdir()) == []
    assert "jobs" in term.text()


def test_a_dialog_takes_no_key_of_the_burst_that_opened_it(
    term: PtyProcess, sim: SimProcess
) -> None:
    for opener, label in (("c", "Cancel job"), ("z", "Pause job")):
        # y was Yes once; enter presses the focused button; both arrive with the opener.
        term.send(opener + "y" + ENTER + RIGHT + ENTER)
        term.wait_for(label)
        term.wait_quiet(0.3)
        assert label in term.text(), "the dialog was answered by keys typed before it showed"
        term.send(ESC)
        term.wait_gone(label)


def test_new_job_form_gets_the_typed_ahead_keys_in_order(term: PtyProcess) -> None:
    # n opens the form; the rest of the burst goes into it, tab moving between fields in order.
    term.send("n" + "gpt-x" + TAB + "file-abc" + TAB)
    term.wait_for(re.compile(r"Base model\s+gpt-x\b"))
    term.wait_for(re.compile(r"Training file\s+file-abc\b"))
    # q types a q in a field, never quits; esc on a changed form asks first.
    term.send(TAB + TAB + "q")
    term.wait_quiet(0.3)
    assert not term.exited()
    term.send(ESC)
    term.wait_for("Close this form without creating the job?")
    term.wait_quiet(0.3)
    term.send(RIGHT)
    term.wait_quiet(0.2)
    term.send(ENTER)
    term.wait_gone("Create a fine-tuning job")
    # What was typed comes back with n.
    term.send("n")
    term.wait_for("Reopened as you left it.")
    term.wait_for(re.compile(r"Base model\s+gpt-x\b"))
    term.wait_for(re.compile(r"Training file\s+file-abc\b"))
    # A change asks again; "Keep editing" has focus, so enter keeps the form.
    term.send("y")
    term.wait_for(re.compile(r"Base model\s+gpt-xy\b"))
    term.send(ESC)
    term.wait_for("Close this form without creating the job?")
    term.wait_quiet(0.3)
    term.send(ENTER)
    term.wait_gone("Close this form")
    assert "Create a fine-tuning job" in term.text()


def test_new_job_like_this_one_and_help_take_the_burst(term: PtyProcess) -> None:
    term.send("N" + "zz")
    term.wait_for(re.compile(r"Base model\s+\S*zz\b"))
    term.send(ESC)
    term.wait_for("Close this form")
    term.wait_quiet(0.3)
    term.send(RIGHT)
    term.wait_quiet(0.2)
    term.send(ENTER)
    term.wait_gone("Create a fine-tuning job")
    # ? opens help; the j after it scrolls the help, not the job list.
    selected = _overview_id(term)
    term.send("?j")
    term.wait_for("next / previous pane")
    term.send(ESC)
    term.wait_gone("next / previous pane")
    term.wait_quiet(0.3)
    assert _overview_id(term) == selected


def test_permissions_take_the_burst_that_opened_them(term: PtyProcess) -> None:
    """P opens the permissions screen (the running job has a checkpoint), a opens the field to
    share with, and the ids typed after them land in that field; nothing is sent before enter."""
    term.send("Pa" + "proj_burst")
    term.wait_for("Shared with", timeout=20)
    term.wait_for(re.compile(r"Share with\s+proj_burst"), timeout=20)
    term.send(ESC)
    term.wait_gone("proj_burst")
    term.send(ESC)
    term.wait_gone("Shared with")


def test_the_models_view_takes_the_burst_and_deletes_nothing(
    term: PtyProcess, sim: SimProcess
) -> None:
    """M opens the models view: the keys typed with it (j, D, y, enter, right-enter) arrive
    before its list shows and act on nothing (no dialog, no job opened); D on a model opens the
    dialog that names it, and the y, enter and right-enter typed with D never answer it."""
    term.send("M" + "jj" + "D" + "y" + ENTER + RIGHT + ENTER)
    term.wait_for(re.compile(r"\d+ fine-tuned models"), timeout=20)
    term.wait_quiet(0.3)
    assert "Fine-tuned models" in term.text(), "a key of the burst closed the view"
    assert "Keep the model" not in term.text(), "a key of the burst opened the delete dialog"
    term.send("j")  # from the first job's line to its first model's
    term.wait_quiet(0.3)
    term.send("D" + "y" + ENTER + RIGHT + ENTER)
    term.wait_for("Keep the model", timeout=10)
    term.wait_quiet(0.3)
    assert "Keep the model" in term.text(), "the dialog was answered by keys typed before it"
    assert re.search(r"ft:\S+", term.text())  # the model, named in the dialog
    term.send(ESC)
    term.wait_gone("Keep the model")
    term.send("q")  # closes the view, never the app
    term.wait_gone("Fine-tuned models")
    assert not term.exited()


def test_tab_sends_the_rest_of_the_burst_to_the_next_pane(term: PtyProcess) -> None:
    selected = _cursor_row(term)
    term.send(TAB + "jjj")
    term.wait_quiet(0.5)
    assert _cursor_row(term) == selected, "j after tab moved the job list"


def test_a_tab_key_then_enter_opens_that_tabs_event_and_the_rest_stays_there(
    term: PtyProcess,
) -> None:
    """120x36: 2 focuses the events pane and enter (same write) opens its newest event whole;
    esc closes it (alone: esc and a letter in one write read as alt+letter) and j, k then move
    the events' cursor, never the job list."""
    selected = _cursor_row(term)
    term.send("2" + ENTER)
    term.wait_for(re.compile(r"│\s*type\s+metrics"), timeout=20)
    term.send(ESC)
    term.wait_gone(re.compile(r"│\s*type\s+metrics"))
    term.send("jkj")
    term.wait_quiet(0.5)
    assert _cursor_row(term) == selected, "a key of the burst moved the job list"


def test_at_80x24_a_tab_key_then_enter_opens_that_tabs_event(
    sim: SimProcess, ftmon_script: str, workdir: Path
) -> None:
    """80x24 as wide: 2 shows the Events tab and focuses it at once, so enter (same write) opens
    its newest event whole, and j, k after it move the events' cursor, never the job list."""
    job = _running_job(sim)
    env = tui_env(sim.base_url, OPENAI_API_KEY=API_KEY)
    with PtyProcess(
        [ftmon_script, "--job", job["id"]], cols=80, rows=24, env=env, cwd=workdir
    ) as t:
        t.wait_for("╭─ overview", timeout=30)
        t.wait_quiet(0.3)
        selected = _overview_id(t)
        t.send("2" + ENTER)
        t.wait_for(re.compile(r"│\s*type\s+metrics"), timeout=20)
        t.send(ESC)
        t.wait_gone(re.compile(r"│\s*type\s+metrics"))
        t.send("jkj")
        t.wait_quiet(0.5)
        t.send("1")
        t.wait_for("╭─ overview", timeout=10)
        t.wait_quiet(0.3)
        assert _overview_id(t) == selected, "a key of the burst moved the job list"
        assert not t.exited()


def test_azure_delete_dialog_takes_no_key_of_the_burst_that_opened_it(
    sim: SimProcess, ftmon_script: str, workdir: Path
) -> None:
    """Azure OpenAI (--azure): D on a finished job opens the delete dialog; y, enter and
    right-enter typed with it never answer it, P with it says only that Azure shares no
    checkpoints, and esc leaves the job where it was. Nothing is sent."""
    job = _finished_job(sim)
    env = tui_env(None, OPENAI_API_KEY=API_KEY, AZURE_OPENAI_API_KEY=API_KEY)
    before = _changes(sim)
    cols, rows = SIZE
    argv = [ftmon_script, "--azure", "--base-url", sim.base_url, "--job", job["id"]]
    with PtyProcess(argv, cols=cols, rows=rows, env=env, cwd=workdir) as t:
        t.wait_for(re.compile(r"│ id\s+" + re.escape(job["id"][:16])), timeout=30)
        t.wait_quiet(0.3)
        t.send("D" + "y" + ENTER + RIGHT + ENTER)
        t.wait_for("Keep the job", timeout=10)
        t.wait_quiet(0.3)
        assert "Keep the job" in t.text(), "the dialog was answered by keys typed before it showed"
        t.send(ESC)
        t.wait_gone("Keep the job")
        t.send("P" + "a" + "proj_burst")
        t.wait_for("no checkpoint sharing", timeout=10)
        t.wait_quiet(0.3)
        assert "Shared with" not in t.text()
        assert not t.exited()
    assert _changes(sim) == before, "a burst sent a change to the API"
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    "bursts",
    [200, pytest.param(1000, marks=pytest.mark.slow)],
    ids=["200-bursts", "1000-bursts"],
)
def test_random_bursts_after_slash_change_nothing(
    term: PtyProcess, sim: SimProcess, workdir: Path, bursts: int
) -> None:
    """Seeded: the same bursts every run (the 1,000 of the slow tier take about three minutes;
    the first 200 of them run with every suite)."""
    rng = random.Random(20261205)
    for _ in range(bursts):
        keys = "".join(rng.choice(MAIN_KEYS) for _ in range(rng.randint(1, 6)))
        term.send("/" + keys + CTRL_U + ENTER)
    # Keys are handled in order, so once a last filter word shows, every burst before it is
    # done (each key takes some 15 ms through the gate: this takes a minute or two).
    term.send("/endofbursts")
    term.wait_for("filter: endofbursts ", timeout=400)
    _close_filter(term)
    term.wait_quiet(0.5)
    text = term.text()
    assert "filter:" not in text and "jobs 15 " in text
    assert "Cancel job" not in text and "Pause job" not in text
    assert list(workdir.iterdir()) == []
