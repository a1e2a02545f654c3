"""SQL for merging entries: links re-pointed, supersession, accesses added up."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from rekall.storage import rows

MERGED_REASON = "merged into the kept entry"


def move_links(conn: sqlite3.Connection, keep: str, others: Sequence[str]) -> int:
    """Re-point every link of the others at keep; return how many links keep gained.

    A link between two merged entries would become a self-link and is dropped; one that
    repeats a link keep already has is dropped too. Type, reason and date are kept.
    """
    merged = {keep, *others}
    marks = rows.marks(others)
    links = conn.execute(
        "SELECT source_id, target_id, type, reason, created_at FROM links "
        f"WHERE source_id IN ({marks}) OR target_id IN ({marks}) ORDER BY created_at",
        [*others, *others],
    ).fetchall()
    conn.execute(
        f"DELETE FROM links WHERE source_id IN ({marks}) OR target_id IN ({marks})",
        [*others, *others],
    )
    moved = 0
    for source, target, kind, reason, created_at in links:
        source = keep if source in merged else source
        target = keep if target in merged else target
        if source != target:
            moved += conn.execute(
                "INSERT OR IGNORE INTO links (source_id, target_id, type, reason, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (source, target, kind, reason, created_at),
            ).rowcount
    return moved


def redirect_superseded(conn: sqlite3.Connection, keep: str, others: Sequence[str]) -> None:
    """Entries that were superseded by one of the others are now superseded by keep."""
    conn.execute(
        f"UPDATE entries SET superseded_by = ? WHERE superseded_by IN ({rows.marks(others)}) "
        "AND id <> ?",
        [keep, *others, keep],
    )


def supersede(conn: sqlite3.Connection, keep: str, other: str, now: str) -> None:
    """Deprecate other in favour of keep, with the 'supersedes' link from keep to it."""
    conn.execute(
        "UPDATE entries SET status = 'deprecated', superseded_by = ?, updated_at = ? WHERE id = ?",
        (keep, now, other),
    )
    conn.execute(
        "INSERT OR IGNORE INTO links (source_id, target_id, type, reason, created_at) "
        "VALUES (?, ?, 'supersedes', ?, ?)",
        (keep, other, MERGED_REASON, now),
    )


def absorb_access(conn: sqlite3.Connection, keep: str, others: Sequence[str]) -> None:
    """keep counts the accesses of the others too, and was last opened when any of them was."""
    marks = rows.marks(others)
    conn.execute(
        "UPDATE entries SET "
        f"access_count = access_count + (SELECT coalesce(sum(access_count), 0) FROM entries "
        f"WHERE id IN ({marks})), "
        "last_accessed = (SELECT max(last_accessed) FROM entries "
        f"WHERE id IN ({marks}) OR id = ?) WHERE id = ?",
        [*others, *others, keep, keep],
    )
