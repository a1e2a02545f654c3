"""SQL for bearer tokens: a name, the token's SHA-256, read-only or not, revoked or not."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

COLUMNS = "name, read_only, created_at, revoked_at"
# count_active, count_tokens and purge_revoked are plain SQL that PostgreSQL's repository
# takes as they are (conn: either backend's connection).

# A revoked token's name may be given to a new token: the row takes the new hash, so the
# old token stays refused, and the base still shows that tokens are in use. An active
# token's row is left alone (no row changes), which the caller reports as a conflict.
UPSERT = """
    INSERT INTO tokens (name, token_hash, read_only, created_at) VALUES ({p}, {p}, {p}, {p})
    ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash,
        read_only = excluded.read_only, created_at = excluded.created_at, revoked_at = NULL
    WHERE tokens.revoked_at IS NOT NULL
"""


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
) -> bool:
    """Store a new token's hash, replacing a revoked token of that name; False (and nothing
    stored) when an active token has the name."""
    cursor = conn.execute(UPSERT.format(p="?"), (name, token_hash, int(read_only), now))
    return cursor.rowcount > 0


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


def count_active(conn: Any) -> int:
    """How many tokens are not revoked."""
    return int(conn.execute("SELECT count(*) FROM tokens WHERE revoked_at IS NULL").fetchone()[0])


def count_tokens(conn: Any) -> int:
    """How many tokens the base records, revoked ones included."""
    return int(conn.execute("SELECT count(*) FROM tokens").fetchone()[0])


def purge_revoked(conn: Any) -> int:
    """Delete the records of revoked tokens; how many there were."""
    return int(conn.execute("DELETE FROM tokens WHERE revoked_at IS NOT NULL").rowcount)
