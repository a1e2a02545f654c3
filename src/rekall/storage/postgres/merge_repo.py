"""SQL for merging entries on PostgreSQL: links re-pointed, supersession, accesses added up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rekall.storage.merge_repo import MERGED_REASON

INSERT_LINK = (
    "INSERT INTO links (source_id, target_id, type, reason, created_at) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)


def move_links(conn: Any, keep: str, others: Sequence[str]) -> int:
    """Re-point every link of the others at keep; return how many links keep gained."""
    merged = {keep, *others}
    rows = conn.execute(
        "DELETE FROM links WHERE source_id = ANY(%s) OR target_id = ANY(%s) "
        "RETURNING source_id, target_id, type, reason, created_at",
        (list(others), list(others)),
    ).fetchall()
    moved = 0
    for source, target, kind, reason, created_at in sorted(rows, key=lambda r: r[4]):
        source = keep if source in merged else source
        target = keep if target in merged else target
        if source != target:
            moved += conn.execute(INSERT_LINK, (source, target, kind, reason, created_at)).rowcount
    return moved


def redirect_superseded(conn: Any, keep: str, others: Sequence[str]) -> None:
    """Entries that were superseded by one of the others are now superseded by keep."""
    conn.execute(
        "UPDATE entries SET superseded_by = %s WHERE superseded_by = ANY(%s) AND id <> %s",
        (keep, list(others), keep),
    )


def supersede(conn: Any, keep: str, other: str, now: str) -> None:
    """Deprecate other in favour of keep, with the 'supersedes' link from keep to it."""
    conn.execute(
        "UPDATE entries SET status = 'deprecated', superseded_by = %s, updated_at = %s "
        "WHERE id = %s",
        (keep, now, other),
    )
    conn.execute(INSERT_LINK, (keep, other, "supersedes", MERGED_REASON, now))


def absorb_access(conn: Any, keep: str, others: Sequence[str]) -> None:
    """keep counts the accesses of the others too, and was last opened when any of them was."""
    conn.execute(
        "UPDATE entries SET access_count = access_count + (SELECT coalesce(sum(access_count), 0) "
        "FROM entries WHERE id = ANY(%s)), last_accessed = (SELECT max(last_accessed) "
        "FROM entries WHERE id = ANY(%s) OR id = %s) WHERE id = %s",
        (list(others), list(others), keep, keep),
    )
