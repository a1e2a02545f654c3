"""Search on PostgreSQL: round trips per search, and a pooled connection the server dropped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rekall.config import Config
from rekall.core.entries import EntryFilter
from rekall.service import Rekall
from rekall.storage.postgres.index_settings import START_SESSION
from tests.storage.test_postgres_concurrency import no_model


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent through a psycopg connection while the test runs (still sent)."""
    sent: list[str] = []
    execute = psycopg.Connection.execute

    def counting(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        # A connection the pool adds is configured (one statement reading the base's
        # ef_search and setting it with the others) the first time two are busy at once:
        # not the search's statements.
        if not str(query).startswith(START_SESSION[:40]):
            sent.append(str(query).split(None, 1)[0].upper())
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counting)
    yield sent


@pytest.fixture
def base(postgres_url: str, tmp_path: Path) -> Iterator[Rekall]:
    """A facade on the server without a model: keyword search only."""
    rekall = Rekall(no_model(postgres_url, tmp_path))
    try:
        yield rekall
    finally:
        rekall.close()


@pytest.fixture
def warm_base(postgres_url: str) -> Iterator[Rekall]:
    """A long-lived facade on the server with two entries, the model loaded."""
    rekall = Rekall(Config(database_url=postgres_url), long_lived=True)
    try:
        rekall.add("til", "kubernetes pod eviction", "pods evicted under memory pressure")
        rekall.add("til", "ENOSPC watchers", "fs.inotify.max_user_watches too low")
        rekall.search("warm up the model", mode="hybrid")
        yield rekall
    finally:
        rekall.close()


@pytest.mark.model
def test_a_warm_hybrid_search_is_five_statements_without_a_transaction(
    warm_base: Rekall, statements: list[str]
) -> None:
    for query in ("pod eviction memory", "ENOSPC", "why was my pod killed"):
        statements.clear()
        assert warm_base.search(query, mode="hybrid").results
        # The generation (rankings are kept per generation); the nearest entries and,
        # on the keyword side's thread meanwhile, the words' counts (they decide which
        # rows keyword ranking reads) and the keyword candidates; the shown entries.
        # No BEGIN or COMMIT. (SETs configure a connection the pool adds, the first time
        # two are busy at once: not the search's.)
        first, *sides, last = [sent for sent in statements if sent != "SET"]
        assert [first, last] == ["SELECT", "SELECT"], (query, statements)
        assert sorted(sides) == ["SELECT", "WITH", "WITH"], (query, statements)
        statements.clear()
        assert warm_base.search(query, mode="hybrid").results
        # Asked again with nothing written: the kept ranking, after the generation.
        repeated = [sent for sent in statements if sent != "SET"]
        assert repeated == ["SELECT", "SELECT"], (query, statements)


def test_a_keyword_search_reads_the_words_counts_once(
    postgres_url: str, statements: list[str], tmp_path: Path
) -> None:
    base = Rekall(no_model(postgres_url, tmp_path), long_lived=True)
    try:
        base.add("til", "pgbouncer transaction pooling", "prepared statements break")
        title = base.add("til", "connection pooling", "pgbouncer in session mode").title
        for query in ("pgbouncer pooling", "session pooling"):
            statements.clear()
            found = base.search(query, mode="keyword").results
            assert {r.entry.title for r in found} == {"pgbouncer transaction pooling", title}
            # Two WITH statements: the words' counts (they weigh and bound the ranking, and
            # weigh the evidence: they were read a second time for it), and the ranking.
            assert statements.count("WITH") == 2, (query, statements)
        assert statements[0] == "SELECT"  # the generation, which keys the kept counts
        statements.clear()
        found = base.search("prepared statements", mode="hybrid")
        # Without a model, hybrid falls back to keywords: its keyword side is asked once.
        assert found.mode == "keyword" and statements.count("WITH") == 2, statements
    finally:
        base.close()


def test_a_search_after_the_server_dropped_pooled_connections_retries(
    base: Rekall, postgres_server: str
) -> None:
    entry = base.add("til", "survives dropped connections", "pgbouncer restarts")
    assert base.search("pgbouncer", mode="keyword").results
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' "
            "AND query NOT ILIKE '%LISTEN%'"
        ).fetchone()
    assert dropped is not None and dropped[0] >= 1
    found = base.search("pgbouncer", mode="keyword").results
    assert [r.entry.id for r in found] == [entry.id]


