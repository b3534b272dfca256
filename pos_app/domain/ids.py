"""Identifiers: time-ordered UUIDv7 for rows that travel between machines, and short human codes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

#: Crockford base32: no I, L, O, U (no look-alikes).
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

RandBits = Callable[[int], int]


def uuid7(now: datetime, randbits: RandBits = secrets.randbits) -> str:
    """A UUID version 7 (RFC 9562): 48-bit unix milliseconds, then 74 random bits."""
    ms = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    rand_a = randbits(12)
    rand_b = randbits(62)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    h = f"{value:032x}"  # what str(uuid.UUID(int=value)) gives, without building the object
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def random_code(length: int, randbits: RandBits = secrets.randbits) -> str:
    """``length`` Crockford base32 characters (5 random bits each)."""
    n = randbits(5 * length)
    chars = []
    for _ in range(length):
        chars.append(CROCKFORD[n & 31])
        n >>= 5
    return "".join(reversed(chars))
