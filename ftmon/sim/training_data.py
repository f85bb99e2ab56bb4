"""Small, deterministic training and validation files in the three fine-tuning formats."""

from __future__ import annotations

import json
import random

_TOPICS = (
    ("reset my password", "Open Settings > Security and choose 'Reset password'."),
    ("change my billing address", "Go to Billing > Details and edit the address."),
    ("export my data", "Use Account > Privacy > Export; the archive arrives by email."),
    ("cancel my plan", "Choose Billing > Plan > Cancel; access lasts until the period ends."),
    ("add a teammate", "Open Team > Members and send an invitation."),
    ("enable two-factor login", "Open Settings > Security and turn on two-factor login."),
    ("get an invoice", "Invoices are under Billing > History as PDF files."),
    ("delete my account", "Account > Danger zone > Delete; this cannot be undone."),
)


def _chat(rng: random.Random) -> dict[str, object]:
    question, answer = rng.choice(_TOPICS)
    return {
        "messages": [
            {"role": "system", "content": "You are a concise support assistant."},
            {"role": "user", "content": f"How do I {question}?"},
            {"role": "assistant", "content": answer},
        ]
    }


def _preference(rng: random.Random) -> dict[str, object]:
    question, answer = rng.choice(_TOPICS)
    return {
        "input": {"messages": [{"role": "user", "content": f"How do I {question}?"}]},
        "preferred_output": [{"role": "assistant", "content": answer}],
        "non_preferred_output": [{"role": "assistant", "content": "Please contact support."}],
    }


def _graded(rng: random.Random) -> dict[str, object]:
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    return {
        "messages": [{"role": "user", "content": f"What is {a} * {b}? Answer with the number."}],
        "reference_answer": str(a * b),
    }


def training_jsonl(seed: int, examples: int, method: str = "supervised") -> bytes:
    """``examples`` lines of JSONL in the format ``method`` expects."""
    rng = random.Random(seed)
    make = {"dpo": _preference, "reinforcement": _graded}.get(method, _chat)
    return "".join(json.dumps(make(rng)) + "\n" for _ in range(examples)).encode()
