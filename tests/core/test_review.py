"""SM-2 scheduling against hand-computed steps, due dates, and upkeep suggestions."""

from __future__ import annotations

import pytest

from rekall.core.errors import ValidationError
from rekall.core.review import (
    MIN_EASE,
    ReviewState,
    due_at,
    idle_days,
    next_ease,
    round_half_up,
    schedule,
    shift,
    suggest_upkeep,
)

T0 = "2026-01-01T09:00:00.000000+00:00"


def run(grades: list[int], start: ReviewState | None = None) -> list[ReviewState]:
    """The states after each grade, one review per day at 09:00 UTC (the day does not matter
    to SM-2: only the grade does)."""
    state = start or ReviewState()
    states = []
    for day, grade in enumerate(grades):
        state = schedule(state, grade, shift(T0, day))
        states.append(state)
    return states


# Hand-computed: EF' = EF + 0.1 - (5-q)(0.08 + (5-q)*0.02); intervals 1, 6, then
# round(previous interval × EF held before the review); q < 3 restarts at 1 day.
WORKED_EXAMPLES = [
    # three perfect recalls: EF 2.5 → 2.6 → 2.7 → 2.8; 6 × 2.7 = 16.2 → 16
    ([5, 5, 5], [(1, 1, 2.6), (2, 6, 2.7), (3, 16, 2.8)]),
    # a fourth: 16 × 2.8 = 44.8 → 45, EF 2.9
    ([5, 5, 5, 5], [(1, 1, 2.6), (2, 6, 2.7), (3, 16, 2.8), (4, 45, 2.9)]),
    # grade 4 leaves EF alone: 6 × 2.5 = 15
    ([4, 4, 4], [(1, 1, 2.5), (2, 6, 2.5), (3, 15, 2.5)]),
    # grade 3 lowers EF by 0.14 each time: 2.36, 2.22, 2.08; 6 × 2.22 = 13.32 → 13
    ([3, 3, 3], [(1, 1, 2.36), (2, 6, 2.22), (3, 13, 2.08)]),
    # grade 2 restarts at one day and lowers EF by 0.32; then 1, 6 again
    ([5, 5, 2, 5, 5], [(1, 1, 2.6), (2, 6, 2.7), (0, 1, 2.38), (1, 1, 2.48), (2, 6, 2.58)]),
    # grade 0 takes 0.8 off; the floor 1.3 holds it: 2.5 → 1.7 → 1.3 → 1.3
    ([0, 0, 0], [(0, 1, 1.7), (0, 1, 1.3), (0, 1, 1.3)]),
    # grade 1 takes 0.54 off: 2.5 → 1.96 → 1.42 → 1.3 (floor)
    ([1, 1, 1], [(0, 1, 1.96), (0, 1, 1.42), (0, 1, 1.3)]),
    # at the floor, passing grades grow by 1.3: 6 × 1.3 = 7.8 → 8, then 8 × 1.3 = 10.4 → 10
    ([0, 0, 4, 4, 4, 4], [(0, 1, 1.7), (0, 1, 1.3), (1, 1, 1.3), (2, 6, 1.3), (3, 8, 1.3),
                          (4, 10, 1.3)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("grades", "expected"), WORKED_EXAMPLES, ids=["-".join(map(str, g)) for g, _ in WORKED_EXAMPLES]
)
def test_worked_examples(grades: list[int], expected: list[tuple[int, int, float]]) -> None:
    got = [(s.repetitions, s.interval, s.ease_factor) for s in run(grades)]
    assert got == expected


@pytest.mark.parametrize(
    ("grade", "delta"), [(5, 0.1), (4, 0.0), (3, -0.14), (2, -0.32), (1, -0.54), (0, -0.8)]
)
def test_ease_moves_by_the_sm2_formula(grade: int, delta: float) -> None:
    assert next_ease(2.5, grade) == pytest.approx(2.5 + delta)


def test_ease_never_falls_below_the_floor() -> None:
    assert next_ease(1.35, 3) == MIN_EASE
    assert next_ease(MIN_EASE, 0) == MIN_EASE


def test_the_next_review_is_the_interval_after_the_review() -> None:
    state = schedule(ReviewState(repetitions=2, interval=6, ease_factor=2.5), 4, T0)
    assert state.interval == 15
    assert state.next_review == "2026-01-16T09:00:00.000000+00:00"


def test_a_legacy_state_without_repetitions_starts_over_at_one_day() -> None:
    state = schedule(ReviewState(repetitions=0, interval=30, ease_factor=2.1), 5, T0)
    assert (state.repetitions, state.interval) == (1, 1)


@pytest.mark.parametrize("grade", [-1, 6, True])
def test_grades_outside_0_to_5_are_refused(grade: int) -> None:
    with pytest.raises(ValidationError, match="0 .*5"):
        schedule(ReviewState(), grade, T0)


def test_halves_round_up_and_float_noise_does_not_decide() -> None:
    assert [round_half_up(x) for x in (2.5, 3.5, 24.49, 7.8)] == [3, 4, 24, 8]
    assert round_half_up(10 * 2.45) == round_half_up(24.499999999999) == 25


def test_a_new_entry_is_due_a_day_after_it_was_written() -> None:
    assert due_at(T0, None) == "2026-01-02T09:00:00.000000+00:00"
    assert due_at(T0, "2026-03-01T00:00:00+00:00") == "2026-03-01T00:00:00.000000+00:00"


def test_times_in_other_zones_are_read_as_utc() -> None:
    assert shift("2026-01-01T10:00:00+01:00", 0) == T0
    assert shift("2026-01-01T09:00:00", 1) == "2026-01-02T09:00:00.000000+00:00"


def test_idle_days_count_from_the_last_access_or_creation() -> None:
    now = shift(T0, 100.5)
    assert idle_days(T0, None, now) == 100
    assert idle_days(T0, shift(T0, 90), now) == 10


@pytest.mark.parametrize(
    ("idle", "links", "confidence", "action"),
    [
        (100, 2, 3, "review"),
        (100, 0, 3, "link"),
        (100, 2, 1, "deprecate"),
        (364, 2, 3, "review"),
        (365, 2, 3, "deprecate"),
        (365, 0, 5, "deprecate"),
    ],
)
def test_upkeep_suggestions(idle: int, links: int, confidence: int, action: str) -> None:
    suggested, reason = suggest_upkeep(idle, links, confidence, stale_days=90)
    assert suggested == action
    assert reason


def test_a_long_threshold_raises_the_deprecate_bar() -> None:
    assert suggest_upkeep(500, 1, 3, stale_days=300)[0] == "review"
    assert suggest_upkeep(600, 1, 3, stale_days=300)[0] == "deprecate"
