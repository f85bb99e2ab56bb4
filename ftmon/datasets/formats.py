"""The record formats each fine-tuning method takes, checked one parsed JSONL line at a time.

* supervised: ``{"messages": [...]}`` (chat), at least one assistant message with content or tool
  calls; assistant messages may carry ``weight`` 0 or 1.
* dpo (preference): ``{"input": {"messages": [...]}, "preferred_output": [assistant message],
  "non_preferred_output": [assistant message]}``.
* reinforcement: ``{"messages": [...]}`` ending with the user's message; any other fields are
  kept for the grader (``{{item.reference_answer}}``).

Each check returns ``(kind, reason)`` pairs; :mod:`ftmon.datasets.validate` adds line numbers.
"""

from __future__ import annotations

from typing import Any

METHODS = ("supervised", "dpo", "reinforcement")
METHOD_LABELS = {
    "supervised": "supervised (chat)",
    "dpo": "DPO (preference)",
    "reinforcement": "reinforcement",
}
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
)

Finding = tuple[str, str]


def _ordinal_key(name: str) -> str:
    return f"'{name}'" if len(name) <= 40 else f"'{name[:40]}…'"


def describe_shape(record: dict[str, Any]) -> str | None:
    """A record's likely format, to say what it looks like when it is not what is needed."""
    if "preferred_output" in record or "non_preferred_output" in record or "input" in record:
        return "dpo"
    if "prompt" in record and "completion" in record:
        return "completion"
    if "messages" in record:
        return "chat"
    return None


_SHAPE_WORDS = {
    "dpo": "a preference (DPO) record",
    "completion": "a prompt/completion record (the legacy format of babbage-002 and davinci-002)",
    "chat": "a chat record",
}
_NEEDS = {
    "supervised": 'supervised fine-tuning needs {"messages": [...]}',
    "dpo": 'DPO needs {"input": {"messages": [...]}, "preferred_output": [...], '
    '"non_preferred_output": [...]}',
    "reinforcement": 'reinforcement fine-tuning needs {"messages": [...]} ending with a user '
    "message",
}


def _wrong_shape(record: dict[str, Any], method: str, missing: str) -> Finding:
    shape = describe_shape(record)
    if shape is not None:
        return ("wrong_format", f"{_SHAPE_WORDS[shape]}, but {_NEEDS[method]}")
    return ("wrong_format", f"no {missing}: {_NEEDS[method]}")


def _has_content(message: dict[str, Any]) -> bool:
    content = message.get("content")
    if isinstance(content, str):
        return bool(content.strip())
    if isinstance(content, list):
        return bool(content)
    return False


def _learnable(message: dict[str, Any]) -> bool:
    """An assistant message with something to learn: content, tool calls or a function call."""
    return (
        _has_content(message)
        or bool(message.get("tool_calls"))
        or bool(message.get("function_call"))
    )


def _tool_call_problems(calls: Any, where: str) -> list[Finding]:
    if not isinstance(calls, list):
        return [("bad_message", f"{where}: 'tool_calls' must be a list")]
    found: list[Finding] = []
    for index, call in enumerate(calls, start=1):
        if not isinstance(call, dict):
            found.append(("bad_message", f"{where}: tool call {index} is not an object"))
            continue
        function = call.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            found.append(("bad_message", f"{where}: tool call {index} has no function name"))
        elif not isinstance(function.get("arguments", ""), str):
            found.append(
                ("bad_message", f"{where}: tool call {index}'s arguments must be a JSON string")
            )
    return found


def _content_problems(message: dict[str, Any], where: str, role: str) -> list[Finding]:
    content = message.get("content")
    if content is None:
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            return []
        return [("bad_message", f"{where} ({role}) has no content")]
    if isinstance(content, str):
        return []
    if isinstance(content, list):
        for index, part in enumerate(content, start=1):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                return [("bad_message", f"{where}: content part {index} has no 'type'")]
        return []
    return [("bad_message", f"{where}: content must be a string or a list of content parts")]


