"""Deterministic identifiers shaped like OpenAI's.

Ids derive from the world seed and a name, so a seeded world looks the same on every run
(snapshots depend on it). Event ids additionally encode their position in the job's log in a
reversible way, so a cursor (``after=<event id>``) resolves in O(1) even for 100,000 events.
"""

from __future__ import annotations

import hashlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_MASK64 = (1 << 64) - 1
_MULT = 0x9E3779B97F4A7C15  # odd, so multiplication mod 2**64 is invertible
_INV = pow(_MULT, -1, 1 << 64)
_INDEX_WIDTH = 11  # 62**11 > 2**64


def digest_int(*parts: object) -> int:
    """A stable 256-bit integer from any printable parts."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=32).digest(), "big")


def base62(value: int, width: int) -> str:
    """``value`` in base 62, zero-padded (or truncated to the low digits) to ``width`` chars."""
    out = []
    for _ in range(width):
        value, rem = divmod(value, 62)
        out.append(ALPHABET[rem])
    return "".join(reversed(out))


_BYTE_TO_CHAR = bytes(ord(ALPHABET[b % 62]) for b in range(256))


def token(*parts: object, length: int = 24) -> str:
    """A random-looking, reproducible alphanumeric token (up to 64 characters)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    digest = hashlib.blake2b(text, digest_size=max(length, 1)).digest()
    return digest[:length].translate(_BYTE_TO_CHAR).decode()


def encode_index(key: int, index: int) -> str:
    """A reversible, random-looking encoding of a log position under a per-job key."""
    return base62(((index ^ key) * _MULT) & _MASK64, _INDEX_WIDTH)


def decode_index(key: int, text: str) -> int | None:
    """The inverse of :func:`encode_index`; None for text that is not an encoding."""
    if len(text) != _INDEX_WIDTH:
        return None
    value = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            return None
        value = value * 62 + digit
    if value > _MASK64:
        return None
    return ((value * _INV) & _MASK64) ^ key
