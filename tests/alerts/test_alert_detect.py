"""Which events the engine's changes mean: news, not history; each once, across restarts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alertkit import FAST, Sink, Source, alert, checkpoint, job, metrics_events, settled

from ftmon.alerts import Alerter
from ftmon.alerts.detect import Detector
from ftmon.alerts.state import AlertState
from ftmon.monitor.changes import CheckpointsChanged, JobFinished, JobsChanged, MetricsChanged
from ftmon.monitor.doctor import Thresholds

ALL = ["succeeded", "failed", "cancelled", "stalled", "checkpoint", "best_checkpoint"]
T0 = 1_700_000_100.0


def detector(path: Path | None = None, wanted=ALL) -> Detector:
    return Detector(AlertState(path), wanted, thresholds=Thresholds(stall_min_seconds=60))


def names(events) -> list[tuple[str, str, str]]:
    return [(e.event, e.job_id, e.key) for e in events]


def test_a_job_already_over_when_first_seen_is_history() -> None:
    source = Source()
    old = job("ftjob-old", status="succeeded")
    source.jobs[old.id] = old
    found = detector().scan([JobsChanged((old,), added=True)], source)
    assert found == []


def test_a_job_seen_running_then_ended_is_news() -> None:
    source, watch = Source(), detector()
    for status in ("succeeded", "failed", "cancelled"):
        running = job(f"ftjob-{status}", status="running")
        assert watch.scan([JobsChanged((running,))], source) == []
        ended = job(running.id, status=status)
        assert names(watch.scan([JobsChanged((ended,))], source)) == [(status, running.id, "")]
    # Azure and older servers spell it "canceled"
    running = job("ftjob-us", status="running")
    watch.scan([JobsChanged((running,))], source)
    found = watch.scan([JobsChanged((job(running.id, status="canceled"),))], source)
    assert names(found) == [("cancelled", "ftjob-us", "")]


def test_job_finished_from_the_engine_is_news_even_unseen() -> None:
    done = job("ftjob-announced", status="failed")
    found = detector().scan([JobFinished(done)], Source())
    assert names(found) == [("failed", done.id, "")]


def test_only_the_events_wanted_are_found() -> None:
    source, watch = Source(), detector(wanted=["failed"])
    running = job(status="running")
    watch.scan([JobsChanged((running,))], source)
    assert watch.scan([JobsChanged((job(status="succeeded"),))], source) == []


def test_checkpoints_made_before_the_job_was_seen_are_history() -> None:
    source, watch = Source(now=T0), detector()
    running = job(status="running")
    source.jobs[running.id] = running
    old = checkpoint(running.id, 100, int(T0) - 3600, 0.9)
    source.checkpoint_lists[running.id] = (old,)
    watch.scan([JobsChanged((running,)), CheckpointsChanged(running.id, (old,))], source)
    source.now = T0 + 600
    new = checkpoint(running.id, 200, int(T0) + 500, 0.5)
    source.checkpoint_lists[running.id] = (old, new)
    found = watch.scan([CheckpointsChanged(running.id, (old, new))], source)
    assert names(found) == [
        ("checkpoint", running.id, new.id),
        ("best_checkpoint", running.id, new.id),
    ]
    assert "lowest full validation loss" in (found[1].detail or "")
    # A worse one is a checkpoint, not a better best.
    worse = checkpoint(running.id, 300, int(T0) + 590, 0.7)
    source.checkpoint_lists[running.id] = (old, new, worse)
    found = watch.scan([CheckpointsChanged(running.id, (old, new, worse))], source)
    assert ("best_checkpoint", running.id, worse.id) not in names(found)
    assert ("checkpoint", running.id, worse.id) in names(found)


def test_the_first_best_of_a_job_is_not_an_improvement() -> None:
    source, watch = Source(now=T0), detector()
    running = job(status="running")
    source.jobs[running.id] = running
    watch.scan([JobsChanged((running,))], source)
    first = checkpoint(running.id, 100, int(T0) + 10, 0.8)
    source.checkpoint_lists[running.id] = (first,)
    found = watch.scan([CheckpointsChanged(running.id, (first,))], source)
    assert names(found) == [("checkpoint", running.id, first.id)]
    # The best moving on a metrics change is found too.
    better = checkpoint(running.id, 200, int(T0) + 20, 0.4)
    source.checkpoint_lists[running.id] = (first, better)
    found = watch.scan([MetricsChanged(running.id)], source)
    assert ("best_checkpoint", running.id, better.id) in names(found)


def test_a_stall_is_found_with_time_passing_once_per_stop() -> None:
    source, watch = Source(now=T0), detector()
    running = job(status="running")
    source.jobs[running.id] = running
    source.event_lists[running.id] = metrics_events(T0 - 100, 10, 10.0)  # last step at T0
    assert watch.scan([JobsChanged((running,))], source) == []
    source.now = T0 + 30
    assert watch.scan([], source) == []  # 3 usual steps: not yet
    source.now = T0 + 120
    (stall,) = watch.scan([], source)  # no change at all: time passed
    assert (stall.event, stall.key) == ("stalled", "step 10")
    assert "no new step for 2m 00s (usual 10s)" in (stall.detail or "")
    # Moving on, then stopping again, is another stall.
    source.event_lists[running.id] = metrics_events(T0 - 100, 25, 10.0)
    source.now = T0 + 150 + 120
    (again,) = watch.scan([], source)
    assert again.key == "step 25"


def test_a_job_whose_events_were_not_read_lately_is_not_called_stalled() -> None:
    """A job in the background is read less often than the clock moves: its stall is measured
    to when its events were last read, not to now."""
    source, watch = Source(now=T0), detector()
    running = job(status="running")
    source.jobs[running.id] = running
    source.event_lists[running.id] = metrics_events(T0 - 100, 10, 10.0)  # last step at T0
    source.read_at_of[running.id] = T0 + 5
    watch.scan([JobsChanged((running,))], source)
    source.now = T0 + 600
    assert watch.scan([], source) == []  # ten minutes on, but nothing read since T0 + 5
    source.now = T0 + 900  # read now (the next check): still step 10
    source.read_at_of[running.id] = T0 + 900
    (stall,) = watch.scan([], source)
    assert stall.event == "stalled"


def test_a_job_that_ended_while_ftmon_was_down_is_told_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    source = Source()
    first = detector(path)
    first.scan([JobsChanged((job(status="running"),))], source)
    first.state.save()
    second = detector(path)
    found = second.scan([JobsChanged((job(status="succeeded"),), added=True)], source)
    assert names(found) == [("succeeded", "ftjob-alert1", "")]


async def test_each_event_is_sent_once_across_a_restart(tmp_path: Path, sink: Sink) -> None:
    path = tmp_path / "state" / "alerts.json"
    source = Source()
    alerts = [alert("webhook", sink.url(), on=ALL)]
    running, ended = job(status="running"), job(status="succeeded")
    first = Alerter(alerts, state_path=path, policy=FAST)
    first.observe([JobsChanged((running,))], source)
    first.observe([JobsChanged((ended,))], source)
    first.observe([JobFinished(ended)], source)  # the same end, said twice
    first.notify(ended, "succeeded")  # and a third time
    await first.aclose()
    assert len(sink.requests) == 1 and first.sent == 1
    # A restart: the same state file, the same job seen again, and the engine saying it again.
    second = Alerter(alerts, state_path=path, policy=FAST)
    second.observe([JobsChanged((ended,), added=True)], source)
    second.observe([JobFinished(ended)], source)
    second.notify(ended, "succeeded")
    await second.aclose()
    assert len(sink.requests) == 1 and second.sent == 0
    # Another alert (another URL) has not sent it yet.
    third = Alerter([*alerts, alert("slack", sink.url("/other"))], state_path=path, policy=FAST)
    third.notify(ended, "succeeded")
    await third.aclose()
    assert [r.path for r in sink.requests][1:] == ["/other"]


async def test_a_given_up_sending_is_not_retried_after_a_restart(tmp_path: Path) -> None:
    from alertkit import closed_port

    path = tmp_path / "alerts.json"
    alerts = [alert("webhook", f"http://127.0.0.1:{closed_port()}/x")]
    first = Alerter(alerts, state_path=path, policy=FAST)
    first.notify(job(status="failed"), "failed")
    await settled(first, 1)
    await first.aclose()
    second = Alerter(alerts, state_path=path, policy=FAST)
    second.notify(job(status="failed"), "failed")
    assert second.status().waiting == 0
    await second.aclose()


async def test_what_is_left_unsent_at_exit_is_tried_after_a_restart(tmp_path: Path) -> None:
    from alertkit import closed_port

    path = tmp_path / "alerts.json"
    alerts = [alert("webhook", f"http://127.0.0.1:{closed_port()}/x")]
    first = Alerter(alerts, state_path=path, policy=FAST)
    first.notify(job(status="failed"), "failed")
    assert await first.aclose() == 1
    second = Alerter(alerts, state_path=path, policy=FAST)
    second.notify(job(status="failed"), "failed")
    assert second.status().waiting == 1
    await second.aclose()


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"version": 99}',
        b'{"version": 1, "sent": []}',
        b"\xff\xfe",
        b"x" * 2_000_000,
    ],
)
async def test_a_corrupt_state_file_starts_afresh_and_says_so_once(
    tmp_path: Path, sink: Sink, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "alerts.json"
    path.write_bytes(content)
    sender = Alerter([alert("webhook", sink.url())], state_path=path, policy=FAST)
    (notice,) = sender.status().notices
    assert "starting afresh" in notice and str(path) in notice
    sender.notify(job(status="failed"), "failed")
    await sender.aclose()
    assert len(sink.requests) == 1
    assert json.loads(path.read_text())["version"] == 1  # replaced by a good one
    said = [r for r in caplog.records if "starting afresh" in r.getMessage()]
    assert len(said) == 1
    again = Alerter([alert("webhook", sink.url())], state_path=path, policy=FAST)
    assert again.status().notices == ()
    await again.aclose()


async def test_no_alerts_means_nothing_happens(tmp_path: Path) -> None:
    sender = Alerter([], state_path=tmp_path / "alerts.json")
    assert not sender.enabled
    sender.observe([JobsChanged((job(),))], Source())
    sender.notify(job(status="failed"), "failed")
    assert sender.status().line() == ""
    await sender.aclose()
    assert not (tmp_path / "alerts.json").exists()


def test_an_unknown_event_name_is_a_programming_error(tmp_path: Path) -> None:
    sender = Alerter([alert("webhook", "https://x.invalid/")], state_path=tmp_path / "a.json")
    with pytest.raises(ValueError, match="not an alert event"):
        sender.notify(job(), "finished")


def test_jobs_long_over_are_let_go(tmp_path: Path) -> None:
    source, watch = Source(now=T0), detector(tmp_path / "alerts.json")
    watch.scan([JobsChanged((job("ftjob-a"), job("ftjob-b")))], source)
    source.now = T0 + 60
    watch.scan([JobsChanged((job("ftjob-a", status="succeeded"),))], source)
    assert set(watch.state.watching) == {"ftjob-a", "ftjob-b"}
    source.now = T0 + 8 * 86400
    watch.scan([], source)
    assert set(watch.state.watching) == {"ftjob-b"}  # ended over a week ago
    source.now = T0 + 61 * 86400
    watch.scan([], source)
    assert watch.state.watching == {}


async def test_two_ftmons_on_one_machine_share_the_record(tmp_path: Path, sink: Sink) -> None:
    """A TUI and a ``watch`` (or ``ftmon serve``'s sessions) started together: what one sent,
    the other does not send again, and neither writes over the other's records."""
    path = tmp_path / "alerts.json"
    alerts = [alert("webhook", sink.url(), on=ALL)]
    tui = Alerter(alerts, state_path=path, policy=FAST)
    watch = Alerter(alerts, state_path=path, policy=FAST)
    tui.notify(job("ftjob-a", status="succeeded"), "succeeded")
    await settled(tui, 1)
    watch.notify(job("ftjob-a", status="succeeded"), "succeeded")  # found in the file: skipped
    watch.notify(job("ftjob-b", status="failed"), "failed")
    await settled(watch, 1)
    tui.notify(job("ftjob-c", status="failed"), "failed")
    await settled(tui, 2)
    await tui.aclose()
    await watch.aclose()
    assert sorted(json.loads(r.body)["job"]["id"] for r in sink.requests) == [
        "ftjob-a",
        "ftjob-b",
        "ftjob-c",
    ]
    assert watch.sent == 1 and tui.sent == 2
    later = Alerter(alerts, state_path=path, policy=FAST)
    for job_id, event in (("ftjob-a", "succeeded"), ("ftjob-b", "failed"), ("ftjob-c", "failed")):
        later.notify(job(job_id, status=event), event)
    assert later.status().waiting == 0
    await later.aclose()


class Publishing(Source):
    def __init__(self, now: float = T0) -> None:
        super().__init__(now)
        self.listeners: list = []

    def subscribe(self, listener):
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)


async def test_attach_listens_and_checks_stalls_on_a_timer_until_closed(
    tmp_path: Path, sink: Sink
) -> None:
    source = Publishing()
    running = job(status="running")
    source.jobs[running.id] = running
    source.event_lists[running.id] = metrics_events(T0 - 100, 10, 10.0)
    sender = Alerter(
        [alert("webhook", sink.url(), on=["stalled", "succeeded"])],
        state_path=tmp_path / "alerts.json",
        policy=FAST,
        thresholds=Thresholds(stall_min_seconds=60),
    )
    sender.attach(source, check_every=0.05)
    (listener,) = source.listeners
    listener([JobsChanged((running,))])  # the engine publishing
    source.now = T0 + 600  # ten minutes with no new step, and no change published
    (got,) = await sink.wait_for(1)
    assert json.loads(got.body)["event"] == "stalled"
    await sender.aclose()
    assert source.listeners == []  # let go
    listener([JobsChanged((job(status="succeeded"),))])  # after close: nothing
    assert len(sink.requests) == 1