def message_problems(message: Any, where: str) -> list[Finding]:
    """Problems of one message (``where`` names it: ``message 2``, ``preferred_output``)."""
    if not isinstance(message, dict):
        return [("bad_message", f"{where} is not an object")]
    role = message.get("role")
    if not isinstance(role, str) or not role:
        return [("bad_message", f"{where} has no role")]
    if role not in ROLES:
        return [
            (
                "bad_message",
                f"{where} has an unknown role {_ordinal_key(role)} "
                "(system, developer, user, assistant or tool)",
            )
        ]
    found: list[Finding] = []
    for key in message:
        if key not in MESSAGE_KEYS:
            found.append(("bad_message", f"{where} has an unknown key {_ordinal_key(str(key))}"))
    found.extend(_content_problems(message, where, role))
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            found.append(("bad_message", f"{where}: only assistant messages take a weight"))
        elif isinstance(weight, bool) or weight not in (0, 1):
            found.append(("bad_message", f"{where}: weight must be 0 or 1"))
    if "tool_calls" in message:
        if role != "assistant":
            found.append(("bad_message", f"{where}: only assistant messages make tool calls"))
        else:
            found.extend(_tool_call_problems(message["tool_calls"], where))
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        found.append(("bad_message", f"{where} (tool) has no 'tool_call_id'"))
    return found


def _messages(value: Any, where: str) -> tuple[list[Any] | None, list[Finding]]:
    if not isinstance(value, list):
        return None, [("wrong_format", f"'{where}' must be a list of messages")]
    if not value:
        return None, [("wrong_format", f"'{where}' is empty")]
    found: list[Finding] = []
    for index, message in enumerate(value, start=1):
        found.extend(message_problems(message, f"message {index}"))
    return value, found


def _supervised(record: dict[str, Any]) -> list[Finding]:
    if "messages" not in record:
        return [_wrong_shape(record, "supervised", "'messages' list")]
    messages, found = _messages(record["messages"], "messages")
    if messages is None:
        return found
    assistants = [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]
    learnable = [m for m in assistants if _learnable(m)]
    if not learnable:
        found.append(("no_assistant", "no assistant message with content or tool_calls"))
    elif all(m.get("weight") == 0 for m in learnable):
        found.append(("no_assistant", "every assistant message has weight 0: nothing to learn"))
    return found


def _output(record: dict[str, Any], name: str) -> list[Finding]:
    if name not in record:
        return [_wrong_shape(record, "dpo", f"'{name}'")]
    value = record[name]
    if not isinstance(value, list) or len(value) != 1:
        return [("wrong_format", f"'{name}' must be a list of exactly one assistant message")]
    message = value[0]
    found = message_problems(message, name)
    if found:
        return found
    if message.get("role") != "assistant":
        return [("bad_message", f"{name} must be an assistant message")]
    if not _learnable(message):
        return [("no_assistant", f"{name} has no content or tool_calls")]
    return []


def _dpo(record: dict[str, Any]) -> list[Finding]:
    given = record.get("input")
    if not isinstance(given, dict) or "messages" not in given:
        return [_wrong_shape(record, "dpo", "'input' with 'messages'")]
    messages, found = _messages(given["messages"], "input.messages")
    if messages is not None:
        last = messages[-1]
        if isinstance(last, dict) and last.get("role") == "assistant":
            found.append(
                (
                    "bad_ending",
                    "input ends with an assistant message: the outputs are the replies to it, "
                    "so it should end with the user's message",
                )
            )
    found.extend(_output(record, "preferred_output"))
    found.extend(_output(record, "non_preferred_output"))
    return found


def _reinforcement(record: dict[str, Any]) -> list[Finding]:
    if "messages" not in record or describe_shape(record) == "dpo":
        return [_wrong_shape(record, "reinforcement", "'messages' list")]
    messages, found = _messages(record["messages"], "messages")
    if messages is None:
        return found
    last = messages[-1]
    role = last.get("role") if isinstance(last, dict) else None
    if isinstance(role, str) and role != "user":
        found.append(
            (
                "bad_ending",
                f"the last message is from the {role}: reinforcement examples end with the "
                "user's message (the model answers, the grader scores it)",
            )
        )
    return found


_CHECKS = {"supervised": _supervised, "dpo": _dpo, "reinforcement": _reinforcement}


def record_problems(record: Any, method: str) -> list[Finding]:
    """Every problem of one parsed line for ``method``."""
    if not isinstance(record, dict):
        kind = type(record).__name__
        words = {"list": "a list", "str": "a string", "NoneType": "null"}.get(kind, f"a {kind}")
        return [("not_an_object", f"expected one JSON object per line, got {words}")]
    if method not in _CHECKS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    return _CHECKS[method](record)
