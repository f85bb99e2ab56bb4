"""The token estimate and the epochs and billed tokens derived from it."""

from __future__ import annotations

from dskit import chat, good, jsonl

from ftmon.datasets import check_bytes
from ftmon.datasets.summary import cost_line, headline, problem_lines
from ftmon.datasets.tokens import (
    TOKENS_PER_MESSAGE,
    TOKENS_PER_REPLY,
    approx,
    auto_epochs,
    billed_tokens,
    epochs_for,
    example_tokens,
    text_tokens,
)


def test_english_is_about_four_characters_a_token() -> None:
    assert text_tokens("") == 0
    assert text_tokens("abcd") == 1
    assert text_tokens("abcde") == 2
    assert text_tokens("x" * 400) == 100


def test_characters_beyond_ascii_count_about_one_each() -> None:
    assert text_tokens("日本語") == 3
    assert text_tokens("abcd日本") == 3


def test_an_example_counts_each_message_and_the_reply() -> None:
    record = {
        "messages": [{"role": "user", "content": "abcd"}, {"role": "assistant", "content": "ab"}]
    }
    assert example_tokens(record, "supervised") == 2 * TOKENS_PER_MESSAGE + 1 + 1 + TOKENS_PER_REPLY


def test_dpo_counts_input_and_both_outputs() -> None:
    record = {
        "input": {"messages": [{"role": "user", "content": "abcd"}]},
        "preferred_output": [{"role": "assistant", "content": "abcd"}],
        "non_preferred_output": [{"role": "assistant", "content": "abcd"}],
    }
    assert example_tokens(record, "dpo") == 3 * (TOKENS_PER_MESSAGE + 1) + TOKENS_PER_REPLY


def test_report_tokens_sum_the_examples() -> None:
    records = good("supervised", 10)
    report = check_bytes(jsonl(records), "supervised")
    assert report.tokens == sum(example_tokens(r, "supervised") for r in records)
    assert report.max_example_tokens == max(example_tokens(r, "supervised") for r in records)


def test_broken_examples_add_no_tokens() -> None:
    report = check_bytes(jsonl([*good("supervised", 10), {"messages": "x"}]), "supervised")
    assert report.tokens == sum(example_tokens(chat(i), "supervised") for i in range(10))


def test_auto_epochs_follow_the_documented_rule() -> None:
    assert auto_epochs(10) == 10  # 3 epochs would see only 30 examples: enough epochs for 100
    assert auto_epochs(2) == 25  # capped
    assert auto_epochs(100) == 3
    assert auto_epochs(20_000) == 1  # 3 epochs would see 60,000 examples: 25,000 // 20,000
    assert epochs_for(4, 10) == 4
    assert epochs_for(None, 100) == 3


def test_billed_tokens_are_tokens_times_epochs() -> None:
    assert billed_tokens(1000, 3) == 3000
    assert approx(12345) == "≈12,345"
    assert approx(2_500_000) == "≈2.5M"


def test_cost_line_and_problem_lines() -> None:
    report = check_bytes(jsonl(good("supervised", 100)), "supervised")
    line = cost_line(report, None)
    assert line.startswith("100 examples · ≈")
    assert "(3 epochs, auto)" in line
    assert f"≈{report.tokens * 3:,} billed tokens" in line
    assert "(2 epochs)" in cost_line(report, 2)
    broken = check_bytes(b"{x\n" * 8, "supervised")
    lines = problem_lines(broken, limit=3)
    assert lines[0].startswith("line 1: invalid JSON")
    assert lines[-1] == "… and 6 more problems"
    assert headline(broken) == "9 problems in 8 lines"
    assert headline(report) == "ok"
