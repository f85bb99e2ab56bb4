"""The app in a real pseudo-terminal: hostile data, a forced crash, the log file, a lost terminal.

What ``run_test()`` cannot show: the bytes a terminal receives. Each test starts
``probe.py`` (the app as ``ftmon`` builds it) in a pty and reads everything it writes.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import HAZARDS
from relkit import KEY_FRAGMENTS
from support.pty import PtyProcess, close_pty_without_sighup
from support.simkit import new_world
from terminal_bytes import _unsafe, judge

from bench.common import tui_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name != "posix", reason="needs a pty")]

HERE = Path(__file__).resolve().parent
PROBE = str(HERE / "probe.py")


def probe(*args: str, cols: int = 120, rows: int = 36, **env: str) -> PtyProcess:
    return PtyProcess(
        [sys.executable, PROBE, *args], env=tui_env(TZ="UTC", **env), cols=cols, rows=rows
    )


def leaked(raw: bytes | str) -> list[str]:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return [fragment for fragment in KEY_FRAGMENTS if fragment in text]


# -- hostile data on a real terminal -----------------------------------------------------------


def test_hostile_data_reaches_the_terminal_only_as_text() -> None:
    """Walk every dangerous payload, finish the hostile-suffixed jobs (toasts, bells, desktop
    notifications quoting them), copy an id: only ftmon's own sequences reach the pty."""
    with probe("hostile", cols=160, rows=48) as term:
        term.wait_for("jobs ", timeout=30)
        term.wait_for(lambda text: "loading jobs" not in text, timeout=30)
        jobs = int(term.line_with("╭─ jobs ").split("jobs ", 1)[1].split()[0])
        assert jobs >= 100
        for _ in range(jobs):
            term.press("j", gap=0.02)
        # Keys go one at a time, each after the screen settles: on a busy machine the walk is
        # still under way long after the last j was sent (and a quiet moment is no proof it
        # ended). Help opens after the last j: then the walk is done, and the q below waits
        # behind no backlog.
        term.press("?")
        term.wait_for("Keys", timeout=90)
        term.press("escape")
        term.wait_gone("Keys", timeout=15)
        term.wait_quiet(0.3, timeout=30)
        os.kill(term.pid, signal.SIGUSR1)  # every suffix-hazard job finishes
        term.wait_for("Job succeeded", timeout=20)
        # Every finished job's notification, however busy the machine (not a fixed wait).
        deadline = time.monotonic() + 30
        while term.raw_output().count(b"\x1b]9;ftmon: job") < 44 and time.monotonic() < deadline:
            time.sleep(0.1)
        term.wait_quiet(0.5, timeout=30)
        term.press("y")
        term.wait_quiet(0.3, timeout=10)
        assert not term.exited(), "the app died on hostile data"
        term.press("q")
        assert term.wait_exit(10) == 0
        raw = term.raw_output()
    verdict = judge(raw)
    notified = len(verdict.notifications) // 2  # OSC 9 and OSC 777 per job
    assert notified == 44, verdict.notifications[:3]
    assert verdict.problems(max_bells=notified) == []
    # The copy is the selected job's id, base64: ftmon's own OSC 52, nothing else.
    assert len(verdict.copies) == 1
    assert base64.b64decode(verdict.copies[0]).startswith(b"ftjob-")
    # A title or notification smuggled in the data never became one.
    # (Inside ftmon's own notifications it is inert text: no ESC, no BEL, see problems().)
    for smuggled in (b"]0;pwned-title", b"]2;pwned-title", b"]9;pwned-notify"):
        assert b"\x1b" + smuggled not in raw and b"\x9d" not in raw


#: The all-strings jobs walked through every screen and form: one of each escape family, markup
#: that acts, bidi and invisible text (each holds its hazard in every string field).
SCREEN_HAZARDS = (
    "osc52-clipboard",
    "osc-title-bel",
    "osc-title-st",
    "osc8-hyperlink",
    "osc-notify",
    "csi-clear",
    "csi-leave-alt-screen",
    "dcs-request",
    "apc-kitty-graphics",
    "c1-osc",
    "c1-csi",
    "markup-link",
    "markup-click",
    "bidi-override",
    "c0-controls",
    "zero-width",
)


