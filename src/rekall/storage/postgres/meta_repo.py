"""Small integer settings in the meta table on PostgreSQL."""

from __future__ import annotations

from typing import Any


def meta_value(conn: Any, key: str) -> int | None:
    """A small integer setting kept in the meta table, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
    return None if row is None else int(row[0])


def set_meta_value(conn: Any, key: str, value: int) -> None:
    """Set a small integer setting in the meta table."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def is_empty(conn: Any) -> bool:
    """True when the base holds no entry."""
    return conn.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is None