def test_keyword_candidates_agree_with_the_keyword_repository(base: Rekall) -> None:
    from rekall.storage.fts_repo import KeywordQuery

    base.add("til", "pgbouncer pool sizing", "Size the pool.", tags=("postgres",))
    base.add("til", "connection pool", "node js pools connections")
    base.add("til", "unrelated", "nothing")
    query = KeywordQuery((("pool",), ("connecti",)), prefix_last=True)
    db, search = base.db, base.db.repos.vector_search
    assert search is not None
    found = db.query(lambda c: search.keyword_candidates(c, 10, query, EntryFilter()))
    with db.read() as conn:
        hits = db.repos.keyword.search_phrases(conn, query, EntryFilter(), 10)
        counts = db.repos.keyword.document_counts(conn, query)
        fields = db.repos.keyword.entry_fields(conn, [hit.seq for hit in hits])
    assert [h.seq for h in found.hits] == [h.seq for h in hits]
    assert (found.counts, found.total) == counts == ([2, 1], 3)
    assert found.fields == fields


def _candidates(base: Rekall, query: Any, filters: EntryFilter, k: int = 10) -> Any:
    """keyword_candidates of a keyword query."""
    search = base.db.repos.vector_search
    assert search is not None
    return base.db.query(lambda c: search.keyword_candidates(c, k, query, filters))


def test_ranking_reads_the_rarest_words_rows_and_the_common_ones_in_titles_and_tags(
    base: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.storage.fts_repo import KeywordQuery
    from rekall.storage.postgres import keyword_bounds

    bodies = [base.add("til", f"note {n}", "the common word").id for n in range(6)]
    rare = base.add("bug", "a note", "the body holds the rare word").id
    both = base.add("bug", "common and rare", "both words").id
    tagged = base.add("til", "tagged note", "text", tags=("common",)).id
    with base.db.read() as conn:
        seq = {i: base.db.repos.entries.seq_of(conn, i) for i in [*bodies, rare, both, tagged]}
    query = KeywordQuery((("common",), ("rare",)))
    everything = _candidates(base, query, EntryFilter())
    assert len(everything.hits) == 9 and everything.counts == [8, 2]
    # BM25: a word 8 of 9 entries hold weighs next to nothing against the rare one; among
    # the common word's rows, one with it in the tags outranks those with it in the body.
    assert [h.seq for h in everything.hits][:4] == [
        seq[both],
        seq[rare],
        seq[tagged],
        seq[bodies[0]],
    ]
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 2)
    bounded = _candidates(base, query, EntryFilter(), k=2)
    assert [h.seq for h in bounded.hits] == [seq[both], seq[rare]]
    assert bounded.counts == [8, 2] and set(bounded.fields) == {seq[both], seq[rare]}
    # Read: the rare word's rows, those holding both words, and those holding the
    # common word in a title, tags or context; not the six with it in the body only.
    notes = _candidates(base, query, EntryFilter(types=("til",)), k=2)
    assert [h.seq for h in notes.hits] == [seq[tagged]]
    bugs = _candidates(base, query, EntryFilter(types=("bug",)), k=2)
    assert [h.seq for h in bugs.hits] == [seq[both], seq[rare]]


