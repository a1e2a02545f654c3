"""Spaced repetition (SM-2) and upkeep advice for entries nobody has looked at for a while."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from rekall.core.errors import ValidationError

GRADES = range(6)
PASSING_GRADE = 3
DEFAULT_EASE = 2.5
MIN_EASE = 1.3
FIRST_INTERVAL_DAYS = 1
SECOND_INTERVAL_DAYS = 6
# A new entry is first due this long after it was written, as if learned on that day.
NEW_ENTRY_DELAY = timedelta(days=FIRST_INTERVAL_DAYS)
DEFAULT_STALE_DAYS = 90
# A century: further back than any entry, and far from the calendar's overflow.
MAX_STALE_DAYS = 36_500
# Idle this long (and at least twice the asked threshold), knowledge is more likely outdated.
FORGOTTEN_DAYS = 365
GRADE_MEANINGS = {
    0: "blackout: no memory of it",
    1: "wrong, but it rang a bell once shown",
    2: "wrong, though it seemed easy once shown",
    3: "right, with serious effort",
    4: "right, after some hesitation",
    5: "right, instantly",
}


@dataclass(frozen=True)
class ReviewState:
    """Where an entry stands in its review schedule.

    repetitions: successful reviews in a row; interval: days until the next review;
    ease_factor: how fast the interval grows; next_review: when it is due (ISO-8601 UTC),
    None for an entry never reviewed.
    """

    repetitions: int = 0
    interval: int = 0
    ease_factor: float = DEFAULT_EASE
    next_review: str | None = None


def check_grade(grade: int) -> int:
    """Return the grade. Raises ValidationError outside 0-5."""
    if isinstance(grade, bool) or grade not in GRADES:
        raise ValidationError(f"grade {grade!r} is out of range; use 0 (forgot) to 5 (perfect)")
    return grade


def next_ease(ease: float, grade: int) -> float:
    """SM-2's ease update, EF + (0.1 − (5−q)(0.08 + (5−q)·0.02)), never below MIN_EASE.

    Kept to two decimals: every step is a multiple of 0.02, so nothing is lost but float noise.
    """
    miss = 5 - check_grade(grade)
    return max(MIN_EASE, round(ease + 0.1 - miss * (0.08 + miss * 0.02), 2))


def round_half_up(value: float) -> int:
    """Round .5 upwards (Python's round() goes to the even neighbour)."""
    return math.floor(round(value, 6) + 0.5)


def next_interval(state: ReviewState, grade: int) -> tuple[int, int]:
    """(repetitions, interval in days) after a review with this grade."""
    if check_grade(grade) < PASSING_GRADE:
        return 0, FIRST_INTERVAL_DAYS
    if state.repetitions == 0:
        return 1, FIRST_INTERVAL_DAYS
    if state.repetitions == 1:
        return 2, SECOND_INTERVAL_DAYS
    # The interval grows by the ease held before this review; the new ease applies next time.
    previous = max(state.interval, FIRST_INTERVAL_DAYS)
    return state.repetitions + 1, round_half_up(previous * state.ease_factor)


def schedule(state: ReviewState, grade: int, now: str) -> ReviewState:
    """The state after reviewing at now (ISO-8601) with a grade of 0-5.

    Grades below 3 restart the repetitions at a one-day interval; every grade moves the ease.
    Raises ValidationError on a grade outside 0-5 or a bad timestamp.
    """
    repetitions, interval = next_interval(state, grade)
    due = parse_instant(now) + timedelta(days=interval)
    return ReviewState(
        repetitions=repetitions,
        interval=interval,
        ease_factor=next_ease(state.ease_factor, grade),
        next_review=format_instant(due),
    )


def parse_instant(timestamp: str) -> datetime:
    """An ISO-8601 timestamp as an aware UTC datetime (naive ones are taken as UTC).

    Raises ValidationError when the text is not a timestamp.
    """
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError as exc:
        raise ValidationError(f"'{timestamp}' is not an ISO-8601 date and time") from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_instant(moment: datetime) -> str:
    """The storage form of a time: ISO-8601 UTC with microseconds, as the clock writes it."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def shift(timestamp: str, days: float) -> str:
    """A timestamp moved by a number of days (negative: earlier), in storage form."""
    return format_instant(parse_instant(timestamp) + timedelta(days=days))


def due_at(created_at: str, next_review: str | None) -> str:
    """When an entry is due: its scheduled review, or a day after it was written."""
    if next_review:
        return format_instant(parse_instant(next_review))
    return format_instant(parse_instant(created_at) + NEW_ENTRY_DELAY)


def idle_days(created_at: str, last_accessed: str | None, now: str) -> int:
    """Whole days since an entry was last opened (or written, when never opened)."""
    since = parse_instant(last_accessed or created_at)
    return max(0, (parse_instant(now) - since).days)


def suggest_upkeep(idle: int, links: int, confidence: int, stale_days: int) -> tuple[str, str]:
    """(action, why) for an entry idle for `idle` days: review, deprecate or link.

    Doubtful knowledge, or knowledge idle for a year and twice the threshold, is likely
    outdated; an entry without links is one nothing leads to; the rest deserves a fresh look.
    """
    if confidence <= 1:
        return "deprecate", "low confidence and unused: deprecate it unless it still holds"
    if idle >= max(2 * stale_days, FORGOTTEN_DAYS):
        return "deprecate", f"untouched for {idle} days: deprecate it if it is outdated"
    if links == 0:
        return "link", "nothing links to it: link it to related entries so it is found again"
    return "review", "check that it still holds, then edit or deprecate it"
