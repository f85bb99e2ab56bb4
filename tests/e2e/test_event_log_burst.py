"""The event log's search takes a burst typed over SSH whole: ``2/loss`` and enter in one write
focus the log, search it, and never start a new job (``n``, ``N``), open the job filter (``/``)
or change the level filter (``f``). Judged on the real screen in a pseudo-terminal and by the
simulator's request counts (nothing sent that changes anything)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.pty import PtyProcess

from bench.common import SimProcess, tui_env

pytestmark = pytest.mark.e2e

API_KEY = "sk-burst-test-0123456789"
ENTER = "\r"
ESC = "\x1b"
FORM = "Create a fine-tuning job"


def _changes(sim: SimProcess) -> dict[str, int]:
    routes: dict[str, int] = sim.stats()["routes"]
    return {r: n for r, n in routes.items() if r.split(" ", 1)[0] in {"POST", "DELETE", "PUT"}}


@pytest.fixture(params=[(80, 24), (120, 36)], ids=["80x24", "120x36"])
def term(
    request: pytest.FixtureRequest, sim: SimProcess, ftmon_script: str, tmp_path: Path
) -> Iterator[PtyProcess]:
    """ftmon on a running job (its events say ``loss``), against the frozen simulator."""
    jobs = sim.api("fine_tuning/jobs", limit=100)["data"]
    job = next(job for job in jobs if job["status"] == "running")
    cols, rows = request.param
    env = tui_env(sim.base_url, OPENAI_API_KEY=API_KEY)
    with PtyProcess(
        [ftmon_script, "--job", job["id"]], cols=cols, rows=rows, env=env, cwd=tmp_path
    ) as running:
        # The job's id twice: in the list and in the overview (it is loaded).
        running.wait_for(lambda text: text.count(job["id"][:16]) >= 2, timeout=30)
        running.wait_quiet(0.3)
        before = _changes(sim)
        yield running
        assert _changes(sim) == before, "a burst sent a change to the API"
        assert not running.exited(), f"ftmon exited on a burst: {running.exit_report()}"
        assert list(tmp_path.iterdir()) == [], "a burst exported the job"


def test_2_slash_loss_enter_in_one_write_searches_the_log(term: PtyProcess) -> None:
    term.send("2/loss" + ENTER)
    term.wait_for(re.compile(r"/loss \d+/\d+"))  # the match it went to, in the log's border
    term.send("nNNn")
    term.wait_quiet(0.5)
    text = term.text()
    assert FORM not in text, "n or N of the burst started a new job"
    assert "filter:" not in text, "/ of the burst opened the job filter"
    assert re.search(r"/loss \d+/\d+", text)
    # esc clears the search; the log keeps focus and its keys.
    term.send(ESC)
    term.wait_gone(re.compile(r"/loss \d+/\d+"))


def test_the_keys_typed_after_slash_are_the_query_not_keys(term: PtyProcess) -> None:
    # f (level filter), n (new job), q (quit), space (pause polling), G (tail): all letters here.
    term.send("2/f nqG" + ENTER)
    term.wait_for(re.compile(r"/f nqG no match"))
    term.wait_quiet(0.3)
    text = term.text()
    assert FORM not in text and "warnings and errors" not in text
    assert "polling paused" not in text
    term.send(ESC)
    term.wait_gone("/f nqG")
    # Out of the search, f is the level filter again, and n with no search only says so.
    term.send("fn")
    term.wait_for("warnings and errors")
    term.wait_for("no search: / first")
    assert FORM not in term.text()
