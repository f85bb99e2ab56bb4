"""A checked file in words: the line a form shows under the file field, and problem lists."""

from __future__ import annotations

from ftmon.datasets.problems import DatasetReport
from ftmon.datasets.tokens import approx, auto_epochs, billed_tokens, epochs_for
from ftmon.text import one_line


def cost_line(report: DatasetReport, n_epochs: int | None) -> str:
    """``42 examples · ≈12,345 tokens · ≈37,035 billed tokens (3 epochs, auto)``."""
    epochs = epochs_for(n_epochs, report.examples)
    how = "" if n_epochs else ", auto"
    words = [
        f"{report.examples:,} example{'s' if report.examples != 1 else ''}",
        f"{approx(report.tokens)} tokens",
        f"{approx(billed_tokens(report.tokens, epochs))} billed tokens "
        f"({epochs} epoch{'s' if epochs != 1 else ''}{how})",
    ]
    return " · ".join(words)


def problem_lines(report: DatasetReport, *, limit: int = 5, width: int | None = 200) -> list[str]:
    """The first problems, one a line, and how many more there are."""
    lines = [one_line(str(p), width=width) for p in report.problems[:limit]]
    rest = report.problem_count - len(lines)
    if rest > 0:
        lines.append(f"… and {rest:,} more problem{'s' if rest != 1 else ''}")
    return lines


def headline(report: DatasetReport) -> str:
    """``3 problems in 120 lines`` or ``ok``."""
    if report.ok:
        return "ok"
    count = report.problem_count
    return f"{count:,} problem{'s' if count != 1 else ''} in {report.lines:,} lines"


__all__ = ["auto_epochs", "cost_line", "headline", "problem_lines"]
