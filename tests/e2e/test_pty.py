"""The installed ``ftmon`` in a real 80x24 pseudo-terminal, against ``ftmon sim`` over TCP.

What a user at a terminal sees and relies on: the job list appears, keys move the selection and
switch the detail tab, the filter narrows the list, help opens and closes, ``q`` quits with exit
code 0 and gives the terminal back, the API key never reaches the terminal, and a hang-up ends
the program at once with nothing left running.

Every wait polls the screen (with a timeout); nothing sleeps for a fixed time.
"""

from __future__ import annotations

import re
import signal
from typing import Any

import psutil
import pytest
from support.pty import PtyProcess, tree_processes

from bench.common import SimProcess, tui_env

pytestmark = pytest.mark.e2e

API_KEY = "sk-e2e-test-key-0123456789"
#: The shortest prefix of a job id that the job list shows in full (the column is truncated).
ID_SHOWN = 20
#: Textual leaves the alternate screen and shows the cursor again when it exits.
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"


def _jobs(sim: SimProcess) -> list[dict[str, Any]]:
    page = sim.api("fine_tuning/jobs", limit=100)
    assert not page["has_more"], "the default world fits one page"
    return page["data"]


def _newest_event(sim: SimProcess, job_id: str) -> str:
    return sim.api(f"fine_tuning/jobs/{job_id}/events", limit=1)["data"][0]["message"]


def _filter_haystack(job: dict[str, Any]) -> str:
    """What a filter word is matched against, as the README says: id, model, suffix, status,
    metadata."""
    parts = [job["id"], job["model"], job.get("fine_tuned_model"), job.get("user_provided_suffix")]
    parts.append(job["status"])
    for key, value in (job.get("metadata") or {}).items():
        parts += [key, value]
    return " ".join(str(p) for p in parts if p).casefold()


