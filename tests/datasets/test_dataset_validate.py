"""The JSONL checker: good files pass, each kind of problem is named with its line number."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from dskit import chat, good, graded, jsonl, preference

from ftmon.datasets import check_bytes, check_file, job_error, validate_training_bytes
from ftmon.datasets.problems import KINDS
from ftmon.datasets.validate import CheckCancelled
from ftmon.sim.training_data import training_jsonl

METHODS = ("supervised", "dpo", "reinforcement")


@pytest.mark.parametrize("method", METHODS)
def test_a_good_file_has_no_problems_and_is_counted(method: str) -> None:
    report = check_bytes(jsonl(good(method, 25)), method)
    assert report.ok, report.problems
    assert report.examples == 25
    assert report.tokens > 25 * 5  # every example has a few tokens at least
    assert report.max_example_tokens <= report.tokens


@pytest.mark.parametrize("method", METHODS)
def test_the_simulators_own_datasets_pass(method: str) -> None:
    assert validate_training_bytes(training_jsonl(11, 40, method), method) == []


def _with_bad_line(method: str, bad: str, at: int = 4) -> bytes:
    lines = [json.dumps(r) for r in good(method, 12)]
    lines.insert(at - 1, bad)
    return ("\n".join(lines) + "\n").encode()


def _only(report, kind: str, line: int | None):
    assert [(p.kind, p.line) for p in report.problems] == [(kind, line)], report.problems
    return report.problems[0]


def test_invalid_json_names_its_line_and_column() -> None:
    problem = _only(
        check_bytes(_with_bad_line("supervised", '{"messages": [}'), "supervised"),
        "invalid_json",
        4,
    )
    assert "column 15" in problem.reason
    assert str(problem).startswith("line 4: invalid JSON")


def test_a_line_that_is_not_an_object() -> None:
    problem = _only(
        check_bytes(_with_bad_line("supervised", "[1, 2]", at=7), "supervised"),
        "not_an_object",
        7,
    )
    assert "got a list" in problem.reason


def test_bytes_that_are_not_utf8() -> None:
    data = _with_bad_line("supervised", "x", at=2).replace(b"x\n", b'{"a": "\xff"}\n')
    _only(check_bytes(data, "supervised"), "encoding", 2)


def test_a_preference_record_in_a_supervised_file_says_so() -> None:
    problem = _only(
        check_bytes(_with_bad_line("supervised", json.dumps(preference())), "supervised"),
        "wrong_format",
        4,
    )
    assert "preference (DPO) record" in problem.reason


def test_a_chat_record_in_a_dpo_file_says_what_dpo_needs() -> None:
    problem = _only(
        check_bytes(_with_bad_line("dpo", json.dumps(chat()), at=2), "dpo"), "wrong_format", 2
    )
    assert "chat record" in problem.reason and "preferred_output" in problem.reason


def test_a_legacy_prompt_completion_record() -> None:
    line = json.dumps({"prompt": "a", "completion": "b"})
    problem = _only(
        check_bytes(_with_bad_line("supervised", line), "supervised"), "wrong_format", 4
    )
    assert "prompt/completion" in problem.reason


def test_missing_assistant_message() -> None:
    record = {"messages": [{"role": "user", "content": "hi"}]}
    _only(
        check_bytes(_with_bad_line("supervised", json.dumps(record), at=10), "supervised"),
        "no_assistant",
        10,
    )


def test_an_assistant_message_with_tool_calls_counts() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            {"role": "assistant", "content": "Sunny.", "weight": 1},
        ]
    }
    assert check_bytes(jsonl([record] * 10), "supervised").ok


def test_weight_zero_everywhere_leaves_nothing_to_learn() -> None:
    record = chat()
    record["messages"][-1]["weight"] = 0
    problem = _only(
        check_bytes(_with_bad_line("supervised", json.dumps(record), at=3), "supervised"),
        "no_assistant",
        3,
    )
    assert "weight 0" in problem.reason


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ({"role": "robot", "content": "x"}, "unknown role 'robot'"),
        ({"content": "x"}, "has no role"),
        ({"role": "user"}, "has no content"),
        ({"role": "user", "content": 3}, "content must be a string"),
        ({"role": "user", "content": "x", "weight": 1}, "only assistant messages take a weight"),
        ({"role": "assistant", "content": "x", "weight": 2}, "weight must be 0 or 1"),
        ({"role": "user", "content": "x", "colour": "red"}, "unknown key 'colour'"),
        ({"role": "tool", "content": "x"}, "no 'tool_call_id'"),
    ],
)
def test_each_bad_message_is_named(message: dict, words: str) -> None:
    record = chat()
    record["messages"].insert(1, message)
    report = check_bytes(_with_bad_line("supervised", json.dumps(record), at=5), "supervised")
    problem = _only(report, "bad_message", 5)
    assert "message 2" in problem.reason and words in problem.reason


def test_dpo_outputs_must_be_one_assistant_message() -> None:
    two = preference()
    two["preferred_output"].append({"role": "assistant", "content": "more"})
    user = preference()
    user["non_preferred_output"] = [{"role": "user", "content": "x"}]
    empty = preference()
    empty["preferred_output"] = [{"role": "assistant", "content": ""}]
    report = check_bytes(jsonl([*good("dpo", 10), two, user, empty]), "dpo")
    assert [(p.line, p.kind) for p in report.problems] == [
        (11, "wrong_format"),
        (12, "bad_message"),
        (13, "no_assistant"),
    ]
    assert "exactly one assistant message" in report.problems[0].reason


def test_dpo_input_ending_with_the_assistant() -> None:
    record = preference()
    record["input"]["messages"].append({"role": "assistant", "content": "hm"})
    _only(check_bytes(_with_bad_line("dpo", json.dumps(record)), "dpo"), "bad_ending", 4)


def test_reinforcement_must_end_with_the_user_and_keeps_extra_fields() -> None:
    record = graded()
    record["messages"].append({"role": "assistant", "content": "2"})
    problem = _only(
        check_bytes(_with_bad_line("reinforcement", json.dumps(record), at=12), "reinforcement"),
        "bad_ending",
        12,
    )
    assert "from the assistant" in problem.reason
    extra = graded()
    extra["anything"] = {"for": "the grader"}
    assert check_bytes(jsonl([extra] * 10), "reinforcement").ok


def test_reinforcement_refuses_a_preference_record() -> None:
    _only(
        check_bytes(_with_bad_line("reinforcement", json.dumps(preference())), "reinforcement"),
        "wrong_format",
        4,
    )


def test_too_few_examples_is_a_problem_of_the_file() -> None:
    report = check_bytes(jsonl(good("supervised", 9)), "supervised")
    problem = _only(report, "too_few_examples", None)
    assert str(problem) == "file: 9 examples; at least 10 are needed"
    assert check_bytes(jsonl(good("supervised", 3)), "supervised", min_examples=1).ok


def test_blank_lines_and_a_byte_order_mark_are_not_problems() -> None:
    data = b"\xef\xbb\xbf" + jsonl(good("supervised", 10)).replace(b"\n", b"\n\n", 3) + b"\r\n"
    report = check_bytes(data, "supervised")
    assert report.ok and report.examples == 10


def test_every_problem_is_listed_in_line_order() -> None:
    lines = [json.dumps(r) for r in good("supervised", 15)]
    lines[2] = "{oops"
    lines[8] = "null"
    lines[13] = json.dumps({"messages": []})
    report = check_bytes(("\n".join(lines) + "\n").encode(), "supervised")
    assert [(p.line, p.kind) for p in report.problems] == [
        (3, "invalid_json"),
        (9, "not_an_object"),
        (14, "wrong_format"),
    ]
    assert report.problem_count == 3
    assert {p.kind for p in report.problems} <= set(KINDS)


def test_problems_kept_are_bounded_but_all_are_counted() -> None:
    data = b"{bad\n" * 2500
    report = check_bytes(data, "supervised")
    assert report.problem_count == 2500
    assert len(report.problems) == report.kept == 1000
    assert report.more_problems == 1500


def test_check_file_streams_and_reports_progress(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(jsonl(good("supervised", 30_000)))
    seen: list[tuple[int, int | None]] = []
    report = check_file(path, "supervised", on_progress=lambda d, t: seen.append((d, t)))
    assert report.ok and report.examples == 30_000
    size = path.stat().st_size
    assert len(seen) >= 2 and seen[-1] == (size, size)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))


def test_check_file_stops_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(jsonl(good("supervised", 30_000)))
    with pytest.raises(CheckCancelled):
        check_file(path, "supervised", should_stop=lambda: True)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        check_bytes(b"{}", "completion")


def test_job_error_has_the_real_shape() -> None:
    problems = validate_training_bytes(_with_bad_line("supervised", "{x", at=6), "supervised")
    assert job_error(problems) == {
        "code": "invalid_training_file",
        "message": "The job failed due to an invalid training file. Invalid file format. "
        "Line 6: invalid JSON: Expecting property name enclosed in double quotes at column 2.",
        "param": "training_file",
    }
    few = job_error(validate_training_bytes(jsonl(good("supervised", 4)), "supervised"))
    assert few == {
        "code": "invalid_n_examples",
        "message": "The job failed due to an invalid training file. Training file has 4 "
        "example(s), but must have at least 10 examples",
        "param": "training_file",
    }
    valid = job_error(
        validate_training_bytes(_with_bad_line("dpo", "[]", at=2), "dpo"),
        param="validation_file",
    )
    assert valid is not None and valid["code"] == "invalid_validation_file"
    assert valid["message"].startswith("The job failed due to an invalid validation file.")
    assert job_error([]) is None


def test_a_line_longer_than_the_cap_is_a_problem_on_that_line_read_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11.7: a whole file on one line (a JSON array, say) was held at once: 2 GiB of one
    line took 4.2 GB. Now a line past the cap is skipped in chunks and named; the lines after it
    are checked as usual. (The cap is lowered here so the file stays small.)"""
    from ftmon.datasets import validate

    monkeypatch.setattr(validate, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(validate, "SKIP_CHUNK", 512)
    reads: list[int] = []
    good_lines = [json.dumps(r).encode() for r in good("supervised", 12)]
    huge = b"[" + b"1," * 50_000 + b"1]"
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join([good_lines[0], huge, *good_lines[1:]]) + b"\n")

    class Counting:
        def __init__(self, handle):
            self.handle = handle
            self.name = handle.name

        def readline(self, size: int = -1) -> bytes:
            assert size != -1, "a line read without a cap"
            line = self.handle.readline(size)
            reads.append(len(line))
            return line

    lines = list(validate.capped_lines(Counting(path.open("rb"))))
    assert [raw is None for raw, _ in lines] == [False, True] + [False] * 11
    assert lines[1][1] == len(huge) + 1
    assert max(reads) <= 4097

    report = check_file(path, "supervised")
    assert [(p.line, p.kind) for p in report.problems] == [(2, "line_too_long")]
    assert f"a line of {len(huge) + 1:,} bytes" in report.problems[0].reason
    assert report.examples == 13
    assert report.size == path.stat().st_size


def test_a_file_without_a_final_newline_over_the_cap_ends_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ftmon.datasets import validate

    monkeypatch.setattr(validate, "MAX_LINE_BYTES", 100)
    path = tmp_path / "one-line.json"
    path.write_bytes(b"x" * 1000)
    report = check_file(path, "supervised", min_examples=1)
    assert [(p.line, p.kind) for p in report.problems] == [(1, "line_too_long")]
