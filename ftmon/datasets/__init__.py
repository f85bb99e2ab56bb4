"""Training data, checked locally: a JSONL file for a fine-tuning method, and its tokens.

Pure file checks only (no UI, no network): the formats (:mod:`~ftmon.datasets.formats`), the
line-by-line check (:mod:`~ftmon.datasets.validate`), the token estimate
(:mod:`~ftmon.datasets.tokens`), the problems found (:mod:`~ftmon.datasets.problems`) and the
report in words (:mod:`~ftmon.datasets.summary`). Uploading and creating a job is
:mod:`ftmon.create`'s.
"""

from __future__ import annotations

from ftmon.datasets.formats import METHODS
from ftmon.datasets.problems import DatasetReport, Problem
from ftmon.datasets.validate import (
    MIN_EXAMPLES,
    check_bytes,
    check_file,
    check_lines,
    job_error,
    validate_training_bytes,
)

__all__ = [
    "METHODS",
    "MIN_EXAMPLES",
    "DatasetReport",
    "Problem",
    "check_bytes",
    "check_file",
    "check_lines",
    "job_error",
    "validate_training_bytes",
]
