"""A common word's rows are read from the newest entries on PostgreSQL (m012, keyword_bounds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rekall.core.entries import EntryFilter
from rekall.service import Rekall
from rekall.storage.fts_repo import DOCUMENT_COUNT_CAP, KeywordQuery
from rekall.storage.postgres import keyword_bounds
from rekall.storage.postgres.keyword_bounds import (
    NEWEST_MARGIN,
    RANKED_ROWS,
    bounded_lists,
    newest,
)
from rekall.storage.postgres.schema_keyword import AGE_GROUP_BITS, AGE_GROUP_SIZE, KEYWORD_INDEXES
from tests.storage.recorder import Recorder
from tests.storage.test_postgres_concurrency import no_model

# More than two groups of entries, every one holding the word "common".
ENTRIES = 2 * AGE_GROUP_SIZE + 500


def run(url: str, sql: str, params: tuple[Any, ...] | None = None) -> None:
    """One statement on its own connection, as a colleague's client would send it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, params)


def add_notes(url: str, count: int, content: str, project: str | None = None) -> None:
    """count notes holding content, in one statement (fast enough for thousands)."""
    run(
        url,
        "INSERT INTO entries (id, type, title, content, project, created_at, updated_at) "
        "SELECT gen_random_uuid()::text, 'til', 'note ' || n, %s, %s, now(), now() "
        "FROM generate_series(1, %s) n",
        (content, project, count),
    )


@pytest.fixture
def crowded(postgres_url: str, tmp_path: Path) -> Iterator[Rekall]:
    """A base of ENTRIES notes holding "common", the first 50 in project "old"."""
    rekall = Rekall(no_model(postgres_url, tmp_path))
    add_notes(postgres_url, 50, "a common word", "old")
    add_notes(postgres_url, ENTRIES - 50, "a common word")
    try:
        yield rekall
    finally:
        rekall.close()


def candidates(
    base: Rekall, query: KeywordQuery, filters: EntryFilter, analyze: bool = False
) -> tuple[list[int], str]:
    """The seqs of the keyword candidates and the plan of the ranking statement (run, with
    analyze)."""
    search = base.db.repos.vector_search
    assert search is not None
    with base.db.read() as conn:
        recorder = Recorder(conn)
        found = search.keyword_candidates(recorder, 10, query, filters)
        sql, params = next((s, p) for s, p in recorder.sent if "ts_rank" in s)
        explain = "EXPLAIN (ANALYZE) " if analyze else "EXPLAIN "
        plan = "\n".join(row[0] for row in conn.execute(explain + sql, params))
    return [hit.seq for hit in found.hits], plan


