"""A word being typed on PostgreSQL: its shorter forms, and what finding out costs the server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rekall.core.entries import EntryFilter
from rekall.service import Rekall
from rekall.storage.fts_repo import KeywordQuery
from tests.storage.recorder import Recorder
from tests.storage.test_postgres_concurrency import no_model

ROWS = 3000


@pytest.fixture
def filled(postgres_url: str, tmp_path: Path) -> Any:
    """A facade on a base of ROWS entries about connection pools, analysed: every word in
    many entries, as in a large base, so the statistics guess 0.5% for a word they lack."""
    base = Rekall(no_model(postgres_url, tmp_path))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # Written in one statement: adding them one by one would take a minute.
        conn.execute(
            "INSERT INTO entries (id, type, title, content, created_at, updated_at) "
            "SELECT 'e' || n, 'til', 'pool note', 'connection pooling ' || "
            "(ARRAY['sizing', 'timeouts', 'retries', 'limits'])[n %% 4 + 1], "
            "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' "
            "FROM generate_series(1, %s) n",
            (ROWS,),
        )
        conn.execute("ANALYZE entries")
    try:
        yield base
    finally:
        base.close()


def scans_of_entries(plan: Any) -> list[tuple[str, str]]:
    """Each node reading the entries table in an EXPLAIN (FORMAT JSON) plan: its type, and
    the condition it reads rows by."""
    found = []
    if plan.get("Relation Name") == "entries":
        found.append((plan["Node Type"], plan.get("Filter") or plan.get("Recheck Cond", "")))
    for child in plan.get("Plans", []):
        found += scans_of_entries(child)
    return found


def sent_by_searches(base: Rekall, query: KeywordQuery) -> list[tuple[str, Any]]:
    """The statements of hybrid search's keyword side, of a keyword search with the counts
    read first and with them handed over, and of the shown entries' snippets."""
    search, keyword = base.db.repos.vector_search, base.db.repos.keyword
    assert search is not None
    with base.db.read() as conn:
        recorder = Recorder(conn)
        found = search.keyword_candidates(recorder, 10, query, EntryFilter())
        keyword.search_phrases(recorder, query, EntryFilter(), 10)
        counts = keyword.document_counts(recorder, query)
        keyword.search_phrases(recorder, query, EntryFilter(), 10, counts)
        search.entries_with_snippets(recorder, [1, 2], found.query or query, [1])
        search.entries_with_snippets(recorder, [1, 2], query, [1])
    return recorder.sent


@pytest.mark.parametrize("typed", ["incomplete", "connecti"])
def test_finding_whether_any_entry_holds_a_typed_word_reads_the_index(
    filled: Rekall, typed: str
) -> None:
    # "incomplete" is in no entry, in any form; "connecti" only as its shorter form
    # "connect". A word in no entry was guessed in 0.5% of them, so a bare EXISTS scanned
    # the table in order expecting a match within 200 rows, and read all of them: 250 ms at
    # 100,000 entries, up to five times per statement.
    sent = sent_by_searches(filled, KeywordQuery(((typed,),), prefix_last=True))
    prefix_scans = []
    with filled.db.read() as conn:
        for sql, params in sent:
            rows = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchall()
            plan = rows[0][0] if not isinstance(rows[0][0], str) else json.loads(rows[0][0])
            # Counting a word every entry holds reads them all; asking whether the prefix
            # alone is in any entry must not.
            scans = scans_of_entries(plan[0]["Plan"])
            prefix_scans += [s for s in scans if ":*'::tsquery" in s[1] and "|" not in s[1]]
    assert prefix_scans and all(kind != "Seq Scan" for kind, _ in prefix_scans), prefix_scans


def test_a_typed_word_still_finds_its_shorter_forms_and_only_then(filled: Rekall) -> None:
    search = filled.db.repos.vector_search
    assert search is not None
    found = {}
    for typed in ("connecti", "connection", "incomplete"):
        query = KeywordQuery(((typed,),), prefix_last=True)
        found[typed] = filled.db.query(
            lambda c, q=query: search.keyword_candidates(c, 5, q, EntryFilter())  # type: ignore[misc]
        )
    # "connecti" is no entry's word (stems: "connect", "pool"): "connect" stands in.
    assert found["connecti"].counts == [ROWS] and len(found["connecti"].hits) == 5
    assert found["connection"].counts == [ROWS]
    assert found["incomplete"].counts == [0] and not found["incomplete"].hits
