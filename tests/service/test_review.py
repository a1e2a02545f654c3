"""Access tracking, review scheduling, idle entries and near-duplicate offers, on a fake clock."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from rekall.core.entries import EntryFilter
from rekall.core.errors import NotFoundError, ValidationError
from rekall.core.review import shift
from rekall.service import Rekall

T0 = "2026-01-01T09:00:00.000000+00:00"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> str:
        return self.now

    def advance(self, days: float) -> None:
        self.now = shift(self.now, days)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def base(clock: Clock) -> Iterator[Rekall]:
    service = Rekall(clock=clock)
    try:
        yield service
    finally:
        service.close()


def add(service: Rekall, title: str, project: str | None = None, content: str = "") -> str:
    return service.add("til", title, content or f"Notes about {title}.", (), project).id


def accesses(service: Rekall, entry_id: str) -> int:
    return service.get(entry_id, record_access=False).access_count


# -- access tracking ---------------------------------------------------------------------------


def test_showing_an_entry_records_the_access(base: Rekall, clock: Clock) -> None:
    entry_id = add(base, "Docker layer caching")
    clock.advance(3)
    shown = base.get(entry_id)
    assert (shown.access_count, shown.last_accessed) == (1, clock.now)


@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_searching_and_listing_record_no_access(base: Rekall, mode: str) -> None:
    entry_id = add(base, "Docker layer caching")
    assert base.search("docker caching", mode).results
    assert base.list_entries(EntryFilter())
    assert accesses(base, entry_id) == 0


@pytest.mark.model
def test_similar_records_no_access(base: Rekall) -> None:
    first = add(base, "Docker layer caching")
    second = add(base, "Docker build cache misses")
    assert base.similar(first).results
    assert (accesses(base, first), accesses(base, second)) == (0, 0)


# -- review ------------------------------------------------------------------------------------


def test_a_new_entry_is_due_one_day_after_it_was_written(base: Rekall, clock: Clock) -> None:
    entry_id = add(base, "Docker layer caching")
    clock.advance(0.999)
    assert base.review_queue() == [] and base.count_due() == 0
    clock.advance(0.001)
    [item] = base.review_queue()
    assert (item.entry.id, item.due_at, item.state.repetitions) == (entry_id, clock.now, 0)
    assert base.count_due() == 1


def test_grading_stores_the_schedule_and_counts_as_an_access(base: Rekall, clock: Clock) -> None:
    entry_id = add(base, "Docker layer caching")
    written = base.get(entry_id, record_access=False)
    clock.advance(1)
    item = base.grade_review(entry_id[:10], 5)
    assert (item.state.repetitions, item.state.interval, item.state.ease_factor) == (1, 1, 2.6)
    assert item.due_at == shift(clock.now, 1)
    assert (item.entry.access_count, item.entry.last_accessed) == (1, clock.now)
    assert item.entry.updated_at == written.updated_at  # a review is not an edit
    assert base.review_queue() == []


def test_perfect_recalls_follow_the_sm2_intervals(base: Rekall, clock: Clock) -> None:
    entry_id = add(base, "Docker layer caching")
    clock.advance(1)
    intervals = []
    for _ in range(4):
        [item] = base.review_queue()
        done = base.grade_review(item.entry.id, 5)
        intervals.append(done.state.interval)
        clock.advance(done.state.interval - 0.01)
        assert base.review_queue() == []  # not due a moment early
        clock.advance(0.01)
    assert intervals == [1, 6, 16, 45]
    assert base.grade_review(entry_id, 2).state.interval == 1  # a lapse starts over


def test_the_queue_filters_by_project_skips_deprecated_and_obeys_the_limit(
    base: Rekall, clock: Clock
) -> None:
    web = [add(base, f"Web note {n}", "web") for n in range(3)]
    add(base, "API note", "api")
    base.deprecate(web[0])
    clock.advance(2)
    assert {i.entry.id for i in base.review_queue("web")} == set(web[1:])
    assert len(base.review_queue(limit=1)) == 1
    assert base.count_due() == 3
    with pytest.raises(ValidationError, match="limit"):
        base.review_queue(limit=0)


def test_the_most_overdue_comes_first(base: Rekall, clock: Clock) -> None:
    first = add(base, "First")
    clock.advance(1)
    second = add(base, "Second")
    clock.advance(1)
    base.grade_review(first, 3)  # due again in a day, i.e. after second became due
    clock.advance(1)
    assert [i.entry.id for i in base.review_queue()] == [second, first]


def test_grading_checks_grade_and_id(base: Rekall) -> None:
    entry_id = add(base, "Docker layer caching")
    with pytest.raises(ValidationError, match="grade"):
        base.grade_review(entry_id, 6)
    with pytest.raises(NotFoundError):
        base.grade_review("01ZZZZZZZZ", 4)


# -- idle entries ------------------------------------------------------------------------------


def test_stale_lists_entries_not_opened_for_n_days(base: Rekall, clock: Clock) -> None:
    opened = add(base, "Opened later")
    untouched = add(base, "Never opened")
    linked = add(base, "Linked and idle")
    base.link(linked, opened)
    clock.advance(50)
    base.get(opened)
    clock.advance(45)
    items = base.stale_entries(days=90)
    assert [(i.entry.id, i.idle_days) for i in items] == [(untouched, 95), (linked, 95)]
    assert [(i.action, i.links) for i in items] == [("link", 0), ("review", 1)]
    assert [i.entry.id for i in base.stale_entries(days=40)][-1] == opened
    clock.advance(330)  # idle for a year: likely outdated
    assert [i.action for i in base.stale_entries()] == ["deprecate"] * 3


def test_stale_skips_deprecated_and_filters_by_project(base: Rekall, clock: Clock) -> None:
    kept = add(base, "Web note", "web")
    add(base, "API note", "api")
    base.deprecate(add(base, "Old web note", "web"))
    clock.advance(91)
    assert [i.entry.id for i in base.stale_entries(project="web")] == [kept]
    with pytest.raises(ValidationError, match="days"):
        base.stale_entries(days=0)


# -- the schedule is stored, migrated, exported and imported -------------------------------------


def test_the_schedule_survives_export_and_import(
    base: Rekall, clock: Clock, tmp_path: Path
) -> None:
    entry_id = add(base, "Docker layer caching")
    clock.advance(1)
    base.grade_review(entry_id, 5)
    clock.advance(1)
    base.grade_review(entry_id, 4)
    text = base.export_json()
    [record] = json.loads(text)["entries"]
    assert (record["review_repetitions"], record["review_interval"]) == (2, 6)
    assert (record["ease_factor"], record["next_review"]) == (2.6, shift(clock.now, 6))
    target = tmp_path / "export.json"
    target.write_text(text, "utf-8")
    other = Rekall(db_file=tmp_path / "other.db", clock=clock)
    try:
        other.import_data(target)
        assert other.export_json() == text
        clock.advance(6)
        assert other.grade_review(entry_id, 5).state.interval == 16  # round(6 × 2.6)
    finally:
        other.close()


def test_an_export_without_repetitions_still_imports(base: Rekall, tmp_path: Path) -> None:
    add(base, "Docker layer caching")
    data = json.loads(base.export_json())
    del data["entries"][0]["review_repetitions"]
    target = tmp_path / "older.json"
    target.write_text(json.dumps(data), "utf-8")
    other = Rekall(db_file=tmp_path / "other.db")
    try:
        assert other.import_data(target).added == 1
        assert json.loads(other.export_json())["entries"][0]["review_repetitions"] == 0
    finally:
        other.close()


def test_migration_adds_the_repetitions_and_the_due_index(base: Rekall, db_file: Path) -> None:
    conn = sqlite3.connect(db_file)
    try:
        columns = {row[1]: row for row in conn.execute("PRAGMA table_info(entries)")}
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(entries)")}
    finally:
        conn.close()
    assert columns["review_repetitions"][3:5] == (1, "0")  # NOT NULL DEFAULT 0
    assert "entries_next_review" in indexes


# -- near-duplicates on add ----------------------------------------------------------------------


@pytest.mark.model
def test_a_reworded_entry_is_offered_its_lookalike(base: Rekall) -> None:
    original = base.add(
        "til",
        "Default list argument shared between calls",
        "Never use a mutable default like []; default to None and build a new list inside.",
        ("python", "pitfall"),
    ).id
    unrelated = add(base, "nginx 413 Request Entity Too Large", content="client_max_body_size")
    new = base.add(
        "pitfall",
        "Python mutable default argument pitfall",
        "def f(x=[]) shares the list across calls; use None and create the list inside.",
        ("python",),
    ).id
    matches = base.similar_existing(new)
    assert [m.entry.id for m in matches] == [original]
    assert matches[0].similarity is not None and matches[0].similarity >= 0.7
    assert base.similar_existing(unrelated) == []
    base.deprecate(original)
    assert base.similar_existing(new) == []  # deprecated knowledge is not offered
