"""Metric series: steps in any order, columns by step, read cheaply on every poll."""

from __future__ import annotations

import io
from typing import Any

from ftmon.api.models import FineTuningJobEvent
from ftmon.monitor.series import (
    MAX_LIST_ITEMS,
    MAX_NAME,
    MAX_PARTS,
    MAX_SERIES,
    METRIC_NAMES,
    MetricSeries,
)


def test_steps_arriving_out_of_order_read_back_in_order() -> None:
    series = MetricSeries()
    for step in (3, 1, 2, 5):
        series.add(step, {"train_loss": 1.0 / step})
    assert series.steps() == [1, 2, 3, 5]
    assert [s for s, _ in series.column("train_loss")] == [1, 2, 3, 5]
    assert series.latest() == (5, {"train_loss": 0.2})


def test_a_column_read_before_a_change_does_not_go_stale() -> None:
    series = MetricSeries()
    series.add(1, {"train_loss": 0.9})
    assert series.column("train_loss") == [(1, 0.9)]
    series.add(2, {"train_loss": 0.8, "valid_loss": 1.0})
    series.add(1, {"train_loss": 0.7})  # a corrected value for a known step
    assert series.column("train_loss") == [(1, 0.7), (2, 0.8)]
    assert series.column("valid_loss") == [(2, 1.0)]
    series.column("train_loss").append((9, 9.0))  # a caller's copy, not the series
    assert series.column("train_loss") == [(1, 0.7), (2, 0.8)]


def test_result_csv_merges_with_event_points_and_keeps_order() -> None:
    series = MetricSeries()
    series.add(4, {"full_valid_loss": 0.5})
    merged = series.merged_with_csv("step,train_loss,valid_loss\n1,0.9,1.0\n4,0.4,0.6\n2,0.8,\n")
    assert merged.steps() == [1, 2, 4]
    assert merged.latest() == (4, {"full_valid_loss": 0.5, "train_loss": 0.4, "valid_loss": 0.6})
    assert merged.complete and not series.complete
    assert merged.total_steps == 4


def test_arrays_are_copies_of_the_columns_and_the_series_keeps_growing() -> None:
    series = MetricSeries()
    for step in (4, 1, 2):
        series.add(step, {"train_loss": step / 10})
    series.add(2, {"valid_loss": 0.5})
    steps, values = series.arrays("valid_loss")
    assert steps.tolist() == [1, 2, 4]
    assert [v == v for v in values] == [False, True, False]  # NaN: no value at that step
    assert [(s, v) for s, v in zip(steps, values, strict=True) if v == v] == [(2, 0.5)]
    steps_now, train = series.arrays("train_loss")
    assert list(zip(steps_now, train, strict=True)) == series.column("train_loss")
    # The reader's copies may change and be kept; the series still grows (no exported buffer).
    steps.append(99)
    values[0] = 7.0
    series.add(3, {"valid_loss": 0.4})
    series.add(5, {"valid_loss": 0.3})
    assert series.column("valid_loss") == [(2, 0.5), (3, 0.4), (5, 0.3)]
    assert steps.tolist() == [1, 2, 4, 99]
    assert [len(a) for a in series.arrays("full_valid_loss")] == [0, 0]


# -- every number a metrics event or a result file holds -----------------------------------------


def rft_data(step: int, reward: float, *, valid: float | None = None) -> dict[str, Any]:
    """A reinforcement job's metrics ``data`` as OpenAI's guide shows it: headline numbers,
    nested ``scores`` (per grader), ``usage``, ``errors`` and ``timing``; no loss."""
    data: dict[str, Any] = {
        "step": step,
        "train_mean_reward": reward,
        "reasoning_tokens_mean": 1500.0 + step,
        "scores": {
            "graders": [
                {"name": "exact_match", "type": "string_check", "train_reward_mean": reward}
            ],
            "train_reward_mean": reward,
        },
        "usage": {"graders": [], "samples": {"train_samples": 64, "train_tokens": 90_112}},
        "errors": {"graders": [{"name": "exact_match", "train_sample_parse_error_count": 0}]},
        "timing": {"step": {"sampling": 30.5, "training": 12.25}},
    }
    if valid is not None:
        data["full_valid_mean_reward"] = valid
        data["full_valid_mean_parse_error"] = 0.0
    return data


def metrics_event(data: dict[str, Any], kind: str | None = "metrics") -> FineTuningJobEvent:
    return FineTuningJobEvent.model_validate(
        {"type": kind, "message": f"Step {data['step']}", "data": data}
    )


