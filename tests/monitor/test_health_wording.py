"""The status line's words for each state of the link (issue 15 point 3): no answer, server
errors, a rate limit and slow answers told apart; a countdown that counts and says when a try is
under way instead of "0s"; every line within 80 columns."""

from __future__ import annotations

import pytest
from monkit import job_with_status, make_monitor

from ftmon.monitor.health import SLOW_ANSWER, Health

NOW = 1_800_000_000.0


def failing(kind: str | None, code: int | None, error: str = "", **more: object) -> Health:
    fields: dict[object, object] = {
        "state": "failing",
        "kind": kind,
        "status_code": code,
        "error": error or f"{code} error",
        "last_ok": NOW - 35,
        "retry_at": NOW + 8,
        "failures": 3,
    }
    fields.update(more)
    return Health(**fields)  # type: ignore[arg-type]


def test_ok_says_nothing_and_a_slow_answer_says_how_long() -> None:
    health = Health(state="ok", last_ok=NOW - 3)
    assert health.describe(NOW) == ""
    assert health.describe(NOW, waiting=SLOW_ANSWER - 1) == ""
    assert health.describe(NOW, waiting=12) == "slow answers: waiting 12s for the API"


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        (failing("connection", None, "Connection refused"), "no answer from the API for 35s"),
        (failing("timeout", None, "Request timed out"), "no answer from the API for 35s"),
        (failing("server_error", 503, "503 The server failed"), "server errors (503) for 35s"),
        (failing("server_error", 502), "server errors (502) for 35s"),
        (failing("rate_limited", 429, "429 Rate limit reached"), "rate limited (429) for 35s"),
    ],
)
def test_each_kind_of_trouble_has_its_own_words(health: Health, expected: str) -> None:
    assert health.describe(NOW) == f"{expected} · next try in 8s"


def test_the_countdown_counts_down_then_says_a_try_is_under_way() -> None:
    health = failing("server_error", 503)
    said = [health.describe(NOW + t) for t in (0, 3, 7)]
    assert [s.rsplit(" ", 1)[-1] for s in said] == ["8s", "5s", "1s"]
    # Past the time: a request is on its way (the old line sat at "retrying in 0s").
    assert health.describe(NOW + 9).endswith("· trying again…")
    assert " 0s" not in health.describe(NOW + 9)
    # And when that try itself is slow, how long it has waited.
    assert health.describe(NOW + 20, waiting=11).endswith("· trying again (11s)…")


def test_a_short_outage_gives_no_duration_and_a_first_failure_none_either() -> None:
    assert (
        failing("server_error", 500, last_ok=NOW - 4)
        .describe(NOW)
        .startswith("server errors (500) · next")
    )
    assert (
        failing("connection", None, last_ok=None)
        .describe(NOW)
        .startswith("no answer from the API · next")
    )


def test_other_errors_are_named_and_cut_to_fit_80_columns() -> None:
    long = "404 " + "No such fine-tuning job: ftjob-" + "x" * 200
    text = failing("not_found", 404, long).describe(NOW)
    assert text.startswith("error: 404 No such fine-tuning job")
    assert text.endswith("· next try in 8s")


@pytest.mark.parametrize("waiting", [0.0, 30.0])
@pytest.mark.parametrize(
    "health",
    [
        failing("connection", None, last_ok=NOW - 50 * 3600),
        failing("server_error", 504, last_ok=NOW - 50 * 3600, retry_at=NOW + 3 * 3600),
        failing("rate_limited", 429, last_ok=NOW - 50 * 3600, retry_at=NOW + 119),
        failing("not_found", 404, "404 " + "y" * 300),
        failing("internal", None, "Unexpected KeyError while fetching"),
        Health(state="auth", error="401 Incorrect API key provided: sk-****"),
        Health(state="paused"),
        Health(state="ok"),
    ],
)
def test_every_line_fits_80_columns_with_its_padding(health: Health, waiting: float) -> None:
    assert len(health.describe(NOW, "space", waiting=waiting)) <= 78


# -- the engine: the first good answer ends the outage ---------------------------------------------


async def test_the_first_good_answer_after_an_outage_clears_it(client, sim_world) -> None:  # type: ignore[no-untyped-def]
    """30 s of 503s while a job is selected and others run: every endpoint backs off on its own
    schedule. The first one to get an answer again ends the outage for all (the others are
    tried at once), so the status line clears within one cycle, not 20 s later."""
    monitor = make_monitor(client, sim_world, interval=5.0)
    monitor.select(job_with_status(sim_world, "running"))
    await monitor.poll_once()
    await monitor.poll_once()
    sim_world.faults.add("503", duration=3600)
    for _ in range(12):
        sim_world.clock.advance(5)
        await monitor.poll_once()
    assert monitor.health.state == "failing"
    assert monitor.health.describe(sim_world.clock.now()).startswith("server errors (503)")
    sim_world.faults.clear()
    cycles_after_first_answer = None
    for _ in range(40):
        sim_world.clock.advance(1)
        answered = monitor.health.last_ok
        await monitor.poll_once()
        if cycles_after_first_answer is None and monitor.health.last_ok != answered:
            cycles_after_first_answer = 0
        elif cycles_after_first_answer is not None:
            cycles_after_first_answer += 1
        if monitor.health.state == "ok":
            break
    assert monitor.health.state == "ok", monitor.health
    # The cycle of the first answer, or the one right after it (the list comes first).
    assert cycles_after_first_answer is not None and cycles_after_first_answer <= 1


async def test_a_rate_limit_keeps_its_wait_when_another_request_succeeds(  # type: ignore[no-untyped-def]
    client, sim_world
) -> None:
    monitor = make_monitor(client, sim_world, interval=5.0)
    await monitor.poll_once()
    sim_world.faults.add("429", count=1, retry_after=60, route="/fine_tuning/jobs", method="GET")
    sim_world.clock.advance(5)
    await monitor.poll_once()
    now = sim_world.clock.now()
    assert monitor.health.describe(now) == "rate limited (429) · next try in 1m 00s"
    sim_world.clock.advance(20)
    assert monitor.health.describe(sim_world.clock.now()).endswith("next try in 40s")