def show_only(term: PtyProcess, job_id: str) -> None:
    """Filter the list down to the job (and any whose id begins like it) and give the list the
    focus (the filter's enter)."""
    term.press("/")
    term.wait_for("filter: ", timeout=10)
    term.type(job_id)
    term.press("enter")
    term.wait_for(re.compile(rf"jobs [12]/\d+ · filter: {re.escape(job_id[:20])}"), timeout=10)


def visit(term: PtyProcess, key: str, shows: str) -> None:
    """Open a screen with ``key`` (already sent if empty), wait until it shows ``shows``, close
    it with escape."""
    if key:
        term.press(key)
    term.wait_for(shows, timeout=15)
    term.wait_quiet(0.2, timeout=10)
    term.press("escape")
    term.wait_gone(shows, timeout=10)


@pytest.mark.parametrize(
    "every_hazard", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["some", "all"]
)
def test_every_screen_and_form_shows_hostile_data_only_as_text(every_hazard: bool) -> None:
    """Issue 11.1: the jobs with a hazard in every field walked through every screen and form:
    the four tabs, the create form filled from the job (``N``), the permissions screen, compare,
    help and the palette above them, the models view (``M``) and its delete dialog; hostile
    checkpoint names (the slow tier: every hazard's) through the permissions screen and the
    clipboard, and hostile events through the event detail screen (enter on the event log).
    Only ftmon's own sequences reach the pty, and what ``y`` copies is clean text. (The create
    form's prefill once wrote OSC 52, OSC 2 and CSI 2J to the terminal.)"""
    from hostile_api import HostileApi
    from probe import hostile_payloads

    api = HostileApi(hostile_payloads(checkpoints=True))
    all_strings = [api.carrier_of[f"job.all-strings={name}"] for name in SCREEN_HAZARDS]
    screen_names = HAZARDS if every_hazard else SCREEN_HAZARDS
    checkpoint_jobs = [api.carrier_of[f"checkpoint.screen={name}"] for name in screen_names]
    event_jobs = [api.carrier_of[f"event.screen={name}"] for name in screen_names]
    with probe("hostile", "--checkpoints", cols=160, rows=48) as term:
        term.wait_for("jobs ", timeout=30)
        term.wait_for(lambda text: "loading jobs" not in text, timeout=30)
        for job_id in all_strings:
            show_only(term, job_id)
            term.press("2", "3", "4", "1", gap=0.1)
            visit(term, "N", "New job like")
            visit(term, "P", "Shared with")
            term.press("m")
            term.press("escape")  # clears the filter
            term.wait_gone("filter: ", timeout=10)
        visit(term, "C", "Compare runs")
        visit(term, "?", "Keys")
        # The models view: hostile model names (a job's, a checkpoint's, one per hazard made
        # elsewhere and owned by the hazard) walked, and the delete dialog that quotes one.
        term.press("M")
        term.wait_for(re.compile(r"\d+ fine-tuned models"), timeout=30)
        for _ in range(40):
            term.press("j", gap=0.02)
        term.press("G", "g", "G", gap=0.1)  # G: the last model made elsewhere (no job)
        term.wait_quiet(0.2, timeout=10)
        term.press("D")
        term.wait_for("Delete model", timeout=10)
        term.answer_dialog("escape", "Delete model")
        term.wait_for("Nothing deleted", timeout=10)
        visit(term, "", "Fine-tuned models")
        term.press("ctrl+p")
        term.wait_for("Search", timeout=10)
        term.type("job")
        term.wait_for("Compare the marked jobs", timeout=10)
        term.press("escape", gap=0.3)  # closes the list of matches
        term.press("escape")  # closes the palette
        term.wait_gone("🔎", timeout=10)
        for job_id in event_jobs:
            show_only(term, job_id)
            # 2 (the events pane, focused, the cursor on the newest event) and enter in one
            # write, as a slow link delivers them: the enter must reach the events pane.
            term.send("2\r")
            visit(term, "", "moderation_checks")  # the detail's type row, not the log
            term.press("escape")
            term.wait_gone("filter: ", timeout=10)
        for job_id in checkpoint_jobs:
            show_only(term, job_id)
            visit(term, "P", "Shared with")
            term.press("4")
            term.wait_quiet(0.2, timeout=10)
            term.press("y")
            term.wait_for("Copied", timeout=10)
            term.press("escape")
            term.wait_gone("filter: ", timeout=10)
        assert not term.exited(), "the app died on hostile data"
        term.press("q")
        assert term.wait_exit(10) == 0
        raw = term.raw_output()
    verdict = judge(raw)
    assert verdict.problems() == []
    assert len(verdict.copies) == len(checkpoint_jobs)
    for copy in verdict.copies:
        text = base64.b64decode(copy).decode("utf-8")
        assert text and not [c for c in text if _unsafe(c) or c in "\r\n"], text[:80]
    for smuggled in (b"]0;pwned-title", b"]2;pwned-title", b"]52;c;cm0g"):
        assert b"\x1b" + smuggled not in raw


