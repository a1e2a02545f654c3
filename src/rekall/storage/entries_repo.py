"""SQL for entries and their tags: insert, read, resolve ids, update, delete, list, filter."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rekall.core.entries import Entry, EntryFilter, NewEntry
from rekall.core.errors import AmbiguousIdError, NotFoundError, ValidationError
from rekall.core.ids import looks_like_id_prefix, normalize_id_prefix
from rekall.storage import context_repo
from rekall.storage.rows import (
    ENTRY_COLUMNS,
    NEW_ENTRY_COLUMNS,
    attach_contexts,
    chunked,
    marks,
    new_entry_values,
    row_to_entry,
)

SORT_COLUMNS = {
    "updated": "updated_at DESC",
    "created": "created_at DESC",
    "title": "title COLLATE NOCASE ASC",
    "type": "type ASC, updated_at DESC",
    "accessed": "access_count DESC, updated_at DESC",
    "confidence": "confidence DESC, updated_at DESC",
}
UPDATABLE = frozenset(
    {"type", "title", "content", "project", "confidence", "status", "superseded_by"}
)


def insert_entry(conn: sqlite3.Connection, entry_id: str, new: NewEntry, now: str) -> int:
    """Insert an entry with its tags; return its integer seq."""
    values = new_entry_values(entry_id, new, now)
    cursor = conn.execute(
        f"INSERT INTO entries ({NEW_ENTRY_COLUMNS}) VALUES ({marks(values)})", values
    )
    conn.executemany(
        "INSERT INTO tags (entry_id, tag) VALUES (?, ?)", [(entry_id, t) for t in new.tags]
    )
    if new.context is not None:
        context_repo.write_context(conn, entry_id, new.context)
    return int(cursor.lastrowid or 0)


def with_contexts(conn: sqlite3.Connection, entries: list[Entry]) -> list[Entry]:
    """The entries with their context filled in (one query for all of them)."""
    contexts = {}
    for chunk in chunked([entry.id for entry in entries]):
        contexts.update(context_repo.read_contexts(conn, chunk))
    return attach_contexts(entries, contexts)


def fetch_entry(conn: sqlite3.Connection, entry_id: str) -> Entry:
    """Read one entry by full id, context included. Raises NotFoundError."""
    row = conn.execute(f"SELECT {ENTRY_COLUMNS} FROM entries WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no entry with id {entry_id}; 'rekall list' shows the ids")
    return with_contexts(conn, [row_to_entry(row)])[0]


def fetch_by_seqs(conn: sqlite3.Connection, seqs: Sequence[int]) -> dict[int, Entry]:
    """Read entries by seq, contexts included; missing seqs are simply absent from the result."""
    found: dict[int, Entry] = {}
    for chunk in chunked(seqs):
        rows = conn.execute(
            f"SELECT {ENTRY_COLUMNS} FROM entries WHERE seq IN ({marks(chunk)})", chunk
        ).fetchall()
        entries = with_contexts(conn, [row_to_entry(row) for row in rows])
        found.update((row["seq"], entry) for row, entry in zip(rows, entries, strict=True))
    return found


def seq_of(conn: sqlite3.Connection, entry_id: str) -> int:
    """The integer seq of an entry. Raises NotFoundError."""
    row = conn.execute("SELECT seq FROM entries WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no entry with id {entry_id}")
    return int(row[0])


def resolve_id(conn: Any, text: str, mark: str = "?") -> str:
    """Resolve a full id or unique prefix. Raises ValidationError (not an id at all),
    NotFoundError or AmbiguousIdError. mark: the driver's parameter mark (PostgreSQL: %s)."""
    if not looks_like_id_prefix(text):
        raise ValidationError(
            f"'{text}' is not an entry id; ids look like 01JD3K... ('rekall list' shows them)"
        )
    prefix = normalize_id_prefix(text)
    rows = conn.execute(
        f"SELECT id, title FROM entries WHERE id >= {mark} AND id < {mark} ORDER BY id LIMIT 11",
        (prefix, prefix + "~"),
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no entry id starts with '{text}'; 'rekall list' shows the ids")
    if len(rows) > 1:
        raise AmbiguousIdError(text, [(r[0], r[1]) for r in rows[:10]])
    return str(rows[0][0])


def update_entry(
    conn: sqlite3.Connection, entry_id: str, fields: Mapping[str, Any], now: str
) -> bool:
    """Update the given columns and updated_at; whether the entry was there to update.
    Raises ValidationError on unknown columns."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValidationError(f"cannot update {', '.join(sorted(unknown))}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    values = [*fields.values(), now, entry_id]
    updated = conn.execute(
        f"UPDATE entries SET {assignments}{', ' if fields else ''}updated_at = ? WHERE id = ?",
        values,
    ).rowcount
    return bool(updated)


def replace_tags(conn: sqlite3.Connection, entry_id: str, tags: Iterable[str]) -> None:
    """Replace the tags of an entry (and the denormalised tags_text FTS indexes)."""
    tag_list = sorted(set(tags))
    conn.execute("DELETE FROM tags WHERE entry_id = ?", (entry_id,))
    conn.executemany(
        "INSERT INTO tags (entry_id, tag) VALUES (?, ?)", [(entry_id, t) for t in tag_list]
    )
    conn.execute("UPDATE entries SET tags_text = ? WHERE id = ?", (" ".join(tag_list), entry_id))


def stamp_author(conn: sqlite3.Connection, entry_id: str, author: str, created: bool) -> None:
    """Record who wrote an entry: the creator too when created, else only the last editor."""
    column = "created_by = ?, updated_by = ?" if created else "updated_by = ?"
    values = (author, author) if created else (author,)
    conn.execute(f"UPDATE entries SET {column} WHERE id = ?", (*values, entry_id))


def delete_entry(conn: sqlite3.Connection, entry_id: str) -> None:
    """Delete an entry; tags, links and its vector go with it (foreign keys cascade)."""
    conn.execute("DELETE FROM entries WHERE id = ?", (entry_id,))


def record_access(conn: sqlite3.Connection, entry_id: str, now: str) -> None:
    """Count one more access of an entry."""
    conn.execute(
        "UPDATE entries SET access_count = access_count + 1, last_accessed = ? WHERE id = ?",
        (now, entry_id),
    )


# Statuses nearly every entry has: their index would select the whole base (see list_entries).
COMMON_STATUSES = frozenset({"active"})


def filter_clause(
    filters: EntryFilter, alias: str = "e", for_page: bool = False
) -> tuple[str, list[Any]]:
    """A WHERE fragment (starting with ' AND' or empty) restricting entries to the filter.

    for_page: the status index is not used for a common status. Through it SQLite would sort
    every active entry to return one page (about 1 s at 10K on a loaded machine); walking
    the sort's own index instead stops once the page is full (0.3 ms).
    """
    parts: list[str] = []
    params: list[Any] = []
    if filters.types:
        parts.append(f"{alias}.type IN ({','.join('?' * len(filters.types))})")
        params.extend(filters.types)
    if filters.project is not None:
        parts.append(f"{alias}.project = ?")
        params.append(filters.project)
    if filters.status is not None:
        unindexed = for_page and filters.status in COMMON_STATUSES
        parts.append(f"{'+' if unindexed else ''}{alias}.status = ?")
        params.append(filters.status)
    for tag in filters.tags:
        parts.append(f"EXISTS (SELECT 1 FROM tags t WHERE t.entry_id = {alias}.id AND t.tag = ?)")
        params.append(tag)
    clause = "".join(f" AND {part}" for part in parts)
    return clause, params


def list_entries(
    conn: sqlite3.Connection,
    filters: EntryFilter,
    sort: str = "updated",
    limit: int = 20,
    offset: int = 0,
) -> list[Entry]:
    """Entries matching the filter, sorted. Raises ValidationError on an unknown sort."""
    if sort not in SORT_COLUMNS:
        raise ValidationError(f"unknown sort '{sort}'; use one of: {', '.join(SORT_COLUMNS)}")
    clause, params = filter_clause(filters, for_page=True)
    rows = conn.execute(
        f"SELECT {ENTRY_COLUMNS} FROM entries e WHERE 1 = 1{clause} "
        f"ORDER BY {SORT_COLUMNS[sort]}, seq DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return with_contexts(conn, [row_to_entry(row) for row in rows])


def count_matching(conn: sqlite3.Connection, filters: EntryFilter) -> int:
    """How many entries the filter lets through."""
    clause, params = filter_clause(filters)
    row = conn.execute(f"SELECT count(*) FROM entries e WHERE 1 = 1{clause}", params).fetchone()
    return int(row[0])


def filtered_seqs(conn: sqlite3.Connection, filters: EntryFilter) -> list[int] | None:
    """The seqs of every entry the filter allows, or None when it lets every entry through.

    The common filter, status = active, passes everything in a base without deprecated
    entries: one indexed probe then saves listing every seq.
    """
    if passes_every_entry(conn, filters):
        return None
    clause, params = filter_clause(filters)
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: several times faster than sqlite3.Row here
    return [
        row[0] for row in cursor.execute(f"SELECT seq FROM entries e WHERE 1 = 1{clause}", params)
    ]


def passes_every_entry(conn: sqlite3.Connection, filters: EntryFilter) -> bool:
    """Whether the filter lets every entry through: no filter, or only a status that every
    entry has (one indexed probe)."""
    return filters == EntryFilter(status=filters.status) and not _has_other_status(
        conn, filters.status
    )


def _has_other_status(conn: sqlite3.Connection, status: str | None) -> bool:
    if status is None:
        return False
    # Two range probes of the status index, not a scan of it.
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM entries WHERE status < ? OR status > ?)", (status, status)
    ).fetchone()
    return bool(row[0])


def count_entries(conn: sqlite3.Connection) -> dict[str, int]:
    """Entry counts per type and status, plus the total under 'total'."""
    counts: dict[str, int] = {"total": 0}
    for row in conn.execute("SELECT type, status, count(*) FROM entries GROUP BY type, status"):
        counts[row[0]] = counts.get(row[0], 0) + row[2]
        counts[row[1]] = counts.get(row[1], 0) + row[2]
        counts["total"] += row[2]
    return counts


def supersessions(conn: sqlite3.Connection) -> dict[str, str]:
    """Every entry id that is superseded, mapped to the id that supersedes it."""
    rows = conn.execute("SELECT id, superseded_by FROM entries WHERE superseded_by IS NOT NULL")
    return {str(row[0]): str(row[1]) for row in rows}
