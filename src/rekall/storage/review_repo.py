"""SQL for review schedules: due entries, saving a schedule, and entries left idle."""

from __future__ import annotations

import sqlite3

from rekall.core.entries import Entry
from rekall.core.review import DEFAULT_EASE, ReviewState
from rekall.storage.rows import ENTRY_COLUMNS, row_to_entry

STATE_COLUMNS = "review_repetitions, review_interval, ease_factor, next_review"
# Times compare as text: the clock writes one ISO-8601 UTC form, so text order is time order.
DUE_WHERE = (
    "status = 'active' AND (project = ? OR ? IS NULL) AND "
    "((next_review IS NOT NULL AND next_review <= ?) "
    "OR (next_review IS NULL AND created_at <= ?))"
)
LINK_COUNT = (
    "(SELECT count(*) FROM links l WHERE l.source_id = e.id)"
    " + (SELECT count(*) FROM links l WHERE l.target_id = e.id)"
)


def read_row_state(row: sqlite3.Row) -> ReviewState:
    """The schedule columns (STATE_COLUMNS) of a row."""
    return ReviewState(
        repetitions=int(row["review_repetitions"]),
        interval=int(row["review_interval"] or 0),
        ease_factor=float(row["ease_factor"] or DEFAULT_EASE),
        next_review=row["next_review"],
    )


def due_entries(
    conn: sqlite3.Connection, now: str, created_before: str, project: str | None, limit: int
) -> list[tuple[Entry, ReviewState]]:
    """Active entries due at now, most overdue first, with their schedules.

    A never-reviewed entry is due once it was created at or before created_before.
    """
    rows = conn.execute(
        f"SELECT {ENTRY_COLUMNS}, {STATE_COLUMNS} FROM entries WHERE {DUE_WHERE} "
        "ORDER BY coalesce(next_review, created_at), seq LIMIT ?",
        (project, project, now, created_before, limit),
    ).fetchall()
    return [(row_to_entry(row), read_row_state(row)) for row in rows]


def count_due(conn: sqlite3.Connection, now: str, created_before: str, project: str | None) -> int:
    """How many active entries are due at now."""
    row = conn.execute(
        f"SELECT count(*) FROM entries WHERE {DUE_WHERE}",
        (project, project, now, created_before),
    ).fetchone()
    return int(row[0])


def read_state(conn: sqlite3.Connection, entry_id: str) -> ReviewState | None:
    """An entry's schedule, or None when there is no such entry."""
    row = conn.execute(f"SELECT {STATE_COLUMNS} FROM entries WHERE id = ?", (entry_id,)).fetchone()
    return None if row is None else read_row_state(row)


def write_state(conn: sqlite3.Connection, entry_id: str, state: ReviewState) -> None:
    """Store an entry's schedule (not an edit: updated_at stays)."""
    conn.execute(
        "UPDATE entries SET review_repetitions = ?, review_interval = ?, ease_factor = ?, "
        "next_review = ? WHERE id = ?",
        (state.repetitions, state.interval, state.ease_factor, state.next_review, entry_id),
    )


def idle_entries(
    conn: sqlite3.Connection, idle_before: str, project: str | None, limit: int
) -> list[tuple[Entry, int]]:
    """Active entries last opened (or, never opened, written) before idle_before, longest
    idle first, each with how many links touch it."""
    rows = conn.execute(
        f"SELECT {ENTRY_COLUMNS}, {LINK_COUNT} AS link_count FROM entries e "
        "WHERE status = 'active' AND (project = ? OR ? IS NULL) "
        "AND coalesce(last_accessed, created_at) < ? "
        "ORDER BY coalesce(last_accessed, created_at), seq LIMIT ?",
        (project, project, idle_before, limit),
    ).fetchall()
    return [(row_to_entry(row), int(row["link_count"])) for row in rows]