def test_azure_delete_dialog_and_refusals_show_hostile_data_only_as_text() -> None:
    """As Azure OpenAI: the delete dialog of a finished job whose suffix carries a hazard (it
    quotes the suffix, the id and the model), the refusal of a delete for a job whose status
    carries one (the status line quotes it), and P's "no checkpoint sharing": only ftmon's own
    sequences reach the pty, and nothing is deleted."""
    from hostile_api import HostileApi
    from probe import hostile_payloads

    api = HostileApi(hostile_payloads())
    suffixed = [api.carrier_of[f"job.suffix-hazard={name}"] for name in SCREEN_HAZARDS]
    all_strings = [api.carrier_of[f"job.all-strings={name}"] for name in SCREEN_HAZARDS]
    with probe("hostile", "--azure", cols=160, rows=48) as term:
        term.wait_for("jobs ", timeout=30)
        term.wait_for(lambda text: "loading jobs" not in text, timeout=30)
        os.kill(term.pid, signal.SIGUSR1)  # every suffix-hazard job succeeds
        term.wait_quiet(0.5, timeout=30)
        for job_id in suffixed:
            show_only(term, job_id)
            visit(term, "D", "Keep the job")
            term.press("escape")  # clears the filter
            term.wait_gone("filter: ", timeout=10)
        for job_id in all_strings:
            show_only(term, job_id)
            term.press("D")
            term.wait_for("cannot delete", timeout=10)
            term.press("P")
            term.wait_for("no checkpoint sharing", timeout=10)
            term.press("escape")
            term.wait_gone("filter: ", timeout=10)
        assert not term.exited(), "the app died on hostile data"
        term.press("q")
        assert term.wait_exit(10) == 0
        raw = term.raw_output()
    verdict = judge(raw)
    # The finished jobs announce themselves (a bell and a notification each).
    assert verdict.problems(max_bells=len(verdict.notifications) // 2) == []
    for smuggled in (b"]0;pwned-title", b"]2;pwned-title", b"]52;c;cm0g"):
        assert b"\x1b" + smuggled not in raw


# -- secrets in crash reports and logs -------------------------------------------------------


def crash_output(mode: str, tmp_path: Path) -> tuple[int | None, bytes, str]:
    log = tmp_path / "textual.log"
    with probe("sim", "--crash", mode, TEXTUAL_LOG=str(log)) as term:
        term.wait_for("jobs 15", timeout=30)
        term.press("!")
        code = term.wait_exit(15)
        time.sleep(0.2)
        raw = term.raw_output()
    return code, raw, log.read_text(errors="replace") if log.exists() else ""


def test_a_crash_in_a_key_handler_shows_no_key(tmp_path: Path) -> None:
    code, raw, log = crash_output("handler", tmp_path)
    assert code == 1
    assert b"Boom" in raw  # the crash report was printed
    assert leaked(raw) == [] and leaked(log) == []


def test_a_crash_under_a_request_shows_no_key(tmp_path: Path) -> None:
    """F5: Textual's crash report showed local variables; a crash under a request printed the
    client's request headers, ``Authorization: Bearer <key>`` in full, on the terminal."""
    code, raw, log = crash_output("request", tmp_path)
    assert code == 1
    assert b"Boom" in raw
    assert leaked(raw) == [] and leaked(log) == []


def test_every_screen_and_the_textual_log_hold_no_key(tmp_path: Path) -> None:
    """ftmon writes no log file of its own; Textual's (``TEXTUAL_LOG``) is checked instead.
    The app polls a moving world; every screen is opened on a running job with a checkpoint."""
    log = tmp_path / "textual.log"
    job = new_world(scenario="default").highlights["job:support-bot-v3"]
    args = ("sim", "--speed", "30", "--interval", "0.5", "--job", job)
    with probe(*args, TEXTUAL_LOG=str(log)) as term:
        term.wait_for("support-bot-v3", timeout=30)
        term.press("1", "2", "3", "4", "1", gap=0.05)
        screens = [
            ("?", "Keys", "escape"),
            ("ctrl+p", "Search", "escape"),
            ("/", "filter: id, model", "escape"),
            ("c", "Keep it running", "escape"),
            ("P", "Shared with", "escape"),
        ]
        for key, shows, close in screens:
            term.press(key)
            term.wait_for(shows, timeout=10)
            term.answer_dialog(close, shows)
        term.press("q")
        assert term.wait_exit(10) == 0
        raw = term.raw_output()
    assert log.exists() and log.stat().st_size > 0
    assert leaked(raw) == []
    assert leaked(log.read_text(errors="replace")) == []


# -- a lost terminal -----------------------------------------------------------------------------


@pytest.fixture
def live() -> Iterator[PtyProcess]:
    """The app polling a moving world (speed 60, interval 0.2 s): busy, as it is when the link
    drops in real life."""
    term = probe("sim", "--speed", "60", "--interval", "0.2")
    term.start()
    try:
        term.wait_for("jobs 15", timeout=30)
        yield term
    finally:
        term.close()


def ended_within(term: PtyProcess, seconds: float) -> tuple[bool, float]:
    """(whether it exited within ``seconds``, CPU seconds it used meanwhile)."""
    cpu0 = term.cpu_seconds()
    code = term.wait_exit(seconds)
    if code is None:
        cpu = term.cpu_seconds() - cpu0
        return False, cpu
    return True, 0.0


# Each ends through the app's own exit (code 0), not by the signal's default action (-1) nor
# by the hang-up watcher's forced exit (129) after its grace: a bound in seconds instead failed
# on a loaded machine.
def test_sighup_ends_it_through_the_app(live: PtyProcess) -> None:
    live.signal(signal.SIGHUP)
    assert live.wait_exit(20.0) == 0


def test_the_pty_closing_under_it_ends_it_through_the_app(live: PtyProcess) -> None:
    live.hang_up()
    assert live.wait_exit(20.0) == 0


def test_under_nohup_a_closed_pty_still_ends_it() -> None:
    """SIGHUP ignored by the parent (``nohup``): the app's own handler still ends it."""
    term = PtyProcess(
        [sys.executable, "-c", NOHUP, PROBE, "sim", "--speed", "60", "--interval", "0.2"],
        env=tui_env(TZ="UTC"),
    )
    with term:
        term.wait_for("jobs 15", timeout=30)
        term.hang_up()
        code = term.wait_exit(20.0)
        busy = 0.0
        if code is None:  # measure the damage before the harness kills it
            cpu0 = term.cpu_seconds()
            time.sleep(1.0)
            busy = term.cpu_seconds() - cpu0
        assert code is not None, f"still running after a hang-up; {busy:.2f} s CPU in 1 s"
        assert code == 0  # the app's own handler, not the stuck-loop exit (129)


#: Runs argv[1:] with SIGHUP ignored, as ``nohup`` does (without its output redirection).
NOHUP = (
    "import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def test_without_a_controlling_terminal_a_closed_pty_ends_it() -> None:
    """Started by a supervisor on a pty that is not its controlling terminal (``setsid``
    without ``TIOCSCTTY``): no SIGHUP comes at all when the pty goes. (F6: Textual's input
    thread then read end-of-file in a loop at ~90 % CPU, for good.)"""
    took, busy = close_pty_without_sighup(
        [sys.executable, PROBE, "sim", "--speed", "60", "--interval", "0.2"],
        tui_env(TZ="UTC", COLUMNS="100", LINES="30"),
        ready=b"jobs 15",
        wait=1.0,
    )
    assert took is not None, f"still running after its pty closed; {busy:.2f} s CPU in 1 s"
    assert took < 1.0
