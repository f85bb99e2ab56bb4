"""Faults: the engine and the app keep working through every kind of trouble, lose nothing.

A seeded plan injects 429 (with Retry-After), 500/502/503, timeouts, dropped connections, 200s
that are not JSON, rate-limit and 503 windows, and whole-server outages of minutes, over hours of
simulated time. Judged against the simulator's own record: no crash, no event lost or shown
twice, every recovery within one backoff cap of the fault ending. The long runs (>= 1,000
faults; the same over real TCP) are marked slow: ``scripts/reliability.py`` runs them.
"""

from __future__ import annotations

import pytest
from soaks import SoakSetup, check, fault_soak

CAP = 120.0  # the engine's default backoff cap

#: Words of the status line that mean the API is in trouble (monitor/health.py).
TROUBLE = ("no answer", "server errors", "rate limited", "slow answers", "error")


async def test_a_faulty_afternoon_in_process_engine_and_app() -> None:
    setup = SoakSetup(hours=1.0, tui=True, timeouts=6, outages=1, spacing=110, size=(80, 24))
    report, samples = await fault_soak(setup)
    print(report.summary())
    assert check(report, CAP) == []
    assert report.faults >= 300
    kinds = set(report.outcomes)
    for kind in ("429", "500", "502", "503", "ConnectError", "RemoteProtocolError", "not-json"):
        assert kind in kinds, f"the plan never produced {kind}"
    assert "ReadTimeout" in kinds or "TimeoutException" in kinds
    assert samples is not None
    assert samples.running and samples.worker_errors == []
    # While the server was away the status line said so; once back, it is gone.
    assert any("no answer from the API" in text for text in samples.during_outage)
    # Once back, no word of trouble is left (a notice, such as a job that finished, may show).
    assert not any(word in samples.after for word in TROUBLE), samples.after
    assert report.events_shown > 0


@pytest.mark.slow
async def test_a_faulty_day_in_process_over_a_thousand_faults() -> None:
    report, samples = await fault_soak(SoakSetup(hours=6, tui=True, jobs=4))
    print(report.summary())
    assert check(report, CAP) == []
    assert report.faults >= 1000
    assert samples is not None and samples.running and samples.worker_errors == []
    # Once back, no word of trouble is left (a notice, such as a job that finished, may show).
    assert not any(word in samples.after for word in TROUBLE), samples.after


@pytest.mark.slow
async def test_a_faulty_day_over_real_tcp() -> None:
    setup = SoakSetup(hours=6, tui=True, jobs=4, tcp=True, timeout=1.0, timeouts=8)
    report, samples = await fault_soak(setup)
    print(report.summary())
    assert check(report, CAP) == []
    assert report.faults >= 1000
    assert samples is not None and samples.running and samples.worker_errors == []
