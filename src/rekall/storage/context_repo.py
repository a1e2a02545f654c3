"""SQL for entry context: structured JSON, legacy text, trigger keywords and context vectors."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from rekall.core.context import EntryContext
from rekall.storage import rows


def read_contexts(
    conn: sqlite3.Connection, ids: Sequence[str] | None = None
) -> dict[str, EntryContext]:
    """entry id → context, for the given ids (or every entry); entries without one are absent."""
    where, params = _id_filter(ids)
    return rows.contexts_from_rows(
        conn.execute(
            f"SELECT entry_id, keyword FROM context_keywords{where} ORDER BY entry_id, keyword",
            params,
        ).fetchall(),
        conn.execute(f"SELECT entry_id, structured, legacy_text FROM entry_context{where}", params),
    )


def write_context(conn: sqlite3.Connection, entry_id: str, context: EntryContext | None) -> None:
    """Replace an entry's context and keywords (None removes them); a kept context vector
    goes when the context's text changes, as it no longer matches it."""
    conn.execute("DELETE FROM entry_context WHERE entry_id = ?", (entry_id,))
    conn.execute("DELETE FROM context_keywords WHERE entry_id = ?", (entry_id,))
    if write_search_columns(conn, entry_id, context):
        conn.execute("DELETE FROM context_vectors WHERE entry_id = ?", (entry_id,))
    if context is None:
        return
    stored = rows.stored_context(context)
    if stored is not None:
        conn.execute(
            "INSERT INTO entry_context (entry_id, structured, legacy_text) VALUES (?, ?, ?)",
            (entry_id, *stored),
        )
    conn.executemany(
        "INSERT INTO context_keywords (entry_id, keyword) VALUES (?, ?)",
        [(entry_id, keyword) for keyword in context.keywords],
    )


def write_search_columns(
    conn: sqlite3.Connection, entry_id: str, context: EntryContext | None
) -> bool:
    """Copy the context's searchable text onto the entry row, where triggers index it.

    Returns whether it changed (every field a user can edit is in it)."""
    keys, story = rows.search_columns(context)
    cursor = conn.execute(
        "UPDATE entries SET context_keys = ?, context_story = ? WHERE id = ? "
        "AND (context_keys <> ? OR context_story <> ?)",
        (keys, story, entry_id, keys, story),
    )
    return cursor.rowcount > 0


def upsert_context_vector(
    conn: sqlite3.Connection, entry_id: str, model_id: str, dimensions: int, vector: bytes
) -> None:
    """Keep the vector of an entry's context text (from an imported database)."""
    conn.execute(
        "INSERT INTO context_vectors (entry_id, model_id, dimensions, vector) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (entry_id) DO UPDATE SET model_id = excluded.model_id, "
        "dimensions = excluded.dimensions, vector = excluded.vector",
        (entry_id, model_id, dimensions, vector),
    )


def context_vectors(conn: sqlite3.Connection) -> dict[str, tuple[str, bytes]]:
    """entry id → (model id, float32 bytes) of every kept context vector."""
    return {
        str(row[0]): (str(row[1]), bytes(row[2]))
        for row in conn.execute("SELECT entry_id, model_id, vector FROM context_vectors")
    }


def _id_filter(ids: Sequence[str] | None) -> tuple[str, list[str]]:
    if ids is None:
        return "", []
    # A temporary table would be faster for huge lists; imports pass ids in chunks instead.
    return f" WHERE entry_id IN ({rows.marks(ids)})", list(ids)