RFT_NAMES = [
    "train_mean_reward",
    "full_valid_mean_reward",
    "full_valid_mean_parse_error",
    "reasoning_tokens_mean",
    "scores.graders.exact_match.train_reward_mean",
    "scores.train_reward_mean",
    "errors.graders.exact_match.train_sample_parse_error_count",
    "timing.step.sampling",
    "timing.step.training",
    "usage.samples.train_samples",
    "usage.samples.train_tokens",
]


def test_a_reinforcement_event_becomes_a_series_per_number_in_dotted_names() -> None:
    series = MetricSeries()
    assert series.add_event(metrics_event(rft_data(1, 0.25)))
    assert series.add_event(metrics_event(rft_data(2, 0.5, valid=0.75)))
    # Known names first (reward), then scores.*, then the rest, each group by name; booleans
    # and lists are not numbers, step is the row.
    assert series.names() == RFT_NAMES
    assert series.column("train_mean_reward") == [(1, 0.25), (2, 0.5)]
    assert series.column("full_valid_mean_reward") == [(2, 0.75)]
    assert series.column("scores.graders.exact_match.train_reward_mean") == [(1, 0.25), (2, 0.5)]
    assert series.column("usage.samples.train_tokens") == [(1, 90_112.0), (2, 90_112.0)]
    assert series.latest() == (
        2,
        {
            "train_mean_reward": 0.5,
            "full_valid_mean_reward": 0.75,
            "full_valid_mean_parse_error": 0.0,
            "reasoning_tokens_mean": 1502.0,
            "scores.graders.exact_match.train_reward_mean": 0.5,
            "scores.train_reward_mean": 0.5,
            "errors.graders.exact_match.train_sample_parse_error_count": 0.0,
            "timing.step.sampling": 30.5,
            "timing.step.training": 12.25,
            "usage.samples.train_samples": 64.0,
            "usage.samples.train_tokens": 90_112.0,
        },
    )
    assert series.dropped == 0 and series.dropped_note() == ""


def test_the_order_depends_on_the_names_only() -> None:
    forward, backward = MetricSeries(), MetricSeries()
    data = rft_data(1, 0.5, valid=0.5) | {"train_loss": 1.0, "zeta": 1.0, "alpha": 2.0}
    forward.add_event(metrics_event(data))
    backward.add_event(metrics_event(dict(reversed(data.items()))))
    assert forward.names() == backward.names()
    assert forward.names()[:2] == ["train_loss", "train_mean_reward"]
    # the job's other top-level names come before the nested groups
    assert forward.names()[5:7] == ["alpha", "zeta"]


def test_supervised_and_azure_names_are_folded_as_before() -> None:
    series = MetricSeries()
    series.add_event(
        metrics_event(
            {
                "step": 1,
                "total_steps": 9,
                "train_loss": 1.5,
                "train_mean_token_accuracy": 0.5,
                "valid_loss": 1.75,
                "valid_mean_token_accuracy": 0.25,
                "full_valid_loss": 1.8,
                "full_valid_mean_token_accuracy": 0.2,
            }
        )
    )
    series.add(2, {"training_loss": 1.25, "validation_loss": 1.5, "training_accuracy": "0.6"})
    series.fill_from_csv("step,loss,val_loss,validation_mean_token_accuracy\n3,1.0,1.25,0.75\n")
    assert series.names() == list(METRIC_NAMES)
    assert series.total_steps == 9
    assert series.rows()[1:] == [
        {"step": 2, "train_loss": 1.25, "valid_loss": 1.5, "train_accuracy": 0.6},
        {"step": 3, "train_loss": 1.0, "valid_loss": 1.25, "valid_accuracy": 0.75},
    ]


def test_what_is_not_a_number_is_no_value() -> None:
    series = MetricSeries()
    series.add_event(
        metrics_event(
            {
                "step": 1,
                "train_loss": "0.5",  # a supervised name: numeric text, as ever
                "flag": True,
                "text": "0.5",  # any other name: JSON numbers only
                "nan": float("nan"),
                "inf": float("inf"),
                "huge_int": 10**400,  # past the float range
                "absurd": 1e300,  # finite: kept, as before (the plot leaves it out)
                "none": None,
                "list": [1, 2],
                "scores": {"g": {"mean": float("-inf"), "n": False}},
            }
        )
    )
    assert series.latest() == (1, {"train_loss": 0.5, "absurd": 1e300})


