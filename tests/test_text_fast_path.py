"""``clean`` and ``one_line`` take printable text as it is; the result is what the loop gave.

The quick path rests on one fact about the Unicode tables, checked here for every code point:
a printable character (``str.isprintable``) is never one the sanitiser drops or changes (Cc,
Cf, Cs, Zl, Zp, newline, tab), and the only printable whitespace is the space. Then both
functions are compared with their plain definitions on the hostile corpus and random strings.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import unicodedata
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from ftmon.text import _sanitise, clean, one_line

CORPUS_PATH = Path(__file__).parent / "reliability" / "corpus.py"


def plain_clean(value: Any, *, multiline: bool = False, limit: int | None = 10_000) -> str:
    """The definition: every character looked at, as ``clean`` did before its quick path."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    out = []
    for char in text:
        if char in "\n\t":
            out.append(char if multiline else " ")
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs"):
            continue
        if category in ("Zl", "Zp"):
            out.append("\n" if multiline else " ")
            continue
        out.append(char)
    return "".join(out)


def plain_one_line(value: Any, *, width: int | None = None) -> str:
    text = " ".join(plain_clean(value).split())
    if width is not None and len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text


def test_no_printable_character_is_one_the_sanitiser_touches() -> None:
    touched = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isprintable():
            assert unicodedata.category(char) not in touched, hex(code)
            assert char not in "\n\t", hex(code)
            assert not char.isspace() or char == " ", hex(code)


def corpus_strings() -> list[str]:
    """Every string in the hostile corpus (hazards and payloads, keys included), once each."""
    spec = importlib.util.spec_from_file_location("ftmon_text_corpus", CORPUS_PATH)
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # dataclasses look their module up while being made
    try:
        spec.loader.exec_module(corpus)
        payloads = corpus.build_corpus()
        found: dict[str, None] = dict.fromkeys(corpus.HAZARDS.values())
    finally:
        del sys.modules[spec.name]
    stack: list[Any] = [p.body for p in payloads]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found[item] = None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return list(found)


CORPUS = corpus_strings()


def test_the_corpus_is_the_hostile_one() -> None:
    assert len(CORPUS) > 200
    assert any(not text.isprintable() for text in CORPUS)
    assert any(len(text) > 10_000 for text in CORPUS)


@pytest.mark.parametrize("multiline", [False, True])
def test_clean_and_one_line_on_the_hostile_corpus(multiline: bool) -> None:
    for text in CORPUS:
        assert clean(text, multiline=multiline) == plain_clean(text, multiline=multiline)
        assert clean(text, multiline=multiline, limit=None) == plain_clean(
            text, multiline=multiline, limit=None
        )
        assert clean(text, limit=7) == plain_clean(text, limit=7)
        assert one_line(text) == plain_one_line(text)
        assert one_line(text, width=12) == plain_one_line(text, width=12)


#: Characters random strings are made of: mostly the usual, and every kind the sanitiser knows.
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.,:;=/-_[]()@#'\"",
    "    ",
    "\n\t\r\x00\x07\x1b\x7f\x85\x9b\x0b\x0c\x1c",
    "\u00a0\u2000\u2009\u3000\u1680\u202f\u205f",  # spaces other than the space (Zs)
    "\u2028\u2029",  # line and paragraph separators
    "\u200b\u200c\u200d\u202e\u2066\u2069\ufeff\u00ad",  # format characters
    "\ud800\udfff",  # lone surrogates
    "日本語éüñ\u0301\u0308🙂👍🏽한글",  # wide, accented, combining, emoji
    "\ue000\U000f0000\u0378\U0010ffff",  # private use and unassigned
]


def random_text(rng: random.Random) -> str:
    kinds = rng.sample(ALPHABETS, rng.randint(1, 3))
    pool = "".join(kinds)
    return "".join(rng.choice(pool) for _ in range(rng.choice([0, 1, 2, 5, 20, 80])))


@pytest.mark.parametrize("seed", range(4))
def test_clean_and_one_line_on_random_strings(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3_000):
        text = random_text(rng)
        multiline = rng.random() < 0.5
        limit = rng.choice([None, 10_000, 3, 0])
        assert clean(text, multiline=multiline, limit=limit) == plain_clean(
            text, multiline=multiline, limit=limit
        )
        width = rng.choice([None, 1, 8, 30])
        assert one_line(text, width=width) == plain_one_line(text, width=width)
        if text.isprintable():  # what the quick path returns, the loop returns too
            assert _sanitise(text, multiline) == text == clean(text, limit=None)


class Level(StrEnum):
    INFO = "info"


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        -1.5,
        Level.INFO,
        "Step 10/100: training loss=1.23",
        "  padded  and  spaced  ",
        "y " * 1500,
        "z" * 10_001,
        "tab\there",
        "",
        " ",
    ],
)
def test_values_of_every_kind_read_as_before_and_as_plain_strings(value: Any) -> None:
    for width in (None, 8, 2_000):
        assert one_line(value, width=width) == plain_one_line(value, width=width)
        assert type(one_line(value, width=width)) is str
    assert clean(value) == plain_clean(value)
    assert type(clean(value)) is str
