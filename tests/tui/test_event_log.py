"""EventLog on its own: bounded, no duplicates when a batch arrives late, plain cleaned lines."""

from __future__ import annotations

from support.simkit import SIM_START
from textual.app import App, ComposeResult

from ftmon.api.models import FineTuningJobEvent
from ftmon.tui.widgets.event_log import EventLog, event_line


def events(count: int, start: int = 0) -> list[FineTuningJobEvent]:
    return [
        FineTuningJobEvent(
            id=f"ev-{i}", created_at=SIM_START + i, level="info", message=f"Step {i}/9999"
        )
        for i in range(start, start + count)
    ]


class Host(App[None]):
    def __init__(self, max_lines: int = 100) -> None:
        super().__init__()
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield EventLog(max_lines=self.max_lines)


async def test_a_batch_already_in_the_snapshot_is_not_shown_twice() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(EventLog)
        stored = events(30)
        # The engine stored 30 events and published them in two batches; the log took its
        # snapshot of all 30 before either batch message was handled.
        log.show_job("job", stored)
        assert log.append("job", stored[:20]) == 0
        assert log.append("job", stored[20:]) == 0
        assert log.append("job", [*stored[28:], *events(5, 30)]) == 5
        await pilot.pause()
        assert [line.message for line in log.lines] == [f"Step {i}/9999" for i in range(35)]


async def test_memory_is_bounded_and_the_tail_followed() -> None:
    app = Host(max_lines=50)
    async with app.run_test(size=(80, 12)) as pilot:
        log = app.query_one(EventLog)
        log.show_job("job", events(40))
        for batch in range(10):
            log.append("job", events(10, 40 + batch * 10))
            await pilot.pause()
        assert log.line_count == 50
        assert log.lines[0].message == "Step 90/9999"
        assert log.lines[-1].message == "Step 139/9999"
        assert log.follow and log.scroll_y == log.max_scroll_y
        # Another job's events never mix in.
        assert log.append("other-job", events(3, 500)) == 0


def test_lines_are_cleaned_plain_strings() -> None:
    line = event_line(
        FineTuningJobEvent(
            created_at=None, level="\x1b[31mERROR", message="a\x1b]0;t\x07b\nc\u202ed [b]e[/b]"
        )
    )
    assert line.stamp == "--------------"
    assert line.level == "[31merr…"  # cut to its column
    assert line.message == "a]0;tb cd [b]e[/b]"
