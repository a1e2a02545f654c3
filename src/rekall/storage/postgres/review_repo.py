"""SQL for review schedules on PostgreSQL: due entries, saving a schedule, idle entries."""

from __future__ import annotations

from typing import Any

from rekall.core.entries import Entry
from rekall.core.review import ReviewState
from rekall.storage.review_repo import LINK_COUNT, STATE_COLUMNS, read_row_state
from rekall.storage.rows import ENTRY_COLUMNS, row_to_entry

# Times compare as text: the clock writes one ISO-8601 UTC form, so text order is time order.
DUE_WHERE = (
    "status = 'active' AND (project = %s OR %s::text IS NULL) AND "
    "((next_review IS NOT NULL AND next_review <= %s) "
    "OR (next_review IS NULL AND created_at <= %s))"
)


def due_entries(
    conn: Any, now: str, created_before: str, project: str | None, limit: int
) -> list[tuple[Entry, ReviewState]]:
    """Active entries due at now, most overdue first, with their schedules."""
    rows = conn.execute(
        f"SELECT {ENTRY_COLUMNS}, {STATE_COLUMNS} FROM entries WHERE {DUE_WHERE} "
        "ORDER BY coalesce(next_review, created_at), seq LIMIT %s",
        (project, project, now, created_before, limit),
    ).fetchall()
    return [(row_to_entry(row), read_row_state(row)) for row in rows]


def count_due(conn: Any, now: str, created_before: str, project: str | None) -> int:
    """How many active entries are due at now."""
    row = conn.execute(
        f"SELECT count(*) FROM entries WHERE {DUE_WHERE}", (project, project, now, created_before)
    ).fetchone()
    return int(row[0])


def read_state(conn: Any, entry_id: str) -> ReviewState | None:
    """An entry's schedule, or None when there is no such entry."""
    row = conn.execute(f"SELECT {STATE_COLUMNS} FROM entries WHERE id = %s", (entry_id,)).fetchone()
    return None if row is None else read_row_state(row)


def write_state(conn: Any, entry_id: str, state: ReviewState) -> None:
    """Store an entry's schedule (not an edit: updated_at stays)."""
    conn.execute(
        "UPDATE entries SET review_repetitions = %s, review_interval = %s, ease_factor = %s, "
        "next_review = %s WHERE id = %s",
        (state.repetitions, state.interval, state.ease_factor, state.next_review, entry_id),
    )


def idle_entries(
    conn: Any, idle_before: str, project: str | None, limit: int
) -> list[tuple[Entry, int]]:
    """Active entries idle since before idle_before, longest first, with their link counts."""
    rows = conn.execute(
        f"SELECT {ENTRY_COLUMNS}, {LINK_COUNT} AS link_count FROM entries e "
        "WHERE status = 'active' AND (project = %s OR %s::text IS NULL) "
        "AND coalesce(last_accessed, created_at) < %s "
        "ORDER BY coalesce(last_accessed, created_at), seq LIMIT %s",
        (project, project, idle_before, limit),
    ).fetchall()
    return [(row_to_entry(row), int(row["link_count"])) for row in rows]
