"""Read what a program wrote to a terminal as escape sequences and text, and judge it.

ftmon's own output uses a small vocabulary, all from Textual's driver or from ftmon itself:
SGR colours, cursor positioning, a fixed set of private modes (alternate screen, cursor,
focus events, bracketed paste, autowrap, synchronized output and the queries for it), the kitty
keyboard protocol push/pop, OSC 22 (pointer shape), OSC 52 (the ``y`` copy) and OSC 9 / OSC 777
desktop notifications that start with ``ftmon: job``. Anything else on the wire came from
somewhere it should not have: API data.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

#: One escape sequence: CSI, OSC (BEL or ST ended), DCS/APC/PM/SOS (ST ended), or ESC + a byte.
SEQUENCE = re.compile(
    rb"\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    rb"|\][^\x07\x1b]*(?:\x07|\x1b\\)"
    rb"|[P_^X].*?\x1b\\"
    rb"|.)",
    re.S,
)
PRIVATE_MODES = {b"7", b"25", b"1004", b"1049", b"2004"}
ALLOWED_CSI = [
    re.compile(rb"\x1b\[[0-9;:]*m"),  # SGR
    re.compile(rb"\x1b\[\d+;\d+H"),  # cursor position
    re.compile(rb"\x1b\[\?(\d+)[hl]"),  # private modes (checked against PRIVATE_MODES)
    re.compile(rb"\x1b\[\?(?:2026|2048)\$p"),  # synchronized output: the support queries
    re.compile(rb"\x1b\[(?:<|>\d+)u"),  # kitty keyboard protocol: pop / push (flags)
]


@dataclass
class Verdict:
    """What was on the wire that ftmon would not have sent itself."""

    sequences: Counter[bytes] = field(default_factory=Counter)
    foreign: list[bytes] = field(default_factory=list)
    bad_text: Counter[str] = field(default_factory=Counter)
    notifications: list[str] = field(default_factory=list)
    copies: list[bytes] = field(default_factory=list)
    bells: int = 0
    undecodable: bool = False

    def problems(self, *, max_bells: int = 0) -> list[str]:
        found = [f"foreign sequence {seq[:60]!r}" for seq in self.foreign[:10]]
        found += [f"unsafe character {c!r} x{n}" for c, n in self.bad_text.most_common(10)]
        if self.bells > max_bells:
            found.append(f"{self.bells} bells, at most {max_bells} expected")
        if self.undecodable:
            found.append("bytes that are not UTF-8")
        for body in self.notifications:
            bad = [c for c in body if _unsafe(c)]
            if bad:
                found.append(f"notification holds {bad[:5]!r}")
        return found


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def judge(raw: bytes) -> Verdict:
    verdict = Verdict()
    text_parts: list[bytes] = []
    last = 0
    for match in SEQUENCE.finditer(raw):
        text_parts.append(raw[last : match.start()])
        last = match.end()
        seq = match.group(0)
        verdict.sequences[_shape(seq)] += 1
        if not _allowed(seq, verdict):
            verdict.foreign.append(seq)
    text_parts.append(raw[last:])
    text_bytes = b"".join(text_parts)
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError:
        verdict.undecodable = True
        text = text_bytes.decode("utf-8", "replace")
    for char in text:
        if char == "\x07":
            verdict.bells += 1
        elif char in "\r\n":
            continue
        elif _unsafe(char):
            verdict.bad_text[char] += 1
    return verdict


def _shape(seq: bytes) -> bytes:
    if seq.startswith(b"\x1b[") and seq.endswith(b"m"):
        return b"SGR"
    if seq.startswith(b"\x1b]"):
        return seq[:6]
    return re.sub(rb"\d+", b"#", seq[:20]) if not seq.startswith(b"\x1b[?") else seq[:20]


def _allowed(seq: bytes, verdict: Verdict) -> bool:
    if seq.startswith(b"\x1b["):
        for pattern in ALLOWED_CSI:
            match = pattern.fullmatch(seq)
            if match:
                return not match.groups() or match.group(1) in PRIVATE_MODES
        return False
    if seq.startswith(b"\x1b]"):
        body = seq[2:].removesuffix(b"\x07").removesuffix(b"\x1b\\")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        if text == "22;default":
            return True
        if text.startswith("52;c;"):
            verdict.copies.append(body[5:])
            return True
        if text.startswith(("9;ftmon: job ", "777;notify;ftmon: job ")):
            verdict.notifications.append(text)
            return True
        return False
    return False
