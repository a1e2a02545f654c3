"""SQL for entry context on PostgreSQL: structured JSON, legacy text, trigger keywords."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rekall.core.context import EntryContext


def read_contexts(conn: Any, ids: Sequence[str] | None = None) -> dict[str, EntryContext]:
    """entry id → context, for the given ids (or every entry); entries without one are absent."""
    where, params = ("", []) if ids is None else (" WHERE entry_id = ANY(%s)", [list(ids)])
    keywords: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(
        f"SELECT entry_id, keyword FROM context_keywords{where} ORDER BY entry_id, keyword",
        params,
    ):
        keywords[row[0]].append(row[1])
    found: dict[str, EntryContext] = {}
    for row in conn.execute(
        f"SELECT entry_id, structured, legacy_text FROM entry_context{where}", params
    ):
        structured = json.loads(row[1]) if row[1] is not None else None
        found[row[0]] = EntryContext(structured, row[2], tuple(keywords.pop(row[0], [])))
    for entry_id, words in keywords.items():
        found[entry_id] = EntryContext(None, None, tuple(words))
    return found


def write_context(conn: Any, entry_id: str, context: EntryContext | None) -> None:
    """Replace an entry's context and keywords (None removes them)."""
    conn.execute("DELETE FROM entry_context WHERE entry_id = %s", (entry_id,))
    conn.execute("DELETE FROM context_keywords WHERE entry_id = %s", (entry_id,))
    keys = "" if context is None else context.search_keys()
    story = "" if context is None else context.search_story()
    conn.execute(
        "UPDATE entries SET context_keys = %s, context_story = %s WHERE id = %s "
        "AND (context_keys <> %s OR context_story <> %s)",
        (keys, story, entry_id, keys, story),
    )
    if context is None:
        return
    if context.structured is not None or context.legacy_text is not None:
        structured = (
            None
            if context.structured is None
            else json.dumps(context.structured, ensure_ascii=False)
        )
        conn.execute(
            "INSERT INTO entry_context (entry_id, structured, legacy_text) VALUES (%s, %s, %s)",
            (entry_id, structured, context.legacy_text),
        )
    with conn.cursor() as cursor:
        if context.keywords:
            cursor.executemany(
                "INSERT INTO context_keywords (entry_id, keyword) VALUES (%s, %s)",
                [(entry_id, keyword) for keyword in context.keywords],
            )
