"""Small integer settings in the meta table on PostgreSQL."""

from __future__ import annotations

from typing import Any

# The tables a search or a listing plans its statements on.
_PLANNED_TABLES = (
    "entries, tags, links, embeddings, embedding_pieces, entry_context, context_keywords, "
    "context_vectors"
)


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


def refresh_statistics(conn: Any) -> None:
    """ANALYZE the tables searches read. Until autovacuum gets to it (a minute or more), a
    base just filled by a copy or an import has no statistics: on a copied 10K base, the
    plans chosen without them kept a warm search's statements over 100 ms on the server."""
    conn.execute(f"ANALYZE {_PLANNED_TABLES}")
