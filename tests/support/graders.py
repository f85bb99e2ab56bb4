"""Graders the tests send: complete as the spec has them, so the simulator takes them."""

from __future__ import annotations

from typing import Any

#: Scores 1 when the sample is the item's label exactly.
EXACT: dict[str, Any] = {
    "type": "string_check",
    "name": "exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.label}}",
    "operation": "eq",
}
#: Scores between 0 and 1 by how close the sample is to the item's answer.
SIMILAR: dict[str, Any] = {
    "type": "text_similarity",
    "name": "close",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "evaluation_metric": "fuzzy_match",
}
