"""SQL for entry context on PostgreSQL: structured JSON, legacy text, trigger keywords."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rekall.core.context import EntryContext
from rekall.storage import rows


def read_contexts(conn: Any, ids: Sequence[str] | None = None) -> dict[str, EntryContext]:
    """entry id → context, for the given ids (or every entry); entries without one are absent."""
    where, params = ("", []) if ids is None else (" WHERE entry_id = ANY(%s)", [list(ids)])
    return rows.contexts_from_rows(
        conn.execute(
            f"SELECT entry_id, keyword FROM context_keywords{where} ORDER BY entry_id, keyword",
            params,
        ).fetchall(),
        conn.execute(
            f"SELECT entry_id, structured, legacy_text FROM entry_context{where}", params
        ).fetchall(),
    )


def write_context(conn: Any, entry_id: str, context: EntryContext | None) -> None:
    """Replace an entry's context and keywords (None removes them); a kept context vector
    goes when the context's searchable text (every field a user can edit) changes."""
    conn.execute("DELETE FROM entry_context WHERE entry_id = %s", (entry_id,))
    conn.execute("DELETE FROM context_keywords WHERE entry_id = %s", (entry_id,))
    keys, story = rows.search_columns(context)
    changed = conn.execute(
        "UPDATE entries SET context_keys = %s, context_story = %s WHERE id = %s "
        "AND (context_keys <> %s OR context_story <> %s)",
        (keys, story, entry_id, keys, story),
    ).rowcount
    if changed:
        conn.execute("DELETE FROM context_vectors WHERE entry_id = %s", (entry_id,))
    if context is None:
        return
    stored = rows.stored_context(context)
    if stored is not None:
        conn.execute(
            "INSERT INTO entry_context (entry_id, structured, legacy_text) VALUES (%s, %s, %s)",
            (entry_id, *stored),
        )
    if context.keywords:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO context_keywords (entry_id, keyword) VALUES (%s, %s)",
                [(entry_id, keyword) for keyword in context.keywords],
            )
