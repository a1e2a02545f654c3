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
    GROUP_ROWS_PER_ROW,
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


@pytest.fixture
def crowded(postgres_url: str, tmp_path: Path) -> Iterator[Rekall]:
    """A base of ENTRIES notes holding "common", the first 50 in project "old"."""
    rekall = Rekall(no_model(postgres_url, tmp_path))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO entries (id, type, title, content, project, created_at, updated_at) "
            "SELECT 'N' || lpad(n::text, 25, '0'), 'til', 'note ' || n, 'a common word', "
            "CASE WHEN n <= 50 THEN 'old' END, now(), now() FROM generate_series(1, %s) n",
            (ENTRIES,),
        )
    try:
        yield rekall
    finally:
        rekall.close()


def candidates(base: Rekall, query: KeywordQuery, filters: EntryFilter) -> tuple[list[int], str]:
    """The seqs of the keyword candidates and the plan of the ranking statement."""
    search = base.db.repos.vector_search
    assert search is not None
    with base.db.read() as conn:
        recorder = Recorder(conn)
        found = search.keyword_candidates(recorder, 10, query, filters)
        sql, params = next((s, p) for s, p in recorder.sent if "ts_rank" in s)
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, params))
    return [hit.seq for hit in found.hits], plan


def test_a_common_words_rows_come_from_the_newest_entries_through_the_index(
    crowded: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    seqs, plan = candidates(crowded, KeywordQuery((("common",),)), EntryFilter())
    newest_group = ENTRIES >> AGE_GROUP_BITS
    assert len(seqs) == 10
    # Every row ties: the first ten read win. They were the table's first rows before.
    assert {seq >> AGE_GROUP_BITS for seq in seqs} == {newest_group}
    # The group is a condition of the index, not a filter on the rows it hands over.
    served = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("array_to_tsvector" in line for line in served), plan


def test_a_filtered_search_reads_a_common_words_rows_of_every_age(
    crowded: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    seqs, _ = candidates(crowded, KeywordQuery((("common",),)), EntryFilter(project="old"))
    assert len(seqs) == 10 and max(seqs) <= 50  # the oldest entries, all in the project


def test_a_typed_word_the_statistics_call_common_picks_rows_by_the_word(
    crowded: Rekall, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.storage.postgres.keyword_repo import counted_words

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ANALYZE entries")
    typed = KeywordQuery((("a",), ("commo",)), prefix_last=True)
    whole = KeywordQuery((("a",), ("common",)), prefix_last=True)
    with crowded.db.read() as conn:
        assert not counted_words(conn, typed).typed_common  # no entry holds the word "commo"
        assert counted_words(conn, whole).typed_common
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 100)
    seqs, plan = candidates(crowded, whole, EntryFilter())
    # EXPLAIN doubles the quotes of a tsquery's lexemes.
    assert len(seqs) == 10 and "''common'':*" not in plan and "''common''" in plan
    prefix_seqs, prefix_plan = candidates(crowded, typed, EntryFilter())
    assert len(prefix_seqs) == 10 and "''commo'':*" in prefix_plan


def test_a_list_is_kept_to_the_newest_groups_only_where_they_cost_less() -> None:
    condition = "e.search @@ q"
    most = NEWEST_MARGIN * RANKED_ROWS
    total = 100 * AGE_GROUP_SIZE
    assert newest(condition, most, total) == (condition, [])  # few rows: read them all
    assert newest(condition, 10 * most, None) == (condition, [])  # a filtered search
    # A word in 40,000 of 409,600 entries: about 2,000 of its rows, twice what the list
    # reads, are in five groups of 4,096.
    kept, params = newest(condition, 20 * most, total)
    assert kept.startswith(condition + " AND array_to_tsvector") and params == [5]
    # Just over the margin: the groups would hold more rows than gathering the word's.
    rows = most + 1
    groups = -(-most * total // (rows * AGE_GROUP_SIZE))
    assert groups * AGE_GROUP_SIZE > GROUP_ROWS_PER_ROW * rows
    assert newest(condition, rows, total) == (condition, [])


def test_only_a_typed_word_known_to_be_common_is_matched_whole_in_the_lists() -> None:
    parts: list[tuple[str, list[Any]]] = [("p(%s)", ["a"]), ("typed(%s)", ["'commo':*"])]
    query = KeywordQuery((("a",), ("commo",)), prefix_last=True)
    counts = [2 * RANKED_ROWS, 3 * RANKED_ROWS]

    def listed(typed_common: bool, typed_count: int) -> str:
        lists = bounded_lists(
            parts, query, [counts[0], typed_count], 10**6, EntryFilter(), 10, typed_common
        )
        assert lists is not None
        return " ".join(f"{condition} {params}" for condition, params, _ in lists)

    assert "'commo':*" in listed(False, counts[1])  # counted, as a prefix
    assert "'commo':*" not in listed(True, counts[1]) and "'commo'" in listed(True, counts[1])
    # Only the statistics give a count beyond the cap.
    assert "'commo':*" not in listed(False, DOCUMENT_COUNT_CAP + 1)


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
