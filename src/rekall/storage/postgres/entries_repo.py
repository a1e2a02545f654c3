"""SQL for entries and their tags on PostgreSQL: the same functions as the SQLite repository."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rekall.core.entries import Entry, EntryFilter, NewEntry
from rekall.core.errors import NotFoundError, ValidationError
from rekall.storage import entries_repo
from rekall.storage.entries_repo import UPDATABLE
from rekall.storage.postgres.context_repo import write_context
from rekall.storage.rows import (
    ENTRY_COLUMNS,
    NEW_ENTRY_COLUMNS,
    entry_with_context,
    new_entry_values,
)


def select_with_context(extra_columns: str = "") -> str:
    """SELECT of entries (alias e) with their context in one statement, plus extra columns
    (starting with a comma): each round trip to the server costs more than the join."""
    return (
        f"SELECT {ENTRY_COLUMNS}, c.structured, c.legacy_text, ARRAY(SELECT k.keyword FROM "
        f"context_keywords k WHERE k.entry_id = e.id ORDER BY k.keyword) AS keywords"
        f"{extra_columns} FROM entries e LEFT JOIN entry_context c ON c.entry_id = e.id"
    )


SELECT_WITH_CONTEXT = select_with_context()
SORT_COLUMNS = {
    "updated": "updated_at DESC",
    "created": "created_at DESC",
    "title": "lower(title) ASC",
    "type": "type ASC, updated_at DESC",
    "accessed": "access_count DESC, updated_at DESC",
    "confidence": "confidence DESC, updated_at DESC",
}


def insert_entry(conn: Any, entry_id: str, new: NewEntry, now: str) -> int:
    """Insert an entry with its tags; return its integer seq."""
    values = new_entry_values(entry_id, new, now)
    placeholders = ", ".join(["%s"] * len(values))
    row = conn.execute(
        f"INSERT INTO entries ({NEW_ENTRY_COLUMNS}) VALUES ({placeholders}) RETURNING seq", values
    ).fetchone()
    _insert_tags(conn, entry_id, new.tags)
    if new.context is not None:
        write_context(conn, entry_id, new.context)
    return int(row[0])


def _insert_tags(conn: Any, entry_id: str, tags: Iterable[str]) -> None:
    rows = [(entry_id, tag) for tag in tags]
    if rows:
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO tags (entry_id, tag) VALUES (%s, %s)", rows)


def fetch_entry(conn: Any, entry_id: str) -> Entry:
    """Read one entry by full id. Raises NotFoundError."""
    row = conn.execute(f"{SELECT_WITH_CONTEXT} WHERE e.id = %s", (entry_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no entry with id {entry_id}; 'rekall list' shows the ids")
    return entry_with_context(row)


def fetch_by_seqs(conn: Any, seqs: Sequence[int]) -> dict[int, Entry]:
    """Read entries by seq, contexts included, in one statement; missing seqs are absent."""
    rows = conn.execute(f"{SELECT_WITH_CONTEXT} WHERE e.seq = ANY(%s)", (list(seqs),)).fetchall()
    return {int(row["seq"]): entry_with_context(row) for row in rows}


def seq_of(conn: Any, entry_id: str) -> int:
    """The integer seq of an entry. Raises NotFoundError."""
    row = conn.execute("SELECT seq FROM entries WHERE id = %s", (entry_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no entry with id {entry_id}")
    return int(row[0])


def resolve_id(conn: Any, text: str) -> str:
    """Resolve a full id or unique prefix, as on SQLite."""
    return entries_repo.resolve_id(conn, text, "%s")


def update_entry(conn: Any, entry_id: str, fields: Mapping[str, Any], now: str) -> bool:
    """Update the given columns and updated_at; whether the entry was there to update.
    Raises ValidationError on unknown columns."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValidationError(f"cannot update {', '.join(sorted(unknown))}")
    assignments = "".join(f"{name} = %s, " for name in fields)
    updated = conn.execute(
        f"UPDATE entries SET {assignments}updated_at = %s WHERE id = %s",
        [*fields.values(), now, entry_id],
    ).rowcount
    return bool(updated)