def test_a_word_the_statistics_call_common_is_estimated_a_rare_one_counted(
    base: Rekall, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.storage.fts_repo import KeywordQuery
    from rekall.storage.postgres import keyword_bounds, keyword_repo

    for n in range(30):
        base.add("til", f"frequent note {n}", "text")
    base.add("til", "scarce note", "text")
    query = KeywordQuery((("frequent",), ("scarce",), ("note",)))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ANALYZE entries")
    for n in range(10):
        base.add("til", f"other {n}", "text")
    with base.db.read() as conn:
        counted = base.db.repos.keyword.document_counts(conn, query)
    assert counted == ([30, 1, 31], 41)  # in fewer entries than ESTIMATE_FROM: counted
    monkeypatch.setattr(keyword_bounds, "ESTIMATE_FROM", 25)
    with base.db.read() as conn:
        estimated = base.db.repos.keyword.document_counts(conn, query)
    # The share the statistics saw (30 and 31 of 31 entries) of today's 41 entries;
    # the rare word is still counted.
    assert estimated == ([40, 1, 41], 41)
    # Counting stops at its cap; an estimate does not, as BM25's rarity needs the share.
    monkeypatch.setattr(keyword_repo, "DOCUMENT_COUNT_CAP", 20)
    with base.db.read() as conn:
        capped = base.db.repos.keyword.document_counts(conn, query)
    assert capped == ([40, 1, 41], 41)
    monkeypatch.setattr(keyword_bounds, "ESTIMATE_FROM", 1000)
    with base.db.read() as conn:
        assert base.db.repos.keyword.document_counts(conn, query) == ([20, 1, 20], 41)


def test_a_one_word_query_in_too_many_entries_still_reads_its_title_matches(
    base: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.storage.postgres import keyword_bounds

    for n in range(6):
        base.add("til", f"note {n}", "call it again after a retry")
    titled = base.add("bug", "retry", "backoff doubles each time").id
    monkeypatch.setattr(keyword_bounds, "RANKED_ROWS", 3)
    # Its rows are cut at three, in table order: the title match comes from its own list.
    for mode in ("keyword", "hybrid"):
        found = base.search("retry", mode=mode).results
        assert found[0].entry.id == titled, mode


def test_the_search_words_total_follows_adds_edits_and_deletes(
    base: Rekall, postgres_url: str
) -> None:
    # BM25 sets a row's length against the average: the total is kept by a trigger (m007).
    first = base.add("til", "retry with jitter", "backoff doubles each time")
    base.add("til", "pool sizing", "size the pool to the cores")
    base.update(first.id, content="a much longer body about backoff, jitter and caps")
    base.delete(base.add("til", "gone soon", "deleted words vanish").id)
    with psycopg.connect(postgres_url) as conn:
        kept, actual = conn.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'search_words'), "
            "(SELECT sum(length(search)) FROM entries)"
        ).fetchone()
    assert kept == actual > 0


def test_keyword_search_survives_counters_behind_the_table(base: Rekall, postgres_url: str) -> None:
    # A restore with triggers off can leave meta's counters below what the table holds.
    entry = base.add("til", "retry with jitter", "backoff doubles each time")
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE meta SET value = 0 WHERE key IN ('entries', 'search_words')")
    found = base.search("retry jitter", mode="keyword").results
    assert [r.entry.id for r in found] == [entry.id]


@contextmanager
def during_embedding(rekall: Rekall, action: Callable[[], None]) -> Iterator[None]:
    """Run action() inside each query embedding, before the model is used."""
    engine = rekall.semantic
    embed = engine.embed_query

    def embed_after_action(text: str) -> Any:
        action()
        return embed(text)

    engine.embed_query = embed_after_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        del engine.embed_query


def keyword_side_sent(statements: list[str]) -> bool:
    """Wait (generously: a busy machine) until both keyword statements were sent."""
    deadline = time.monotonic() + 60
    while statements.count("WITH") < 2:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.mark.model
def test_the_keyword_side_is_on_the_server_while_the_query_is_embedded(
    warm_base: Rekall, statements: list[str]
) -> None:
    seen: list[bool] = []
    statements.clear()
    with during_embedding(warm_base, lambda: seen.append(keyword_side_sent(statements))):
        found = warm_base.search("pod eviction", mode="hybrid").results
    assert seen == [True]
    assert found[0].entry.title == "kubernetes pod eviction" and found[0].keyword_rank == 1
    worker = warm_base.keyword.worker
    assert worker.running
    warm_base.close()
    assert not worker.running


def hybrid_ranking(rekall: Rekall, query: str) -> list[tuple[str, float, int | None, int | None]]:
    """Each result's entry, score and ranks on both sides, searched anew (no kept ranking)."""
    rekall.rankings.clear()
    return [
        (r.entry.id, r.score, r.keyword_rank, r.semantic_rank)
        for r in rekall.search(query, mode="hybrid").results
    ]