def test_an_event_that_is_not_metrics_gives_only_the_supervised_names() -> None:
    series = MetricSeries()
    series.add_event(metrics_event({"step": 4, "flagged": 3, "valid_loss": 0.5}, "message"))
    series.add_event(metrics_event({"step": 5, "moderation": {"score": 0.1}}, "message"))
    assert series.names() == ["valid_loss"]
    assert series.steps() == [4, 5]  # a step it names still has its row, as before
    # Without a type, a step and a training loss make a metrics event (as the model says).
    series.add_event(metrics_event({"step": 6, "train_loss": 0.5, "tokens": 9}, None))
    assert series.names() == ["train_loss", "valid_loss", "tokens"]


def test_each_graders_entry_is_read_under_its_name() -> None:
    """``scores.graders`` and the like are lists of named objects (OpenAI's RFT guide): each
    grader's numbers are series under its name; a nameless entry, a repeated name, a list of
    bare numbers and the items past the cap are not read."""
    entries: list[Any] = [
        {"name": "exact", "type": "string_check", "train_reward_mean": 0.5},
        {"name": "judge", "type": "score_model", "train_reward_mean": 0.25},
        {"name": "exact", "train_reward_mean": 9.0},  # the same name again: the first counts
        {"type": "python", "train_reward_mean": 1.0},  # no name
        {"name": "", "train_reward_mean": 1.0},
        {"name": "red\x1b[31m", "train_reward_mean": 1.0},
        "not an object",
        [1, 2],
    ]
    entries += [{"name": f"g{i}", "v": 1.0} for i in range(MAX_LIST_ITEMS)]
    series = MetricSeries()
    series.add_event(metrics_event({"step": 1, "scores": {"graders": entries}, "plain": [1, 2]}))
    names = series.names()
    exact, judge = (
        "scores.graders.exact.train_reward_mean",
        "scores.graders.judge.train_reward_mean",
    )
    assert series.latest() == (1, dict.fromkeys(names, 1.0) | {exact: 0.5, judge: 0.25})
    # The list is read up to MAX_LIST_ITEMS items: the eight above and the first named g*.
    assert len(names) == 2 + MAX_LIST_ITEMS - 8
    assert not any("plain" in n or "python" in n for n in names)


def test_a_result_csvs_slashed_names_meet_the_events_dotted_ones() -> None:
    """The result CSV joins nested names with ``/`` (Azure's Foundry notes list
    ``errors/graders/.../train_sample_parse_error_count``): the same series as the event's."""
    series = MetricSeries()
    series.add_event(metrics_event(rft_data(1, 0.25)))
    merged = series.merged_with_csv(
        "step,train_mean_reward,scores/graders/exact_match/train_reward_mean\n2,0.5,0.5\n"
    )
    assert merged.column("scores.graders.exact_match.train_reward_mean") == [(1, 0.25), (2, 0.5)]
    assert not any("/" in name for name in merged.names())


def test_a_result_csv_gives_every_numeric_column() -> None:
    series = MetricSeries()
    rows = series.fill_from_csv(
        "step,train_mean_reward,full_valid_mean_reward,scores.exact_match.mean,phase,"
        "train_accuracy\n"
        "1,0.25,,0.25,warmup,0.5\n"
        "2,0.5,0.75,0.5,main,\n"
        ",1,1,1,blank step,1\n"
    )
    assert rows == 2 and series.complete
    assert series.names() == [
        "train_accuracy",
        "train_mean_reward",
        "full_valid_mean_reward",
        "scores.exact_match.mean",
    ]
    assert series.rows() == [
        {
            "step": 1,
            "train_accuracy": 0.5,
            "train_mean_reward": 0.25,
            "scores.exact_match.mean": 0.25,
        },
        {
            "step": 2,
            "train_mean_reward": 0.5,
            "full_valid_mean_reward": 0.75,
            "scores.exact_match.mean": 0.5,
        },
    ]


def test_the_csv_carries_every_series_in_order_and_reads_back() -> None:
    series = MetricSeries()
    for step in (1, 2, 3):
        series.add_event(metrics_event(rft_data(step, step / 4, valid=0.5 if step == 3 else None)))
    out = io.StringIO()
    series.write_csv(out)
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(["step", *RFT_NAMES])
    assert lines[1].startswith("1,0.25,,,1501.0,0.25,0.25,0.0,30.5,12.25,64.0,90112.0")
    assert lines[0].count("scores.graders.exact_match.") == 1
    again = MetricSeries()
    assert again.fill_from_csv(out.getvalue()) == 3
    assert again.rows() == series.rows() and again.names() == series.names()