def replace_tags(conn: Any, entry_id: str, tags: Iterable[str]) -> None:
    """Replace the tags of an entry (and the denormalised tags_text the search reads)."""
    tag_list = sorted(set(tags))
    conn.execute("DELETE FROM tags WHERE entry_id = %s", (entry_id,))
    _insert_tags(conn, entry_id, tag_list)
    conn.execute("UPDATE entries SET tags_text = %s WHERE id = %s", (" ".join(tag_list), entry_id))


def stamp_author(conn: Any, entry_id: str, author: str, created: bool) -> None:
    """Record who wrote an entry: the creator too when created, else only the last editor."""
    column = "created_by = %s, updated_by = %s" if created else "updated_by = %s"
    values = (author, author) if created else (author,)
    conn.execute(f"UPDATE entries SET {column} WHERE id = %s", (*values, entry_id))


def delete_entry(conn: Any, entry_id: str) -> None:
    """Delete an entry; tags, links and its vector go with it (foreign keys cascade)."""
    conn.execute("DELETE FROM entries WHERE id = %s", (entry_id,))


def record_access(conn: Any, entry_id: str, now: str) -> None:
    """Count one more access of an entry."""
    conn.execute(
        "UPDATE entries SET access_count = access_count + 1, last_accessed = %s WHERE id = %s",
        (now, entry_id),
    )


def filter_clause(filters: EntryFilter, alias: str = "e") -> tuple[str, list[Any]]:
    """A WHERE fragment (starting with ' AND' or empty) restricting entries to the filter."""
    parts: list[str] = []
    params: list[Any] = []
    if filters.types:
        parts.append(f"{alias}.type = ANY(%s)")
        params.append(list(filters.types))
    if filters.project is not None:
        parts.append(f"{alias}.project = %s")
        params.append(filters.project)
    if filters.status is not None:
        parts.append(f"{alias}.status = %s")
        params.append(filters.status)
    for tag in filters.tags:
        parts.append(f"EXISTS (SELECT 1 FROM tags t WHERE t.entry_id = {alias}.id AND t.tag = %s)")
        params.append(tag)
    return "".join(f" AND {part}" for part in parts), params


def list_entries(
    conn: Any, filters: EntryFilter, sort: str = "updated", limit: int = 20, offset: int = 0
) -> list[Entry]:
    """Entries matching the filter, sorted. Raises ValidationError on an unknown sort."""
    if sort not in SORT_COLUMNS:
        raise ValidationError(f"unknown sort '{sort}'; use one of: {', '.join(SORT_COLUMNS)}")
    clause, params = filter_clause(filters)
    rows = conn.execute(
        f"{SELECT_WITH_CONTEXT} WHERE true{clause} "
        f"ORDER BY {SORT_COLUMNS[sort]}, seq DESC LIMIT %s OFFSET %s",
        [*params, limit, offset],
    ).fetchall()
    return [entry_with_context(row) for row in rows]


def count_matching(conn: Any, filters: EntryFilter) -> int:
    """How many entries the filter lets through."""
    clause, params = filter_clause(filters)
    row = conn.execute(f"SELECT count(*) FROM entries e WHERE true{clause}", params).fetchone()
    return int(row[0])


def filtered_seqs(conn: Any, filters: EntryFilter) -> list[int] | None:
    """The seqs of every entry the filter allows (None: the filter is empty)."""
    if filters.is_empty:
        return None
    clause, params = filter_clause(filters)
    return [
        int(r[0]) for r in conn.execute(f"SELECT seq FROM entries e WHERE true{clause}", params)
    ]


def count_entries(conn: Any) -> dict[str, int]:
    """Entry counts per type and status, plus the total under 'total'."""
    counts: dict[str, int] = {"total": 0}
    for row in conn.execute("SELECT type, status, count(*) FROM entries GROUP BY type, status"):
        counts[row[0]] = counts.get(row[0], 0) + row[2]
        counts[row[1]] = counts.get(row[1], 0) + row[2]
        counts["total"] += row[2]
    return counts


def supersessions(conn: Any) -> dict[str, str]:
    """Every entry id that is superseded, mapped to the id that supersedes it."""
    rows = conn.execute("SELECT id, superseded_by FROM entries WHERE superseded_by IS NOT NULL")
    return {str(row[0]): str(row[1]) for row in rows}
