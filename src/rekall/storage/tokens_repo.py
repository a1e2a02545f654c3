"""SQL for bearer tokens: a name, the token's SHA-256, read-only or not, revoked or not."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from rekall.core.errors import ValidationError

COLUMNS = "name, read_only, created_at, revoked_at"


@dataclass(frozen=True)
class TokenRecord:
    """What is kept about a token (never the token itself)."""

    name: str
    read_only: bool
    created_at: str
    revoked_at: str | None

    @classmethod
    def from_row(cls, row: Any) -> TokenRecord:
        return cls(str(row[0]), bool(row[1]), str(row[2]), row[3])


def add_token(
    conn: sqlite3.Connection, name: str, token_hash: str, read_only: bool, now: str
) -> None:
    """Store a new token's hash. Raises ValidationError when the name is taken."""
    if conn.execute("SELECT 1 FROM tokens WHERE name = ?", (name,)).fetchone():
        raise ValidationError(f"a token named '{name}' exists; revoke it or pick another name")
    conn.execute(
        "INSERT INTO tokens (name, token_hash, read_only, created_at) VALUES (?, ?, ?, ?)",
        (name, token_hash, int(read_only), now),
    )


def list_tokens(conn: sqlite3.Connection) -> list[TokenRecord]:
    """Every token, revoked ones included, by name."""
    rows = conn.execute(f"SELECT {COLUMNS} FROM tokens ORDER BY name").fetchall()
    return [TokenRecord.from_row(row) for row in rows]


def revoke_token(conn: sqlite3.Connection, name: str, now: str) -> bool:
    """Revoke a token by name; False when no active token has that name."""
    cursor = conn.execute(
        "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", (now, name)
    )
    return cursor.rowcount > 0


def find_token(conn: sqlite3.Connection, token_hash: str) -> TokenRecord | None:
    """The active token with this hash, or None."""
    row = conn.execute(
        f"SELECT {COLUMNS} FROM tokens WHERE token_hash = ? AND revoked_at IS NULL",
        (token_hash,),
    ).fetchone()
    return None if row is None else TokenRecord.from_row(row)


def count_active(conn: sqlite3.Connection) -> int:
    """How many tokens are not revoked."""
    return int(conn.execute("SELECT count(*) FROM tokens WHERE revoked_at IS NULL").fetchone()[0])
