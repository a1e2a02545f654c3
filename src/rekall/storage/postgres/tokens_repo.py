"""SQL for bearer tokens on PostgreSQL: names, hashes, rights; never the tokens."""

from __future__ import annotations

from typing import Any

from rekall.core.errors import ValidationError
from rekall.storage.tokens_repo import COLUMNS, TokenRecord


def add_token(conn: Any, name: str, token_hash: str, read_only: bool, now: str) -> None:
    """Store a new token's hash. Raises ValidationError when the name is taken."""
    if conn.execute("SELECT 1 FROM tokens WHERE name = %s", (name,)).fetchone():
        raise ValidationError(f"a token named '{name}' exists; revoke it or pick another name")
    conn.execute(
        "INSERT INTO tokens (name, token_hash, read_only, created_at) VALUES (%s, %s, %s, %s)",
        (name, token_hash, read_only, now),
    )


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


def count_active(conn: Any) -> int:
    """How many tokens are not revoked."""
    return int(conn.execute("SELECT count(*) FROM tokens WHERE revoked_at IS NULL").fetchone()[0])
