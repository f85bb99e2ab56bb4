"""The simulator's building blocks: clock, ids, curves, event log, result CSV, multipart."""

from __future__ import annotations

import base64
import csv
import io
import time

import httpx
import pytest
from support.simkit import SIM_START

from ftmon.sim.clock import SimClock
from ftmon.sim.curves import LossCurve
from ftmon.sim.eventlog import EventLog, Note
from ftmon.sim.ids import decode_index, encode_index, token
from ftmon.sim.lifecycle import RunPlan
from ftmon.sim.methods import method_for
from ftmon.sim.multipart import parse_form
from ftmon.sim.results import ResultsCsv


def test_frozen_clock_moves_only_when_advanced() -> None:
    clock = SimClock(start=SIM_START, speed=0)
    assert clock.frozen and clock.now() == SIM_START
    time.sleep(0.01)
    assert clock.now() == SIM_START
    assert clock.advance(90.5) == 1_780_000_090.5
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        SimClock(speed=-2)


def test_running_clock_scales_real_time() -> None:
    clock = SimClock(start=1000, speed=100)
    time.sleep(0.05)
    assert 1004 <= clock.now() < 1100
    before = clock.now()
    clock.set_speed(0)  # no jump when the speed changes
    assert before <= clock.now() < before + 1
    assert clock.frozen
    assert abs(SimClock().now() - time.time()) < 5  # default: starts at the real time


def test_tokens_are_stable_and_shaped() -> None:
    assert token(7, "job", 1) == token(7, "job", 1) != token(7, "job", 2)
    assert len(token("x")) == 24 and token("x").isalnum()
    assert len(token("x", length=8)) == 8


@pytest.mark.parametrize("key", [0, 1, 2**63 + 12345, 2**64 - 1])
def test_event_index_encoding_round_trips(key: int) -> None:
    for index in [0, 1, 2, 99_999, 12_345_678]:
        text = encode_index(key, index)
        assert len(text) == 11 and decode_index(key, text) == index
    assert decode_index(key, "short") is None
    assert decode_index(key, "!!!!!!!!!!!") is None
    assert decode_index(key, "zzzzzzzzzzz") is None  # above 2**64


def test_event_log_runs_merge_and_index() -> None:
    log = EventLog()
    log.add(Note(0.0, "info", "start"))
    log.add_metrics(5, 20, 5, t0=10.0, s0=0, sps=2.0)  # steps 5, 10, 15, 20
    log.add_metrics(25, 30, 5, t0=10.0, s0=0, sps=2.0)  # continues the same run
    log.add_metrics(30, 30, 1, t0=10.0, s0=0, sps=2.0, full=True)
    log.add(Note(70.0, "info", "end"))
    assert len(log) == 9 and log.chunk_count == 4
    assert log.get(0).note == Note(0.0, "info", "start")
    assert [log.get(i).step for i in range(1, 8)] == [5, 10, 15, 20, 25, 30, 30]
    assert log.get(1).t == 20.0 and not log.get(1).full and log.get(7).full
    assert log.get(8).note is not None and log.get(8).note.message == "end"
    with pytest.raises(IndexError):
        log.get(9)
    log.add_metrics(3, 2, 1, t0=0.0, s0=0, sps=1.0)  # empty range: nothing added
    assert len(log) == 9


def test_curves_are_deterministic_and_bounded() -> None:
    curve = LossCurve(seed=11, total_steps=500)
    assert curve.train(10) == LossCurve(seed=11, total_steps=500).train(10)
    assert curve.train(10) != LossCurve(seed=12, total_steps=500).train(10)
    for step in range(1, 501):
        for loss, acc in (curve.train(step), curve.valid(step), curve.full_valid(step)):
            assert 0 < loss < 10 and 0 <= acc <= 1
    dpo = LossCurve(seed=11, total_steps=500, method="dpo")
    assert 0.4 < dpo.train(1)[0] < 1.0  # DPO loss starts near log(2)


@pytest.mark.parametrize(
    ("steps", "valid_every", "b64"),
    [
        (1, None, False),
        (9, 2, False),
        (10, 3, True),
        (120, 1, False),
        (1234, 7, True),
        (100, None, True),
    ],
)
@pytest.mark.parametrize("method", ["supervised", "reinforcement"])
def test_result_csv_size_formula(
    steps: int, valid_every: int | None, b64: bool, method: str
) -> None:
    # Grader names reach the header: one that needs quoting, one that is not ASCII.
    graders = {"type": "multi", "graders": {'a, "b"': {"type": "string_check"}, "é": {}}}
    shape = method_for(method, 5, steps, {}, graders, with_valid=True).csv_shape()
    csv_file = ResultsCsv(shape, steps, valid_every, base64_encoded=b64)
    content = csv_file.render()
    assert len(content) == csv_file.size()
    raw = base64.b64decode(content) if b64 else content
    rows = list(csv.reader(io.StringIO(raw.decode())))
    assert len(rows) == steps + 1 and {len(row) for row in rows} == {len(rows[0])}
    valid = rows[0].index("valid_loss" if method == "supervised" else "full_valid_mean_reward")
    with_valid = [row for row in rows[1:] if row[valid]]
    assert len(with_valid) == (0 if valid_every is None else -(-steps // valid_every))


def test_run_plan_checks_its_shape() -> None:
    assert RunPlan(created_at=0, total_steps=10, n_epochs=3).epoch_ends() == [3, 7, 10]
    for bad in [
        {"total_steps": 2, "n_epochs": 3},
        {"total_steps": 0, "n_epochs": 1},
        {"total_steps": 3, "n_epochs": 1, "seconds_per_step": 0},
    ]:
        with pytest.raises(ValueError):
            RunPlan(created_at=0, **bad)  # type: ignore[arg-type]


def test_multipart_keeps_bytes_exactly() -> None:
    content = bytes(range(256)) + b"\r\n--boundary-like\r\n" + "é✓".encode()
    request = httpx.Request(
        "POST",
        "http://x/v1/files",
        files={"file": ("données.jsonl", content)},
        data={"purpose": "fine-tune"},
    )
    parts = parse_form(request.headers["content-type"], request.read())
    assert parts["file"].content == content and parts["file"].filename == "données.jsonl"
    assert parts["purpose"].content == b"fine-tune" and parts["purpose"].filename is None
    with pytest.raises(ValueError):
        parse_form("application/json", b"{}")
