"""Training data: check a JSONL file for a fine-tuning method, estimate its tokens, upload it.

Pure parts (no Textual, no network) are :mod:`~ftmon.datasets.validate`,
:mod:`~ftmon.datasets.formats`, :mod:`~ftmon.datasets.tokens` and :mod:`~ftmon.datasets.request`;
:mod:`~ftmon.datasets.upload` talks to the API through the client.
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
