"""The job filter typed after ``/``: every word must match id, model, suffix, status or metadata.

Matching is on cleaned, case-folded text, so what the user sees is what they can find.
"""

from __future__ import annotations

from ftmon.api.models import FineTuningJob
from ftmon.text import one_line


def haystack(job: FineTuningJob) -> str:
    """Everything a filter word may match in ``job``, in one folded string."""
    parts = [
        job.id,
        job.model,
        job.fine_tuned_model,
        job.display_suffix,
        job.status,
        job.method_type,
    ]
    for key, value in (job.metadata or {}).items():
        parts += [key, value, f"{key}={value}"]
    return "\n".join(one_line(p) for p in parts if p is not None).casefold()


def matches(job: FineTuningJob, query: str) -> bool:
    """True when every whitespace-separated word of ``query`` occurs in the job's text."""
    words = one_line(query).casefold().split()
    if not words:
        return True
    text = haystack(job)
    return all(word in text for word in words)