def test_a_common_words_rows_come_from_the_newest_entries_through_the_index(
    crowded: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    seqs, plan = candidates(crowded, KeywordQuery((("common",),)), EntryFilter(), analyze=True)
    newest_group = ENTRIES >> AGE_GROUP_BITS
    assert len(seqs) == 10
    # Every row ties: the first ten read win. They were the table's first rows before.
    assert {seq >> AGE_GROUP_BITS for seq in seqs} == {newest_group}
    # The group is a condition of the index, not a filter on the rows it hands over, and
    # the rows of every age are not read: the newest held enough.
    served = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("array_to_tsvector" in line for line in served), plan
    assert "never executed" in plan


def test_a_common_word_of_older_entries_is_still_found(
    crowded: Rekall, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_notes(postgres_url, 3000, "a legacy word")  # after them, none holding it
    add_notes(postgres_url, 2 * AGE_GROUP_SIZE, "a plain word")
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    seqs, _ = candidates(crowded, KeywordQuery((("legacy",),)), EntryFilter())
    assert len(seqs) == 10 and all(ENTRIES < seq <= ENTRIES + 3000 for seq in seqs)


def test_a_base_whose_newest_entries_were_deleted_still_finds_a_common_word(
    crowded: Rekall, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_notes(postgres_url, 3 * AGE_GROUP_SIZE, "filler")
    run(postgres_url, "DELETE FROM entries WHERE content = 'filler'")
    add_notes(postgres_url, 5, "a common word")
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    seqs, _ = candidates(crowded, KeywordQuery((("common",),)), EntryFilter())
    assert len(seqs) == 10  # 5 in the newest group, the others of every age


def test_a_filtered_search_reads_a_common_words_rows_of_every_age(
    crowded: Rekall, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(postgres_url, "UPDATE entries SET status = 'deprecated' WHERE seq <= 30")
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    query = KeywordQuery((("common",),))
    seqs, plan = candidates(crowded, query, EntryFilter(project="old"))
    assert len(seqs) == 10 and max(seqs) <= 50  # the oldest entries, all in the project
    assert "array_to_tsvector" not in plan
    seqs, plan = candidates(crowded, query, EntryFilter(status="deprecated"))
    assert sorted(seqs) == list(range(1, 11)) and "array_to_tsvector" not in plan


def test_the_title_list_reads_a_common_words_newest_titles(
    crowded: Rekall, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(postgres_url, "UPDATE entries SET title = 'common ' || title WHERE seq % 4 = 0")
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    lists = bounded_lists(
        [("p(%s)", ["common"])], KeywordQuery((("common",),)), [ENTRIES], ENTRIES,
        EntryFilter(), 10,
    )  # fmt: skip
    assert lists is not None and lists[-1].newest is not None  # sized for a quarter
    seqs, _ = candidates(crowded, KeywordQuery((("common",),)), EntryFilter())
    # A title match outranks a body-only one: the ten best are titles, the newest ones.
    assert len(seqs) == 10 and all(seq % 4 == 0 for seq in seqs)
    assert {seq >> AGE_GROUP_BITS for seq in seqs} == {ENTRIES >> AGE_GROUP_BITS}


def test_a_typed_word_the_statistics_call_common_picks_rows_by_the_word(
    crowded: Rekall, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.storage.postgres.keyword_repo import counted_words

    run(postgres_url, "ANALYZE entries")
    typed = KeywordQuery((("commo",),), prefix_last=True)
    whole = KeywordQuery((("common",),), prefix_last=True)
    with crowded.db.read() as conn:
        assert not counted_words(conn, typed).typed_common  # no entry holds the word "commo"
        assert counted_words(conn, whole).typed_common
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    seqs, plan = candidates(crowded, whole, EntryFilter())
    assert len(seqs) == 10
    # The newest rows are picked by the whole word (EXPLAIN doubles a lexeme's quotes).
    assert newest_conditions(plan) and all(
        "''common''" in line and "''common'':*" not in line for line in newest_conditions(plan)
    )
    prefix_seqs, prefix_plan = candidates(crowded, typed, EntryFilter())
    assert len(prefix_seqs) == 10 and newest_conditions(prefix_plan)
    assert all("''commo'':*" in line for line in newest_conditions(prefix_plan))


def newest_conditions(plan: str) -> list[str]:
    """The index conditions of a plan that keep to the newest entries."""
    return [line for line in plan.splitlines() if "Index Cond" in line and "array_to" in line]


def test_a_list_is_kept_to_the_newest_groups_only_where_they_cost_less() -> None:
    most = NEWEST_MARGIN * RANKED_ROWS
    total = 100 * AGE_GROUP_SIZE
    assert newest(most, total) is None  # few rows: read them all
    assert newest(10 * most, None) is None  # a filtered search
    # A word in 40,000 of 409,600 entries: about 2,000 of its rows, twice what the list
    # reads, are in five groups of 4,096.
    window = newest(20 * most, total)
    assert window is not None and window[0].startswith("array_to_tsvector")
    assert window[1] == [5]
    # Just over the margin, the groups would hold over GROUP_ROWS_PER_ROW times the rows
    # gathering the word's rows reads: 11 groups for 2,001 rows.
    assert newest(most + 1, total) is None


def test_a_typed_common_word_picks_newest_rows_whole_and_older_ones_as_a_prefix() -> None:
    parts: list[tuple[str, list[Any]]] = [("p(%s)", ["a"]), ("typed(%s)", ["'commo':*"])]
    query = KeywordQuery((("a",), ("commo",)), prefix_last=True)

    def lists(typed_common: bool, count: int, filters: EntryFilter | None = None) -> Any:
        filters = filters or EntryFilter()
        found = bounded_lists(parts, query, [30_000, count], 10**6, filters, 10, typed_common)
        assert found is not None and len(found) == 3  # the typed word's, every word's, titles'
        return found

    first, every, _ = lists(True, 20_000)  # the statistics call the whole word common
    assert first.params == ["'commo':*"] and first.newest[1][0] == "'commo'"
    assert "'commo'" in every.params and "'commo':*" not in every.params
    first, every, _ = lists(False, 4_000)  # counted (within the cap): as a prefix
    assert first.params == ["'commo':*"] and "'commo':*" in every.params
    _, every, _ = lists(False, DOCUMENT_COUNT_CAP + 1)  # only the statistics count beyond
    assert "'commo'" in every.params
    for listed in lists(True, 20_000, EntryFilter(project="p")):  # every age: the prefix
        assert listed.newest is None and "'commo'" not in listed.params


def test_a_filtered_search_for_a_typed_common_word_finds_the_words_it_begins(
    crowded: Rekall, postgres_url: str
) -> None:
    add_notes(postgres_url, 20, "the commonwealth games", "p")
    run(postgres_url, "ANALYZE entries")
    typed = KeywordQuery((("common",),), prefix_last=True)
    seqs, _ = candidates(crowded, typed, EntryFilter(project="p"))
    assert len(seqs) == 10 and min(seqs) > ENTRIES


def test_a_base_of_schema_11_gets_its_keyword_indexes_with_the_entries_age(
    postgres_url: str,
) -> None:
    from rekall.storage.postgres.connection import ensure_vector_extension
    from rekall.storage.postgres.database import PostgresDatabase
    from rekall.storage.postgres.migrations import migrate
    from rekall.storage.postgres.schema import MIGRATIONS

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        migrate(conn, postgres_url, MIGRATIONS[:11], lambda c: ensure_vector_extension(c, ""))
        conn.execute(
            "INSERT INTO entries (id, type, title, content, created_at, updated_at) "
            "VALUES ('01JD3P00000000000000000001', 'til', 'kept', 'words', now(), now())"
        )
    PostgresDatabase(postgres_url).close()  # upgrades it
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_get_indexdef(c.oid), c.reloptions FROM pg_class c "
            "WHERE c.relname = ANY(%s) AND c.relnamespace = current_schema()::regnamespace",
            (list(KEYWORD_INDEXES) + [f"{name}_aged" for name in KEYWORD_INDEXES],),
        ).fetchall()
        found = conn.execute(
            "SELECT count(*) FROM entries WHERE search @@ to_tsquery('rekall_english', 'words')"
        ).fetchone()[0]
    assert sorted(name for name, _, _ in rows) == sorted(KEYWORD_INDEXES)
    for _, definition, options in rows:
        assert "array_to_tsvector" in definition
        assert options == ["gin_pending_list_limit=256"]
    assert found == 1
