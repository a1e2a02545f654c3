"""SQL for bearer tokens on PostgreSQL: names, hashes, rights; never the tokens."""

from __future__ import annotations

from typing import Any

from rekall.storage.tokens_repo import COLUMNS, UPSERT, TokenRecord
from rekall.storage.tokens_repo import count_active as count_active
from rekall.storage.tokens_repo import count_tokens as count_tokens
from rekall.storage.tokens_repo import purge_revoked as purge_revoked


def add_token(conn: Any, name: str, token_hash: str, read_only: bool, now: str) -> bool:
    """Store a new token's hash, replacing a revoked token of that name; False (and nothing
    stored) when an active token has the name."""
    cursor = conn.execute(UPSERT.format(p="%s"), (name, token_hash, read_only, now))
    return bool(cursor.rowcount > 0)


def list_tokens(conn: Any) -> list[TokenRecord]:
    """Every token, revoked ones included, by name."""
    rows = conn.execute(f"SELECT {COLUMNS} FROM tokens ORDER BY name").fetchall()
    return [TokenRecord.from_row(row) for row in rows]


def revoke_token(conn: Any, name: str, now: str) -> bool:
    """Revoke a token by name; False when no active token has that name."""
    cursor = conn.execute(
        "UPDATE tokens SET revoked_at = %s WHERE name = %s AND revoked_at IS NULL", (now, name)
    )
    return bool(cursor.rowcount > 0)


def find_token(conn: Any, token_hash: str) -> TokenRecord | None:
    """The active token with this hash, or None."""
    row = conn.execute(
        f"SELECT {COLUMNS} FROM tokens WHERE token_hash = %s AND revoked_at IS NULL",
        (token_hash,),
    ).fetchone()
    return None if row is None else TokenRecord.from_row(row)