@pytest.mark.model
def test_the_query_is_embedded_once_the_keyword_side_is_under_way(
    warm_base: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.service import server_keyword
    from rekall.service.side_worker import THREAD_NAME

    events: list[str] = []
    query = warm_base.db.query

    def asked(*args: Any) -> Any:
        if threading.current_thread().name == THREAD_NAME:
            events.append("keyword side")  # before it signals its start: its connection
        return query(*args)

    monkeypatch.setattr(warm_base.db, "query", asked)
    # A start the search waits for however busy the machine: the order is then certain.
    monkeypatch.setattr(server_keyword, "START_WAIT_S", 60.0)
    with during_embedding(warm_base, lambda: events.append("embedding")):
        found = hybrid_ranking(warm_base, "pods evicted")
    assert events == ["keyword side", "embedding"]
    assert found and found[0][2] == 1  # the top result is the keyword side's first


@pytest.mark.model
def test_a_busy_keyword_worker_is_not_waited_for_and_ranks_the_same(
    warm_base: Rekall, statements: list[str]
) -> None:
    """The search's wait for its keyword side is bounded: with the worker held until the
    query is embedded, the search still gets there, and ranks as with a free worker."""
    expected = hybrid_ranking(warm_base, "pod eviction memory")
    release = threading.Event()
    # Held until the embedding releases it; 60 s, so that a regression fails, not hangs.
    busy = warm_base.keyword.worker.submit(lambda: release.wait(60))
    sent_before_embedding: list[int] = []

    def embedding() -> None:
        sent_before_embedding.append(statements.count("WITH"))
        release.set()

    statements.clear()
    with during_embedding(warm_base, embedding):
        found = hybrid_ranking(warm_base, "pod eviction memory")
    assert busy.result() is True, "the search waited for the worker until it gave up"
    assert sent_before_embedding == [0]  # the keyword side ran after the embedding
    assert statements.count("WITH") == 2 and found == expected


@pytest.mark.model
def test_same_ranking_with_the_keyword_side_beside_or_in_turn(warm_base: Rekall) -> None:
    from rekall.service.side_worker import SideWorker

    warm_base.add("til", "pod restarts", "a container restarting after OOMKilled")
    queries = ["pod eviction memory", "ENOSPC", "why was my pod killed", "inotify watchers"]

    def ranked() -> list[list[tuple[str, float, int | None, int | None]]]:
        return [hybrid_ranking(warm_base, query) for query in queries]

    beside = ranked()
    in_turn = SideWorker()
    in_turn.close()  # a closed worker runs work in the caller's thread
    warm_base.keyword.worker = in_turn
    assert ranked() == beside


@pytest.mark.model
def test_a_write_during_the_search_is_never_served_stale(
    warm_base: Rekall, statements: list[str]
) -> None:
    """Written after the keyword side read, before the nearest entries: the ranking made
    across it is never served again; the next search sees the new entry."""
    added: list[str] = []

    def write_once() -> None:
        if not added and keyword_side_sent(statements):
            added.append(warm_base.add("til", "inotify watchers exhausted", "Raise it.").id)

    statements.clear()
    with during_embedding(warm_base, write_once):
        warm_base.search("inotify watchers exhausted", mode="hybrid")
    again = warm_base.search("inotify watchers exhausted", mode="hybrid").results
    assert added and again[0].entry.id == added[0]
    # Found by both sides: a ranking kept from before the write would lack the keyword rank.
    assert again[0].keyword_rank == 1


@pytest.mark.model
def test_an_error_of_the_keyword_side_surfaces(warm_base: Rekall, postgres_url: str) -> None:
    from rekall.core.errors import StorageError

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("ALTER TABLE entries RENAME COLUMN search TO search_gone")
    with pytest.raises(StorageError, match="search"):
        warm_base.search("pod eviction", mode="hybrid")
    assert warm_base.search("pod eviction", mode="semantic").results


@pytest.mark.model
def test_an_interrupted_search_cancels_its_keyword_side_blocked_on_a_lock(
    warm_base: Rekall, postgres_url: str
) -> None:
    """Ctrl+C while the keyword side waits for a lock another client holds (an upgrade
    rewriting the table, say): the search stops without waiting for the lock."""
    admin = psycopg.connect(postgres_url)
    admin.execute("LOCK TABLE entries IN ACCESS EXCLUSIVE MODE")
    released = threading.Event()

    def release() -> None:  # a regression must fail the test, not hang it
        released.set()
        admin.rollback()

    timer = threading.Timer(60, release)
    timer.start()

    def interrupt_once_blocked() -> None:
        deadline = time.monotonic() + 60
        while not admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND pid <> pg_backend_pid()"
        ).fetchone():
            assert time.monotonic() < deadline, "the keyword side never waited for the lock"
            time.sleep(0.05)
        raise KeyboardInterrupt

    try:
        with during_embedding(warm_base, interrupt_once_blocked), pytest.raises(KeyboardInterrupt):
            warm_base.search("pod eviction memory", mode="hybrid")
        assert not released.is_set()
    finally:
        timer.cancel()
        if not released.is_set():
            admin.rollback()
        admin.close()
    found = warm_base.search("pod eviction", mode="hybrid").results
    assert found[0].entry.title == "kubernetes pod eviction"
