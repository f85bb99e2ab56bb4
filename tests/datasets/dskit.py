"""Small builders of JSONL lines in each method's format, for the dataset tests."""

from __future__ import annotations

import json
from typing import Any


def chat(i: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": f"Question {i}?"},
            {"role": "assistant", "content": f"Answer {i}."},
        ],
        **extra,
    }


def preference(i: int = 0) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": f"Question {i}?"}]},
        "preferred_output": [{"role": "assistant", "content": "A good answer."}],
        "non_preferred_output": [{"role": "assistant", "content": "A poor answer."}],
    }


def graded(i: int = 0) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": f"What is {i} + 1?"}],
        "reference_answer": str(i + 1),
    }


MAKERS = {"supervised": chat, "dpo": preference, "reinforcement": graded}


def jsonl(records: list[Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def good(method: str, count: int = 12) -> list[dict[str, Any]]:
    return [MAKERS[method](i) for i in range(count)]
