"""SQL for typed links between entries."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from rekall.core.entries import Link
from rekall.core.errors import NotFoundError, ValidationError

# What SQLite says when a link breaks the links table's own key or references, with the
# extended code that sqlite3 gives from Python 3.11 on: a trigger may RAISE any words.
_SAME_LINK = (
    "UNIQUE constraint failed: links.source_id, links.target_id, links.type",
    "SQLITE_CONSTRAINT_PRIMARYKEY",
)
_MISSING_ENTRY = ("FOREIGN KEY constraint failed", "SQLITE_CONSTRAINT_FOREIGNKEY")


def add_link(
    conn: sqlite3.Connection,
    source_id: str,
    target_id: str,
    link_type: str,
    reason: str | None,
    now: str,
) -> None:
    """Create a link. Raises ValidationError for a self-link or an existing identical link,
    NotFoundError when either entry does not exist (it may have just been deleted); any
    other refusal (a rule added to the base) passes as sqlite3 raised it."""
    if source_id == target_id:
        raise ValidationError("an entry cannot be linked to itself; give two different ids")
    try:
        conn.execute(
            "INSERT INTO links (source_id, target_id, type, reason, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (source_id, target_id, link_type, reason, now),
        )
    except sqlite3.IntegrityError as exc:
        if _broke(exc, _MISSING_ENTRY):
            raise NotFoundError(
                f"cannot link {source_id} to {target_id}: one of them no longer exists"
            ) from exc
        if _broke(exc, _SAME_LINK):
            raise ValidationError(
                f"{source_id} is already linked to {target_id} as '{link_type}'"
            ) from exc
        raise  # a rule added to the base (a trigger, an index) refused it: the edge names it


def _broke(exc: sqlite3.IntegrityError, rule: tuple[str, str]) -> bool:
    """Whether exc is SQLite refusing the write for rule (its message and extended code)."""
    message, code = rule
    return str(exc) == message and getattr(exc, "sqlite_errorname", code) == code


def remove_link(
    conn: sqlite3.Connection, source_id: str, target_id: str, link_type: str | None
) -> int:
    """Remove links between two entries (either direction); return how many. Raises NotFound."""
    type_clause = " AND type = ?" if link_type else ""
    params: list[str] = [source_id, target_id, target_id, source_id]
    if link_type:
        params = [source_id, target_id, link_type, target_id, source_id, link_type]
    removed = conn.execute(
        f"DELETE FROM links WHERE (source_id = ? AND target_id = ?{type_clause}) "
        f"OR (source_id = ? AND target_id = ?{type_clause})",
        params,
    ).rowcount
    if removed == 0:
        raise NotFoundError(f"no link between {source_id} and {target_id}")
    return int(removed)


def links_of(conn: sqlite3.Connection, entry_id: str) -> list[Link]:
    """Every link touching an entry, outgoing and incoming."""
    rows = conn.execute(
        "SELECT source_id, target_id, type, reason, created_at FROM links "
        "WHERE source_id = ? OR target_id = ? ORDER BY created_at",
        (entry_id, entry_id),
    ).fetchall()
    return [Link(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def related_ids(conn: sqlite3.Connection, entry_id: str, depth: int) -> list[tuple[str, int]]:
    """Entries reachable through links within depth hops, with their distance, nearest first."""
    return related_through(lambda current: links_of(conn, current), entry_id, depth)


def related_through(
    links_from: Callable[[str], list[Link]], entry_id: str, depth: int
) -> list[tuple[str, int]]:
    """Breadth-first walk over links_from(id), shared by both backends."""
    seen = {entry_id: 0}
    frontier = [entry_id]
    for hop in range(1, depth + 1):
        next_frontier: list[str] = []
        for current in frontier:
            for link in links_from(current):
                other = link.target_id if link.source_id == current else link.source_id
                if other not in seen:
                    seen[other] = hop
                    next_frontier.append(other)
        frontier = next_frontier
    return [(other, hop) for other, hop in seen.items() if other != entry_id]


def count_links(conn: sqlite3.Connection) -> int:
    """Number of links in the database."""
    return int(conn.execute("SELECT count(*) FROM links").fetchone()[0])


# orphan_links and dangling_supersessions serve PostgreSQL too (conn: either backend's),
# whose foreign keys should keep both lists empty: `rekall check` runs them on either.
ORPHAN_LINKS = (
    "SELECT source_id, target_id, type FROM links "
    "WHERE source_id NOT IN (SELECT id FROM entries) "
    "OR target_id NOT IN (SELECT id FROM entries)"
)
DANGLING_SUPERSESSIONS = (
    "SELECT id, superseded_by FROM entries WHERE superseded_by IS NOT NULL "
    "AND superseded_by NOT IN (SELECT id FROM entries)"
)


def orphan_links(conn: Any) -> list[tuple[str, str, str]]:
    """(source, target, type) of the links whose source or target entry does not exist."""
    return [(r[0], r[1], r[2]) for r in conn.execute(ORPHAN_LINKS)]


def dangling_supersessions(conn: Any) -> list[tuple[str, str]]:
    """(entry id, superseded_by) where superseded_by names no entry."""
    return [(r[0], r[1]) for r in conn.execute(DANGLING_SUPERSESSIONS)]
