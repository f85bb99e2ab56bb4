"""What a dataset check finds: problems tied to line numbers, and the report of a whole file.

A problem carries a short machine kind (for tests and ``--json``) and a reason a person can act on.
Line numbers are 1-based, as editors show them; a problem of the whole file has no line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Kinds of problem, each with what it means.
KINDS: dict[str, str] = {
    "encoding": "the line is not UTF-8 text",
    "invalid_json": "the line is not valid JSON",
    "line_too_long": "the line is too long to be one example (not read)",
    "not_an_object": "the line is JSON, but not one JSON object",
    "wrong_format": "the record is not in the format the chosen method needs",
    "bad_message": "a message is malformed (role, content, weight, tool calls)",
    "no_assistant": "no assistant message with content or tool calls to learn from",
    "bad_ending": "the conversation does not end as the method needs",
    "too_few_examples": "fewer examples than the minimum",
}


@dataclass(frozen=True)
class Problem:
    """One problem; ``line`` is None when it concerns the whole file."""

    line: int | None
    kind: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "kind": self.kind, "reason": self.reason}


@dataclass
class DatasetReport:
    """A checked file: counts, a token estimate and the problems found.

    Only the first ``kept`` problems are stored (a broken 1 GB file must not fill memory);
    ``problem_count`` counts them all.
    """

    method: str
    examples: int = 0
    lines: int = 0
    size: int = 0
    tokens: int = 0
    max_example_tokens: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    kept: int = 1000

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < self.kept:
            self.problems.append(problem)

    @property
    def more_problems(self) -> int:
        """Problems found but not stored."""
        return self.problem_count - len(self.problems)

    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "ok": self.ok,
            "examples": self.examples,
            "lines": self.lines,
            "bytes": self.size,
            "estimated_tokens": self.tokens,
            "max_example_tokens": self.max_example_tokens,
            "problem_count": self.problem_count,
            "problems": [p.to_dict() for p in self.problems],
        }
