"""Check a JSONL training file before it is uploaded: every problem with its line number.

The file is read as a stream of lines, so a 1 GB file costs the memory of its longest line, and
no line is held past :data:`MAX_LINE_BYTES` (a longer one is a problem on that line, skipped to
its end unread: a whole JSON array written on one line is the usual cause). Each line is parsed,
checked against the chosen method's format (:mod:`ftmon.datasets.formats`) and counted toward
the example count and the token estimate (:mod:`ftmon.datasets.tokens`).

The simulator calls :func:`validate_training_bytes` and :func:`job_error` so that a bad file fails
a simulated job with the error a real one gets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ftmon.datasets.formats import METHODS, record_problems
from ftmon.datasets.problems import DatasetReport, Problem
from ftmon.datasets.tokens import example_tokens
from ftmon.localread import regular_file

#: OpenAI refuses training files with fewer examples than this.
MIN_EXAMPLES = 10
#: Bytes between two progress reports while reading a file.
PROGRESS_EVERY = 1 << 20

#: The longest line read whole. Far past any model's context for text (65k-128k tokens, a few
#: hundred KB); 64 MiB still holds an example with dozens of base64 images. Bounds the memory a
#: check costs whatever the file: a 2 GiB single-line file took 4.2 GB before this cap.
MAX_LINE_BYTES = 64 << 20
#: How much of an over-long line is read at a time while skipping it.
SKIP_CHUNK = 1 << 20

#: ``(bytes read, total bytes or None)``.
ProgressFn = Callable[[int, "int | None"], None]


class CheckCancelled(Exception):
    """Raised inside :func:`check_file` when ``should_stop`` says so (the screen went away)."""


class Checker:
    """Feed it lines one by one; :meth:`finish` gives the report."""

    def __init__(self, method: str, *, min_examples: int = MIN_EXAMPLES, kept: int = 1000) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
        self.method = method
        self.min_examples = min_examples
        self.report = DatasetReport(method=method, kept=kept)

    def feed(self, number: int, raw: bytes) -> None:
        """Check line ``number`` (1-based); blank lines are skipped, as the API skips them."""
        report = self.report
        report.lines = max(report.lines, number)
        report.size += len(raw)
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a byte order mark from an editor is not a problem
        if not raw.strip():
            return
        report.examples += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.add(Problem(number, "encoding", f"not UTF-8 text (byte {exc.start + 1})"))
            return
        try:
            record: Any = json.loads(text)
        except ValueError as exc:
            reason = getattr(exc, "msg", None) or "not JSON"
            column = getattr(exc, "colno", None)
            where = f" at column {column}" if column else ""
            report.add(Problem(number, "invalid_json", f"invalid JSON: {reason}{where}"))
            return
        found = record_problems(record, self.method)
        for kind, reason in found:
            report.add(Problem(number, kind, reason))
        if not found:
            tokens = example_tokens(record, self.method)
            report.tokens += tokens
            report.max_example_tokens = max(report.max_example_tokens, tokens)

    def feed_too_long(self, number: int, length: int) -> None:
        """Line ``number`` was ``length`` bytes, more than :data:`MAX_LINE_BYTES`: not read."""
        report = self.report
        report.lines = max(report.lines, number)
        report.size += length
        report.examples += 1
        report.add(
            Problem(
                number,
                "line_too_long",
                f"a line of {length:,} bytes, more than the {MAX_LINE_BYTES:,} ftmon reads as "
                "one example: each example must be one JSON object on a line of its own",
            )
        )

    def finish(self) -> DatasetReport:
        report = self.report
        if report.examples < self.min_examples:
            report.add(
                Problem(
                    None,
                    "too_few_examples",
                    f"{report.examples} example{'s' if report.examples != 1 else ''}; "
                    f"at least {self.min_examples} are needed",
                )
            )
        return report


def check_lines(
    lines: Iterable[bytes], method: str, *, min_examples: int = MIN_EXAMPLES
) -> DatasetReport:
    """Check lines (as ``bytes``, with or without their line ends)."""
    checker = Checker(method, min_examples=min_examples)
    for number, raw in enumerate(lines, start=1):
        checker.feed(number, raw)
    return checker.finish()


def check_bytes(data: bytes, method: str, *, min_examples: int = MIN_EXAMPLES) -> DatasetReport:
    """Check a whole file held in memory (an upload the simulator received)."""
    return check_lines(data.splitlines(keepends=True), method, min_examples=min_examples)


def check_file(
    path: str | Path,
    method: str,
    *,
    min_examples: int = MIN_EXAMPLES,
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DatasetReport:
    """Check a local file, streaming; raises ``OSError`` if it cannot be read.

    Blocking: the TUI runs it in a thread worker, reporting progress as it goes.
    """
    file = regular_file(path)  # a FIFO or /dev/zero would never end
    total = file.stat().st_size
    checker = Checker(method, min_examples=min_examples)
    done = 0
    next_report = PROGRESS_EVERY
    with file.open("rb") as handle:
        for number, (raw, length) in enumerate(capped_lines(handle, should_stop), start=1):
            if raw is None:
                checker.feed_too_long(number, length)
            else:
                checker.feed(number, raw)
            done += length
            if done >= next_report:
                next_report = done + PROGRESS_EVERY
                if should_stop is not None and should_stop():
                    raise CheckCancelled(str(file))
                if on_progress is not None:
                    on_progress(done, total)
    if on_progress is not None:
        on_progress(done, total)
    return checker.finish()


def capped_lines(
    handle: BinaryIO, should_stop: Callable[[], bool] | None = None
) -> Iterator[tuple[bytes | None, int]]:
    """``(line, length)`` per line of ``handle``; ``(None, length)`` for a line longer than
    :data:`MAX_LINE_BYTES`, which is read past in chunks and never held."""
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) <= MAX_LINE_BYTES or raw.endswith(b"\n"):
            yield raw, len(raw)
            continue
        length = len(raw)
        del raw
        while True:
            if should_stop is not None and should_stop():
                raise CheckCancelled(getattr(handle, "name", "file"))
            chunk = handle.readline(SKIP_CHUNK)
            length += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
        yield None, length


def validate_training_bytes(
    data: bytes, method: str, *, min_examples: int = MIN_EXAMPLES
) -> list[Problem]:
    """The problems of an uploaded training file; empty when it is fine (for the simulator)."""
    return check_bytes(data, method, min_examples=min_examples).problems


def job_error(problems: list[Problem], *, param: str = "training_file") -> dict[str, Any] | None:
    """The ``error`` of a job that failed on these problems, shaped as the real service sends it.

    ``{"code": "invalid_training_file", "message": "...", "param": "training_file"}``; too few
    examples is ``invalid_n_examples``; a validation file gives ``invalid_validation_file``.
    """
    if not problems:
        return None
    which = "validation" if param == "validation_file" else "training"
    head = f"The job failed due to an invalid {which} file."
    few = next((p for p in problems if p.kind == "too_few_examples"), None)
    lined = [p for p in problems if p.line is not None]
    if few is not None and not lined:
        count = few.reason.split(" ", 1)[0]
        return {
            "code": "invalid_n_examples",
            "message": f"{head} {which.capitalize()} file has {count} example(s), "
            f"but must have at least {MIN_EXAMPLES} examples",
            "param": param,
        }
    first = lined[0] if lined else problems[0]
    more = len(problems) - 1
    tail = f" ({more} more problem{'s' if more != 1 else ''})" if more else ""
    where = f"Line {first.line}: " if first.line is not None else ""
    return {
        "code": f"invalid_{which}_file",
        "message": f"{head} Invalid file format. {where}{first.reason}.{tail}",
        "param": param,
    }