def _unique_word(jobs: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A suffix that only one job's filter text contains: the filter must narrow to that job."""
    for job in jobs:
        suffix = job.get("user_provided_suffix")
        if not suffix:
            continue
        hits = [j for j in jobs if suffix.casefold() in _filter_haystack(j)]
        if hits == [job]:
            return suffix, job
    raise AssertionError("no job with a suffix of its own in the simulated world")


def _overview_shows(job_id: str) -> re.Pattern[str]:
    """The overview's ``id`` field holding this job's full id."""
    return re.compile(r"│ id\s+" + re.escape(job_id) + r"\s")


def _border_colour(term: PtyProcess, needle: str) -> str:
    """Colour of the top-left corner of the pane whose title contains ``needle``."""
    for y, line in enumerate(term.lines()):
        x = line.find("╭─ " + needle)
        if x >= 0:
            return term.screen.buffer[y][x].fg
    raise AssertionError(f"no pane titled {needle!r} on screen:\n{term.text()}")


def _focus_on(term: PtyProcess, pane: str, other: str) -> bool:
    """The focused pane is the one whose border is drawn in the accent colour."""
    return _border_colour(term, pane) != _border_colour(term, other)


def _wait_focus(term: PtyProcess, pane: str, other: str, accent: str) -> None:
    term.wait_for(lambda _text: _border_colour(term, pane) == accent != _border_colour(term, other))


def test_a_session_at_80x24(sim: SimProcess, ftmon_script: str) -> None:
    jobs = _jobs(sim)
    first, second = jobs[0], jobs[1]
    word, match = _unique_word(jobs)
    env = tui_env(sim.base_url, OPENAI_API_KEY=API_KEY)
    with PtyProcess([ftmon_script], cols=80, rows=24, env=env) as term:
        # The job list: its title counts the jobs, the newest rows are there, newest first.
        term.wait_for(f"jobs {len(jobs)} ")
        for job in jobs[:4]:
            term.wait_for(job["id"][:ID_SHOWN])
        # Rows of the job list only: it ends where the detail's tab strip begins.
        lines = term.lines()
        tabs = next((i for i, line in enumerate(lines) if "Overview" in line), len(lines))
        rows = [i for i, line in enumerate(lines[:tabs]) if "ftjob-" in line]
        shown = [next(j["id"] for j in jobs if j["id"][:ID_SHOWN] in lines[i]) for i in rows]
        assert shown == [j["id"] for j in jobs[: len(shown)]]
        # The newest job is selected: the overview below shows its whole id.
        term.wait_for(_overview_shows(first["id"]))

        # j / k move the selection, and the detail follows it.
        term.press("j")
        term.wait_for(_overview_shows(second["id"]))
        term.press("k")
        term.wait_for(_overview_shows(first["id"]))

        # 2 shows the Events tab: the selected job's newest event is in the log.
        term.press("2")
        term.wait_for("╭─ events")
        term.wait_for(_newest_event(sim, first["id"])[:40])
        term.wait_gone("╭─ overview")

        # Choosing the tab focused its pane; shift+tab moves the focus back to the job list,
        # tab to the events again.
        term.wait_for(lambda _text: _focus_on(term, "events", "jobs"))
        accent = _border_colour(term, "events")
        term.press("shift+tab")
        _wait_focus(term, "jobs", "events", accent)
        term.press("tab")
        _wait_focus(term, "events", "jobs", accent)
        term.press("shift+tab")
        _wait_focus(term, "jobs", "events", accent)

        # / opens the filter; typing narrows the list to the one matching job.
        term.press("/")
        term.wait_for("filter: id, model, suffix, status, metadata")
        term.type(word)
        term.press("enter")
        term.wait_for(f"jobs 1/{len(jobs)} · filter: {word}")
        term.wait_for(match["id"][:ID_SHOWN])
        # The title can arrive before the rest of the frame: wait for the other rows to go.
        others = [job["id"][:ID_SHOWN] for job in jobs if job is not match]
        term.wait_for(lambda text: not any(other in text for other in others))
        term.wait_for(_newest_event(sim, match["id"])[:40])

        # ? shows the keys; esc closes the help and leaves the filter as it was.
        term.press("?")
        term.wait_for("next / previous pane")
        term.wait_for("clear filter")
        term.press("escape")
        term.wait_gone("next / previous pane")
        term.wait_for(f"jobs 1/{len(jobs)} · filter: {word}")

        # esc clears the filter: every job is back.
        term.press("escape")
        term.wait_for(f"jobs {len(jobs)} ")
        term.wait_for(first["id"][:ID_SHOWN])

        # q quits with exit code 0 and gives the terminal back.
        mark = term.total_bytes
        term.press("q")
        assert term.wait_exit(10) == 0
        term.wait_for(lambda _text: LEAVE_ALT_SCREEN in term.raw_output()[mark:], timeout=5)
        assert SHOW_CURSOR in term.raw_output()[mark:]

    output = term.raw_output()
    assert output, "the app wrote nothing"
    assert API_KEY.encode() not in output
    assert b"0123456789" not in output, "part of the key reached the terminal"


def _descendants(pid: int) -> list[psutil.Process]:
    return tree_processes(pid)


@pytest.mark.parametrize("how", ["sighup", "hang-up"])
def test_hangup_exits_at_once_leaving_nothing(sim: SimProcess, ftmon_script: str, how: str) -> None:
    """SIGHUP (or the terminal going away, as when an SSH link drops) ends ftmon within 1 s."""
    env = tui_env(sim.base_url, OPENAI_API_KEY=API_KEY)
    term = PtyProcess([ftmon_script], cols=80, rows=24, env=env).start()
    try:
        term.wait_for(f"jobs {len(_jobs(sim))} ")
        before = _descendants(term.pid)
        assert before, "ftmon is not running"
        if how == "sighup":
            term.signal(signal.SIGHUP)
        else:
            term.hang_up()
        code = term.wait_exit(1.0)
        assert code is not None, f"ftmon still running 1 s after {how}"
        assert code == 0
        _, alive = psutil.wait_procs(before, timeout=1.0)
        assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    finally:
        term.close(quit_key=None, grace=1.0)


def test_sigterm_gives_the_terminal_back(sim: SimProcess, ftmon_script: str) -> None:
    """``kill`` (SIGTERM) ends ftmon as q does: alternate screen left, cursor shown, modes off."""
    env = tui_env(sim.base_url, OPENAI_API_KEY=API_KEY)
    term = PtyProcess([ftmon_script], cols=80, rows=24, env=env).start()
    try:
        term.wait_for(f"jobs {len(_jobs(sim))} ")
        mark = term.total_bytes
        term.signal(signal.SIGTERM)
        assert term.wait_exit(5.0) == 128 + signal.SIGTERM
        term.wait_for(lambda _text: LEAVE_ALT_SCREEN in term.raw_output()[mark:], timeout=5)
        after = term.raw_output()[mark:]
        assert SHOW_CURSOR in after
        for mode_off in (b"\x1b[?2004l", b"\x1b[?1004l"):  # bracketed paste, focus reports
            assert mode_off in after, mode_off
    finally:
        term.close(quit_key=None, grace=1.0)
