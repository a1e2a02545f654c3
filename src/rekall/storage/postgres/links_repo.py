"""SQL for typed links between entries on PostgreSQL."""

from __future__ import annotations

from typing import Any

from rekall.core.entries import Link
from rekall.core.errors import NotFoundError, ValidationError
from rekall.storage.links_repo import dangling_supersessions as dangling_supersessions
from rekall.storage.links_repo import orphan_links as orphan_links
from rekall.storage.links_repo import related_through


def add_link(
    conn: Any, source_id: str, target_id: str, link_type: str, reason: str | None, now: str
) -> None:
    """Create a link. Raises ValidationError for a self-link or an existing identical link,
    NotFoundError when either entry does not exist (it may have just been deleted); any
    other refusal (a rule added to the base) passes as the write scope raised it."""
    if source_id == target_id:
        raise ValidationError("an entry cannot be linked to itself; give two different ids")
    found = conn.execute(
        "SELECT count(*) FROM entries WHERE id IN (%s, %s)", (source_id, target_id)
    ).fetchone()
    if int(found[0]) < 2:
        raise NotFoundError(f"cannot link {source_id} to {target_id}: one of them no longer exists")
    # ON CONFLICT rather than catching the error: a failed statement would abort the
    # whole transaction, and callers (test data, imports) go on after a duplicate. Only on
    # links' own key: a unique index added to the base refuses the write like its checks
    # and triggers do, and the command's edge names it.
    inserted = conn.execute(
        "INSERT INTO links (source_id, target_id, type, reason, created_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (source_id, target_id, type) DO NOTHING",
        (source_id, target_id, link_type, reason, now),
    ).rowcount
    if inserted == 0 and _linked(conn, source_id, target_id, link_type):
        raise ValidationError(f"{source_id} is already linked to {target_id} as '{link_type}'")
    # Neither: a BEFORE trigger of the base returned NULL, and the caller finds no link.


def _linked(conn: Any, source_id: str, target_id: str, link_type: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM links WHERE source_id = %s AND target_id = %s AND type = %s",
        (source_id, target_id, link_type),
    ).fetchone()
    return row is not None


def remove_link(conn: Any, source_id: str, target_id: str, link_type: str | None) -> int:
    """Remove links between two entries (either direction); return how many. Raises NotFound."""
    removed = conn.execute(
        "DELETE FROM links WHERE ((source_id = %s AND target_id = %s) "
        "OR (source_id = %s AND target_id = %s)) AND (type = %s OR %s::text IS NULL)",
        (source_id, target_id, target_id, source_id, link_type, link_type),
    ).rowcount
    if removed == 0:
        raise NotFoundError(f"no link between {source_id} and {target_id}")
    return int(removed)


def links_of(conn: Any, entry_id: str) -> list[Link]:
    """Every link touching an entry, outgoing and incoming."""
    rows = conn.execute(
        "SELECT source_id, target_id, type, reason, created_at FROM links "
        "WHERE source_id = %s OR target_id = %s ORDER BY created_at",
        (entry_id, entry_id),
    ).fetchall()
    return [Link(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def related_ids(conn: Any, entry_id: str, depth: int) -> list[tuple[str, int]]:
    """Entries reachable through links within depth hops, with their distance, nearest first."""
    return related_through(lambda current: links_of(conn, current), entry_id, depth)


def count_links(conn: Any) -> int:
    """Number of links in the base."""
    return int(conn.execute("SELECT count(*) FROM links").fetchone()[0])
