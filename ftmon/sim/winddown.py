"""OpenAI's fine-tuning wind-down: creating a job refused, everything else working.

OpenAI's deprecations page: organisations that had never fine-tuned lost job creation on
2026-05-07, inactive ones on 2026-07-02, and every organisation loses it on 2027-01-06; existing
jobs, events, checkpoints and fine-tuned models stay readable and usable. Users report that the
create call then "returns a permission denied error", an HTTP 403. The body is not published:
the one below is a guess in OpenAI's usual error shape (``type`` ``invalid_request_error``, no
``param``, no ``code``), worded to say what happened and what still works.
"""

from __future__ import annotations

from ftmon.sim.errors import ApiError

REFUSED_MESSAGE = (
    "Creating fine-tuning jobs is no longer available for this organization, as fine-tuning is "
    "being wound down. Existing fine-tuning jobs, checkpoints and fine-tuned models keep working."
)


def creation_refused() -> ApiError:
    """The 403 of ``POST /fine_tuning/jobs`` once the organisation may no longer create jobs."""
    return ApiError(403, REFUSED_MESSAGE, azure_code="forbidden")
