"""Entry ids: ULIDs, short to type by prefix, stable and sortable by creation time."""

from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 26


def new_id(now_ms: int | None = None) -> str:
    """Return a new ULID: 48 bits of milliseconds then 80 random bits, Crockford base32."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(ID_LENGTH):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def normalize_id_prefix(prefix: str) -> str:
    """Upper-case an id or id prefix and map the letters Crockford base32 treats as digits."""
    cleaned = prefix.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
    return cleaned


def looks_like_id_prefix(text: str) -> bool:
    """True when text could be (the start of) an id."""
    cleaned = normalize_id_prefix(text)
    return 0 < len(cleaned) <= ID_LENGTH and all(c in _CROCKFORD for c in cleaned)
