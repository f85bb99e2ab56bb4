"""A token estimate, without a tokenizer.

OpenAI's tokenizers (o200k_base, cl100k_base) need their vocabulary files, which the ``tiktoken``
package downloads at run time; ftmon runs offline and ships none, so it estimates instead:

* English text: about 4 characters per token (OpenAI's own rule of thumb);
* each character beyond ASCII (accents, CJK, emoji): about 1 token;
* each message: 3 tokens of overhead, plus 1 for a ``name``; each example: 3 more for the reply's
  start (the counting OpenAI's cookbook documents for chat formats);
* an image content part: 85 tokens (a low-detail tile); tool calls and tool definitions are
  counted as their JSON text.

The UI shows these numbers with "≈". Billed training tokens are the file's tokens times the epochs.
"""

from __future__ import annotations

import json
import math
from typing import Any

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3
TOKENS_PER_IMAGE = 85

#: OpenAI's documented choice of epochs for ``n_epochs: "auto"``: 3, unless the file is so small or
#: so large that 3 epochs would see fewer than 100 or more than 25,000 examples; 1 to 25 epochs.
AUTO_EPOCHS = 3
AUTO_MIN_EXAMPLES_SEEN = 100
AUTO_MAX_EXAMPLES_SEEN = 25_000
AUTO_EPOCHS_RANGE = (1, 25)


def text_tokens(text: str) -> int:
    """Tokens of a piece of text, estimated."""
    if not text:
        return 0
    if text.isascii():
        return math.ceil(len(text) / CHARS_PER_TOKEN)
    wide = sum(1 for char in text if ord(char) > 127)
    return math.ceil((len(text) - wide) / CHARS_PER_TOKEN) + wide


def _json_tokens(value: Any) -> int:
    try:
        return text_tokens(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    except (TypeError, ValueError):
        return 0


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return text_tokens(content)
    if isinstance(content, list):
        total = 0
        for part in content:
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("text"), str):
                total += text_tokens(part["text"])
            elif "image" in str(part.get("type", "")):
                total += TOKENS_PER_IMAGE
            else:
                total += _json_tokens(part)
        return total
    return 0


def message_tokens(message: Any) -> int:
    if not isinstance(message, dict):
        return 0
    total = TOKENS_PER_MESSAGE + _content_tokens(message.get("content"))
    if isinstance(message.get("name"), str):
        total += TOKENS_PER_NAME + text_tokens(message["name"])
    for key in ("tool_calls", "function_call"):
        if message.get(key):
            total += _json_tokens(message[key])
    return total


def _messages_tokens(messages: Any) -> int:
    if not isinstance(messages, list):
        return 0
    return sum(message_tokens(m) for m in messages)


def example_tokens(record: Any, method: str) -> int:
    """Tokens of one example as training reads it, estimated."""
    if not isinstance(record, dict):
        return 0
    if method == "dpo":
        given = record.get("input")
        total = _messages_tokens(given.get("messages") if isinstance(given, dict) else None)
        total += _messages_tokens(record.get("preferred_output"))
        total += _messages_tokens(record.get("non_preferred_output"))
    else:
        total = _messages_tokens(record.get("messages"))
    for key in ("tools", "functions"):
        if record.get(key):
            total += _json_tokens(record[key])
    return total + TOKENS_PER_REPLY


def auto_epochs(examples: int) -> int:
    """The epochs ``n_epochs: "auto"`` picks for a file of ``examples`` examples."""
    if examples <= 0:
        return AUTO_EPOCHS
    low, high = AUTO_EPOCHS_RANGE
    if examples * AUTO_EPOCHS < AUTO_MIN_EXAMPLES_SEEN:
        return max(low, min(high, AUTO_MIN_EXAMPLES_SEEN // examples))
    if examples * AUTO_EPOCHS > AUTO_MAX_EXAMPLES_SEEN:
        return max(low, min(high, AUTO_MAX_EXAMPLES_SEEN // examples))
    return AUTO_EPOCHS


def epochs_for(n_epochs: Any, examples: int) -> int:
    """The epochs a run will make: the number asked for, or the ``auto`` choice."""
    if isinstance(n_epochs, int) and not isinstance(n_epochs, bool) and n_epochs > 0:
        return n_epochs
    return auto_epochs(examples)


def billed_tokens(tokens: int, epochs: int) -> int:
    """Training tokens billed: every token of the file, once per epoch."""
    return max(0, tokens) * max(1, epochs)


def approx(number: int) -> str:
    """``≈12,345``, ``≈1.2M``: an estimate, said as one."""
    if number >= 10_000_000:
        return f"≈{number / 1_000_000:.0f}M"
    if number >= 1_000_000:
        return f"≈{number / 1_000_000:.1f}M"
    return f"≈{number:,}"
