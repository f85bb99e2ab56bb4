"""Metric series: steps in any order, columns by step, read cheaply on every poll."""

from __future__ import annotations

from ftmon.monitor.series import MetricSeries


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