def test_names_too_long_unprintable_or_too_deep_are_not_read() -> None:
    series = MetricSeries()
    deep: dict[str, Any] = {"v": 1.0}
    for _ in range(MAX_PARTS):
        deep = {"x": deep, "v": 1.0}
    series.add(
        1,
        {
            "a" * (MAX_NAME + 1): 1.0,
            "red\x1b[31m": 1.0,
            "rtl\u202e": 1.0,
            "ok": {"b" * MAX_NAME: 1.0, "grader é": 2.0},
            "deep": deep,
        },
    )
    names = series.names()
    assert "ok.grader é" in names and "ok" not in names
    assert [n for n in names if n.startswith("deep")] == [
        "deep.v",
        "deep.x.v",
        "deep.x.x.v",
        "deep.x.x.x.v",
    ]
    assert all(len(n.split(".")) <= MAX_PARTS for n in names)
    assert len(names) == 5


# -- the cap -------------------------------------------------------------------------------------


def test_series_past_the_cap_are_dropped_and_counted_but_known_names_always_kept() -> None:
    series = MetricSeries()
    many = {f"extra_{i:03d}": float(i) for i in range(MAX_SERIES + 10)}
    series.add(1, many | {"scores": {"g": {"mean": 0.5}}})
    names = series.names()
    # Of more new names than there is room for, those first in the order stay: the top-level
    # ones before scores.*.
    assert names == [f"extra_{i:03d}" for i in range(MAX_SERIES)]
    assert series.dropped == 11 and series.dropped_exact
    assert series.dropped_note() == (
        "11 more metric series dropped: a job keeps at most 64 besides its loss, accuracy and "
        "reward"
    )
    # The same names again count once; the known names are never pushed out.
    series.add(2, many | {"train_loss": 0.5, "full_valid_mean_reward": 0.25, "other": 1.0})
    assert series.dropped == 12
    assert series.names()[:2] == ["train_loss", "full_valid_mean_reward"]
    assert len(series.names()) == MAX_SERIES + 2
    # A result file is the record: its series and the known ones, nothing dropped.
    merged = series.merged_with_csv("step,more_1,more_2\n3,1,2\n")
    assert merged.names() == ["train_loss", "full_valid_mean_reward", "more_1", "more_2"]
    assert merged.dropped == 0 and merged.steps() == [2, 3]  # step 1 had only extra_*
    # A file with no rows leaves the series as it was, its count of dropped names too.
    kept = series.merged_with_csv("not,a,result\n")
    assert kept.names() == series.names() and kept.dropped == 12


def test_a_result_file_of_many_columns_is_capped_too() -> None:
    header = ",".join(["step", *(f"c{i:05d}" for i in range(1000))])
    row = ",".join(["1", *("0.5" for _ in range(1000))])
    series = MetricSeries()
    assert series.fill_from_csv(f"{header}\n{row}\n{row.replace('1,', '2,', 1)}\n") == 2
    assert len(series.names()) == MAX_SERIES and series.steps() == [1, 2]
    assert series.dropped == 1000 - MAX_SERIES
    assert not series.dropped_exact  # more than it remembers: a lower bound
    assert series.dropped_note().startswith(f"at least {1000 - MAX_SERIES:,} more")


def test_once_the_result_file_filled_it_events_bring_no_new_series() -> None:
    """A finished job's result file is its record: the newest events (a few thousand of 100,000
    steps) must not add columns of 8 bytes a step that hold almost nothing."""
    series = MetricSeries()
    series.fill_from_csv("step,train_mean_reward\n1,0.25\n2,0.5\n")
    assert series.complete
    assert series.add_event(metrics_event(rft_data(2, 0.75)))  # a value it has: updated
    # the known names still join (the API's file has no full validation loss), no others
    assert series.names() == ["train_mean_reward", "reasoning_tokens_mean"]
    assert series.column("train_mean_reward") == [(1, 0.25), (2, 0.75)]
    # Before the file, the same event brings every series it holds.
    fresh = MetricSeries()
    fresh.add_event(metrics_event(rft_data(2, 0.75)))
    assert fresh.names() == RFT_NAMES[:1] + RFT_NAMES[3:]
