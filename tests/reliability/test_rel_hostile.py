"""Hostile input: every payload of the corpus through the client, the engine and the renderers.

For each payload the real client and engine poll a small API serving it (beside an ordinary
job), and the test asserts what a user relies on: the engine does not crash; every string the
TUI or a headless command would show is safe for a terminal; and the payload is either shown
or marked unreadable (the status line says what could not be read), while the ordinary job
beside it is still shown. Then the headless commands print every payload. The app itself is
checked in ``test_rel_screen.py``, the bytes reaching a real pty in ``test_rel_pty.py``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

import pytest
from corpus import Payload, build_corpus
from hostile_api import GOOD_ID, NOW, HostileApi
from hostile_checks import render_job, unsafe_chars
from relkit import settings_for

from ftmon.api.client import FineTuningClient
from ftmon.api.retry import RetryPolicy
from ftmon.monitor.engine import Monitor
from ftmon.text import one_line

CORPUS = build_corpus()

#: Payloads that break ftmon today, each with the bug it shows (strict xfail: a fix makes the
#: test pass, and the suite then asks for the mark to go). Empty: F1-F4, found by this corpus
#: (an over-long id, a lone surrogate in an id, JSON nested 100,000 deep, one unreadable job
#: hiding its whole page), are fixed; those payloads are regression tests now.
KNOWN: dict[str, str] = {}


def test_the_corpus_is_big_varied_and_stable() -> None:
    names = [p.name for p in CORPUS]
    assert len(CORPUS) >= 200
    assert len(set(names)) == len(names), "payload names must be unique"
    kinds = Counter(p.kind for p in CORPUS)
    assert set(kinds) == {"job", "event", "checkpoint", "error", "page"}
    assert all(count >= 10 for count in kinds.values()), kinds
    # Seeded: the same corpus every time.
    assert [p.name for p in build_corpus()] == names
    assert build_corpus()[3].body == CORPUS[3].body


@dataclass
class Outcome:
    """What happened to one payload."""

    name: str
    crashed: str | None = None
    shown: bool = False
    unreadable: str | None = None
    neighbour_shown: bool = True
    unsafe: list[str] | None = None
    status_line: str = ""

    @property
    def verdict(self) -> str:
        if self.crashed:
            return "crash"
        if self.unsafe:
            return "unsafe"
        if not self.neighbour_shown:
            return "hid-others"
        if self.shown:
            return "shown"
        if self.unreadable:
            return "marked-unreadable"
        return "vanished"


async def run_payload(payload: Payload) -> Outcome:
    """Poll an API serving ``payload`` twice with the real engine; render what it holds."""
    api = HostileApi([payload])
    client = FineTuningClient(
        settings_for("http://hostile.test/v1", max_retries=0),
        transport=api.transport(),
        retry=RetryPolicy(max_attempts=1),
    )
    monitor = Monitor(client, interval=5, clock=lambda: float(NOW), page_size=500)
    target = api.carrier_of.get(payload.name)
    if target is None and payload.kind == "job" and isinstance(payload.body.get("id"), int):
        target = str(payload.body["id"])  # a numeric id is read as its string
    outcome = Outcome(payload.name)
    try:
        if target is not None:
            monitor.select(target)
        await monitor.poll_once()
        monitor.refresh_now()
        await monitor.poll_once()
    except BaseException as exc:  # a crash is the finding; report it, do not hide it
        outcome.crashed = f"{type(exc).__name__}: {str(exc)[:120]}"
        await client.aclose()
        return outcome
    shown = {job.id: job for job in monitor.jobs()}
    outcome.neighbour_shown = GOOD_ID in shown or payload.kind == "page"
    health = monitor.health
    # As the status line shows it (it cleans the text onto one line).
    outcome.status_line = one_line(health.describe(float(NOW))) if health.state != "ok" else ""
    if health.state != "ok":
        outcome.unreadable = health.error or health.kind or "error"
    if payload.kind == "job":
        outcome.shown = target is not None and target in shown
    elif payload.kind == "page":
        outcome.shown = health.state == "ok"  # an empty list is a fair reading of some pages
    elif payload.kind in ("event", "checkpoint", "error"):
        outcome.shown = target in shown and (
            bool(monitor.events(target)) if payload.kind == "event" else True
        )
        if payload.kind == "error":
            outcome.shown = False  # an error is never "shown" as data: it must be marked
    unsafe: list[str] = []
    for job in shown.values():
        rendered = render_job(
            job, monitor.events(job.id), monitor.checkpoints(job.id), monitor, float(NOW)
        )
        unsafe += rendered.problems()
    unsafe += [f"status line: {c}" for c in unsafe_chars(outcome.status_line)]
    outcome.unsafe = unsafe
    await client.aclose()
    return outcome


def _param(payload: Payload) -> object:
    marks = []
    if payload.name in KNOWN:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[payload.name]))
    return pytest.param(payload, id=payload.name[:80], marks=marks)


@pytest.mark.parametrize("payload", [_param(p) for p in CORPUS])
async def test_payload_is_shown_safely_or_marked_unreadable(payload: Payload) -> None:
    outcome = await asyncio.wait_for(run_payload(payload), timeout=60)
    assert outcome.crashed is None, outcome.crashed
    assert not outcome.unsafe, outcome.unsafe
    assert outcome.neighbour_shown, "one unreadable job hid the ordinary job beside it"
    assert outcome.shown or outcome.unreadable, "the payload vanished without a word"
    if not outcome.shown:
        assert outcome.status_line, "unreadable, but the status line says nothing"


# -- the headless commands on the same payloads ------------------------------------------------


def headless_runs() -> list[tuple[str, list[str]]]:
    """(payload, argv) for every readable payload: its job shown, its events, checkpoints."""
    runs: list[tuple[str, list[str]]] = []
    api = HostileApi([p for p in CORPUS if p.name not in KNOWN and p.kind != "page"])
    for payload in CORPUS:
        target = api.carrier_of.get(payload.name)
        if payload.name in KNOWN or target is None:
            continue
        if payload.kind == "job":
            runs.append((payload.name, ["show", target]))
        elif payload.kind == "event":
            runs.append((payload.name, ["events", target]))
        elif payload.kind == "checkpoint":
            runs.append((payload.name, ["checkpoints", target]))
        elif payload.kind == "error":
            runs.append((payload.name, ["events", target]))
    return runs


def test_headless_commands_print_every_payload_safely(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from relkit import API_KEY

    from ftmon import exits
    from ftmon.cli import build_parser, settings_from_args
    from ftmon.headless import runner

    api = HostileApi([p for p in CORPUS if p.name not in KNOWN and p.kind != "page"])
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)

    def connect(args: object, settings: object) -> runner.Connection:
        client = FineTuningClient(
            settings_for("http://hostile.test/v1", max_retries=0),
            transport=api.transport(),
            retry=RetryPolicy(max_attempts=1),
        )
        return runner.Connection(client, now=lambda: float(NOW))

    monkeypatch.setattr(runner, "connect", connect)
    problems: dict[str, str] = {}
    runs = [("every job", ["jobs", "--limit", "1000"]), *headless_runs()]
    assert len(runs) >= 400
    parser = build_parser()  # what ftmon.cli.main does per run, built once: it is 15 ms
    for name, argv in runs:
        args = parser.parse_args(argv)
        code = args.handler(args, settings_from_args(args))
        out, err = capsys.readouterr()
        bad = unsafe_chars(out, multiline=True) + unsafe_chars(err, multiline=True)
        if code == exits.BUG or bad:
            problems[f"{name}: {' '.join(argv)}"] = f"exit {code} {bad[:4]} {err[-200:]}"
    assert problems == {}
