"""Review work for the facade: due entries, grading them (SM-2), and entries left idle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rekall.core.entries import Entry
from rekall.core.errors import NotFoundError, ValidationError
from rekall.core.review import (
    MAX_STALE_DAYS,
    NEW_ENTRY_DELAY,
    ReviewState,
    due_at,
    format_instant,
    idle_days,
    parse_instant,
    schedule,
    shift,
    suggest_upkeep,
)

if TYPE_CHECKING:
    from rekall.storage.contract import Store

MAX_REVIEW_LIMIT = 1000
MAX_STALE_LIMIT = 100_000


@dataclass(frozen=True)
class ReviewItem:
    """An entry with its review schedule and when it is (or was) due."""

    entry: Entry
    state: ReviewState
    due_at: str


@dataclass(frozen=True)
class StaleItem:
    """An entry nobody opened for a while, and what to do about it."""

    entry: Entry
    idle_days: int
    links: int
    action: str
    reason: str


def _check_limit(limit: int, highest: int) -> int:
    if not 1 <= limit <= highest:
        raise ValidationError(f"limit {limit} is out of range; use 1-{highest}")
    return limit


def review_queue(
    db: Store, clock: Callable[[], str], project: str | None, limit: int
) -> list[ReviewItem]:
    """Active entries due for review now, most overdue first (new ones a day after writing).

    Raises ValidationError on a limit outside 1-1000.
    """
    _check_limit(limit, MAX_REVIEW_LIMIT)
    now = _now(clock)
    created_before = format_instant(parse_instant(now) - NEW_ENTRY_DELAY)
    with db.read() as conn:
        rows = db.repos.review.due_entries(conn, now, created_before, project, limit)
    return [
        ReviewItem(entry, state, due_at(entry.created_at, state.next_review))
        for entry, state in rows
    ]


def count_due(db: Store, clock: Callable[[], str], project: str | None) -> int:
    """How many active entries are due for review now."""
    now = _now(clock)
    created_before = format_instant(parse_instant(now) - NEW_ENTRY_DELAY)
    with db.read() as conn:
        return db.repos.review.count_due(conn, now, created_before, project)


def grade_review(db: Store, clock: Callable[[], str], id_or_prefix: str, grade: int) -> ReviewItem:
    """Record a review graded 0-5 and schedule the next one; the review counts as an access.

    Raises ValidationError on a bad grade, NotFoundError or AmbiguousIdError on the id.
    """
    now = _now(clock)
    with db.write() as (conn, _):
        entry_id = db.repos.entries.resolve_id(conn, id_or_prefix)
        state = db.repos.review.read_state(conn, entry_id)
        if state is None:
            raise NotFoundError(f"no entry with id {entry_id}")
        new_state = schedule(state, grade, now)
        db.repos.review.write_state(conn, entry_id, new_state)
        db.repos.entries.record_access(conn, entry_id, now)
        entry = db.repos.entries.fetch_entry(conn, entry_id)
    return ReviewItem(entry, new_state, due_at(entry.created_at, new_state.next_review))


def stale_entries(
    db: Store, clock: Callable[[], str], days: int, project: str | None, limit: int
) -> list[StaleItem]:
    """Active entries not opened for `days` days (or since written), longest idle first,
    each with a suggestion: review, deprecate or link. Raises ValidationError."""
    if not 1 <= days <= MAX_STALE_DAYS:
        raise ValidationError(f"days must be 1-{MAX_STALE_DAYS:,}, not {days}")
    _check_limit(limit, MAX_STALE_LIMIT)
    now = _now(clock)
    with db.read() as conn:
        rows = db.repos.review.idle_entries(conn, shift(now, -days), project, limit)
    items = []
    for entry, links in rows:
        idle = idle_days(entry.created_at, entry.last_accessed, now)
        action, reason = suggest_upkeep(idle, links, entry.confidence, days)
        items.append(StaleItem(entry, idle, links, action, reason))
    return items


def _now(clock: Callable[[], str]) -> str:
    return format_instant(parse_instant(clock()))
