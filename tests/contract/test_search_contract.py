"""Search on both backends: keyword, meaning, hybrid fusion, filters before the top-k."""

from __future__ import annotations

import pytest

from rekall.core.entries import EntryFilter
from rekall.service import Rekall
from rekall.storage.fts_repo import KeywordQuery
from tests.service.conftest import fill


@pytest.fixture
def filled_backend(any_backend: Rekall) -> dict[str, str]:
    return fill(any_backend)


def titles(rekall: Rekall, query: str, mode: str, **filters: object) -> list[str]:
    response = rekall.search(query, mode=mode, filters=EntryFilter(**filters))  # type: ignore[arg-type]
    return [result.entry.title for result in response.results]


def test_keyword_finds_words_and_identifiers(
    any_backend: Rekall, filled_backend: dict[str, str]
) -> None:
    assert titles(any_backend, "ENOSPC", "keyword")[0] == "ENOSPC: file watchers limit reached"
    assert titles(any_backend, "useEffect", "keyword") == ["useEffect runs twice in StrictMode"]
    assert titles(any_backend, "fs.inotify.max_user_watches", "keyword") == [
        "ENOSPC: file watchers limit reached"
    ]
    # Stemming: "crashes" in the text, "crash" in the query.
    assert "ENOSPC: file watchers limit reached" in titles(any_backend, "crash", "keyword")


def test_keyword_matches_every_word_of_an_identifier_even_common_ones(
    any_backend: Rekall,
) -> None:
    # "which" and "from" are English stop words: both backends must keep them, or
    # shutil.which is searched as "shutil" and the entry naming shutil most wins.
    other = any_backend.add("til", "shutil copytree and shutil rmtree", "shutil.copytree(a, b)")
    which = any_backend.add("til", "Finding a program", "shutil.which returns its path or None")
    chain = any_backend.add("til", "Flattening", "itertools.chain.from_iterable(lists)")
    any_backend.add("til", "Chaining", "itertools.chain(a, b) then iterable checks")
    assert [r.entry.id for r in any_backend.search("shutil.which", mode="keyword").results] == [
        which.id
    ]
    found = any_backend.search("chain.from_iterable", mode="keyword").results
    assert [r.entry.id for r in found] == [chain.id]
    assert [r.entry.id for r in any_backend.search("which", mode="keyword").results] == [which.id]
    assert other.id in [r.entry.id for r in any_backend.search("shutil", mode="keyword").results]


def test_keyword_weights_title_over_body(any_backend: Rekall) -> None:
    body = any_backend.add("til", "something else", "mentions backoff once")
    title = any_backend.add("til", "backoff explained", "nothing here")
    found = any_backend.search("backoff", mode="keyword").results
    assert [r.entry.id for r in found] == [title.id, body.id]
    assert found[0].score > found[1].score
    assert found[0].keyword_rank == 1


def test_keyword_weighs_a_rare_word_over_a_common_one_in_a_title(any_backend: Rekall) -> None:
    # BM25 on both backends: a word most entries hold says little about any of them.
    for n in range(5):
        any_backend.add("til", f"retry policy {n}", "how the client should retry")
    common = any_backend.add("til", "retry everything", "nothing else here")
    rare = any_backend.add("til", "notes", "the jitter added to every backoff")
    found = any_backend.search("retry jitter", mode="keyword").results
    assert found[0].entry.id == rare.id
    assert common.id in [result.entry.id for result in found]


def test_keyword_snippet_marks_the_match(any_backend: Rekall) -> None:
    any_backend.add("til", "a title", "first line\nthe pgbouncer pool sits in front")
    result = any_backend.search("pgbouncer", mode="keyword").results[0]
    assert "\x02pgbouncer\x03" in result.snippet


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_title_or_tags_only_match_gets_its_snippet_from_there(
    any_backend: Rekall, mode: str
) -> None:
    # FTS5's snippet() picks the column that holds the match: the content's first words,
    # unmarked, say nothing of why the entry was found.
    title = "Quick reference: send cookies [cross-origin] in CORS"
    body = "Quick reference for the CORS third-party rules, and what each browser does."
    any_backend.add("reference", title, body, tags=["samesite"])
    found = any_backend.search("cookies", mode=mode).results
    assert found[0].snippet == title.replace("cookies", "\x02cookies\x03")
    found = any_backend.search("samesite", mode=mode).results
    assert "\x02samesite\x03" in found[0].snippet
    found = any_backend.search("browser", mode=mode).results
    assert "\x02browser\x03" in found[0].snippet and "Quick reference:" not in found[0].snippet


def test_hostile_query_text_never_raises(
    any_backend: Rekall, filled_backend: dict[str, str]
) -> None:
    for query in ['"unbalanced', "a AND OR NOT (", "*", "drop table entries; --", "' || '"]:
        any_backend.search(query, mode="keyword")


def test_filters_apply_in_keyword_search(
    any_backend: Rekall, filled_backend: dict[str, str]
) -> None:
    assert titles(any_backend, "webapp safari cors fails", "keyword", project="api") == []
    assert titles(any_backend, "max_connections", "keyword", tags=("postgres",)) == [
        "Postgres max_connections too low"
    ]


@pytest.mark.model
@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_meaning_finds_entries_sharing_no_words(
    any_backend: Rekall, filled_backend: dict[str, str], mode: str
) -> None:
    found = titles(any_backend, "browser blocks cross-origin request", mode)
    assert found[0] == "CORS fails on Safari"


@pytest.mark.model
def test_semantic_scores_are_cosine_similarities(
    any_backend: Rekall, filled_backend: dict[str, str]
) -> None:
    results = any_backend.search("terminal closes and kills my job", mode="semantic").results
    assert results[0].entry.title == "nohup keeps a job alive after logout"
    assert all(-1.0 <= r.score <= 1.0 for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


@pytest.mark.model
def test_hybrid_ranks_exact_identifier_first(
    any_backend: Rekall, filled_backend: dict[str, str]
) -> None:
    assert titles(any_backend, "ENOSPC", "hybrid")[0] == "ENOSPC: file watchers limit reached"


@pytest.mark.model
@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_filters_apply_before_the_top_k(any_backend: Rekall, mode: str) -> None:
    for number in range(30):
        any_backend.add("til", f"CORS note {number}", "cross-origin requests", project="noise")
    target = any_backend.add("bug", "Safari blocks cross-site cookies", project="webapp")
    found = any_backend.search(
        "cross-origin requests", mode=mode, filters=EntryFilter(project="webapp"), limit=1
    ).results
    assert [r.entry.id for r in found] == [target.id]


@pytest.mark.model
def test_similar_excludes_itself_and_sees_edits(
    any_backend: Rekall, filled_backend: dict[str, str]
) -> None:
    cors = filled_backend["CORS fails on Safari"]
    similar = any_backend.similar(cors, limit=3).results
    assert cors not in [r.entry.id for r in similar]
    nohup = filled_backend["nohup keeps a job alive after logout"]
    any_backend.update(nohup, title="Safari CORS credentials", content="cross-site cookies")
    assert any_backend.similar(cors, limit=1).results[0].entry.id == nohup


@pytest.mark.model
def test_every_entry_gets_a_vector_and_deleted_ones_vanish(any_backend: Rekall) -> None:
    entry = any_backend.add("til", "vectors are stored with entries")
    assert any_backend.stats()["vectors"] == 1
    assert any_backend.search("stored vectors", mode="semantic").results[0].entry.id == entry.id
    any_backend.delete(entry.id)
    assert any_backend.stats()["vectors"] == 0
    assert any_backend.search("stored vectors", mode="semantic").results == []


def test_context_is_stored_read_and_ranks_its_error_first(any_backend: Rekall) -> None:
    error = "TypeError: Cannot read properties of undefined (reading 'map')"
    any_backend.add("til", "Array map on undefined", content="Reading map of undefined.")
    entry = any_backend.add(
        "bug",
        "Product list blank after deploy",
        "Crash",
        context={"situation": "empty API page", "error_messages": [error]},
    )
    got = any_backend.get(entry.id, record_access=False)
    assert got.context is not None
    assert got.context.fields()["error_messages"] == [error]
    hits = any_backend.search(error, mode="keyword").results
    assert hits[0].entry.id == entry.id
    changed = any_backend.update(entry.id, title="Product list blank", context={"situation": None})
    assert changed.context is not None
    assert changed.context.fields()["situation"] is None


def test_document_counts_hold_each_phrase_and_the_total(any_backend: Rekall) -> None:
    any_backend.add("til", "pgbouncer pool sizing", "Size the pool from the total.")
    any_backend.add("til", "node.js pool", "node js event loop", tags=("node",))
    any_backend.add("til", "unrelated", "nothing to see")
    query = KeywordQuery((("pool",), ("node", "js"), ("absent",), ("pgbou",)), prefix_last=True)
    with any_backend.db.read() as conn:
        counts, total = any_backend.db.repos.keyword.document_counts(conn, query)
        whole, _ = any_backend.db.repos.keyword.document_counts(conn, KeywordQuery((("pgbou",),)))
    assert (counts, total) == ([2, 1, 0, 1], 3)
    assert whole == [0]  # without prefix_last the last phrase is a whole word


def test_entry_fields_are_read_for_the_asked_entries(any_backend: Rekall) -> None:
    error = "ENOSPC: System limit for number of file watchers reached"
    first = any_backend.add(
        "bug", "Watchers limit", "Raise it.", tags=("linux", "inotify"),
        context={"error_messages": [error]},
    )  # fmt: skip
    any_backend.add("til", "other entry", "other text")
    with any_backend.db.read() as conn:
        seq = any_backend.db.repos.entries.seq_of(conn, first.id)
        fields = any_backend.db.repos.keyword.entry_fields(conn, [seq, 10_000])
    assert list(fields) == [seq]
    found = fields[seq]
    assert (found.title, found.content) == ("Watchers limit", "Raise it.")
    assert "linux" in found.tags and "inotify" in found.tags
    assert error in found.context


@pytest.mark.parametrize("typed", ["connecti", "connectio", "pool connecti", "authenticat"])
def test_the_word_being_typed_finds_words_it_begins(any_backend: Rekall, typed: str) -> None:
    # Both backends index stems (connection: connect), which a typed prefix can run past.
    wanted = any_backend.add("til", "Connection pool authentication", "Pool sizing.")
    any_backend.add("til", "unrelated", "nothing to see")
    found = any_backend.search(typed, mode="keyword").results
    assert [r.entry.id for r in found] == [wanted.id]
    assert any(word.endswith("*") for word in found[0].matched or {})
    finished = typed.split()[-1] + " "  # a finished word is matched whole
    assert any_backend.search(finished, mode="keyword").results == []


@pytest.mark.model
def test_hybrid_search_as_you_type_keeps_the_typed_entry_first(any_backend: Rekall) -> None:
    wanted = any_backend.add("til", "Pgbouncer transaction pooling", "Prepared statements off.")
    any_backend.add("til", "Connection limits of Postgres", "max_connections and pools.")
    for typed in ("pgbou", "pgbouncer transact"):
        result = any_backend.search(typed, mode="hybrid").results[0]
        assert result.entry.id == wanted.id, typed
        assert result.keyword_rank == 1 and result.similarity is not None


@pytest.mark.model
def test_hybrid_snippets_mark_keyword_matches_only(any_backend: Rekall) -> None:
    words = any_backend.add("til", "pool sizing", "first line\nthe pgbouncer pool sits in front")
    meaning = any_backend.add("til", "connection pooler in front of the database", "a proxy")
    found = {r.entry.id: r for r in any_backend.search("pgbouncer", mode="hybrid").results}
    assert "\x02pgbouncer\x03" in found[words.id].snippet
    assert found[words.id].keyword_rank == 1
    assert found[meaning.id].keyword_rank is None
    assert found[meaning.id].snippet == "a proxy"  # found by meaning: its first line


@pytest.mark.model
def test_hybrid_keyword_side_takes_any_word_and_puts_all_words_first(
    any_backend: Rekall,
) -> None:
    both = any_backend.add("til", "kubernetes pod eviction", "pods evicted under memory pressure")
    one = any_backend.add("til", "zebra crossing", "stripes")
    found = {r.entry.id: r for r in any_backend.search("eviction stripes", mode="hybrid").results}
    assert {found[both.id].keyword_rank, found[one.id].keyword_rank} == {1, 2}
    # An entry holding every word ranks first; the others keep their smaller evidence.
    every = any_backend.add("til", "stripes and eviction", "both words")
    found = {r.entry.id: r for r in any_backend.search("eviction stripes", mode="hybrid").results}
    assert found[every.id].keyword_rank == 1
    assert found[every.id].keyword_strength == 1.0
    assert all(found[i].keyword_strength < 1.0 for i in (both.id, one.id) if i in found)  # type: ignore[operator]


def test_a_word_that_finds_itself_does_not_match_its_shorter_forms(any_backend: Rekall) -> None:
    browsers = any_backend.add("til", "web browsers compared", "engines")
    any_backend.add("til", "browse the archive", "old mail")
    found = any_backend.search("browsers", mode="keyword").results
    assert [r.entry.id for r in found] == [browsers.id]
    with any_backend.db.read() as conn:
        counts, _ = any_backend.db.repos.keyword.document_counts(
            conn, KeywordQuery((("browsers",),), prefix_last=True)
        )
    assert counts == [1]


def test_keyword_evidence_follows_an_edit(any_backend: Rekall) -> None:
    entry = any_backend.add("til", "alpha notes", "pgbouncer in front")
    before = any_backend.search("pgbouncer", mode="keyword").results[0]
    assert before.matched == {"pgbouncer*": ["content"]}
    any_backend.update(entry.id, title="pgbouncer alpha")  # a new generation: nothing stale
    after = any_backend.search("pgbouncer", mode="keyword").results[0]
    assert after.matched == {"pgbouncer*": ["title", "content"]}


def test_a_typed_word_past_any_suffix_matches_nothing(any_backend: Rekall) -> None:
    any_backend.add("til", "Postgres max_connections too low", "raise it")
    assert any_backend.search("postgreszzz", mode="keyword").results == []


def test_snippets_made_later_are_those_the_search_makes(any_backend: Rekall) -> None:
    # Hybrid search ranks without snippets and makes those of the results it shows only.
    any_backend.add("til", "pool sizing", "first line\nthe pgbouncer pool sits in front")
    any_backend.add("til", "pgbouncer modes", "session or transaction pooling, per pool")
    any_backend.add(
        "bug", "Clients refused", "Raise the pool.",
        context={"error_messages": ["pgbouncer: no more connections allowed in pool"]},
    )  # fmt: skip
    query = KeywordQuery((("pgbouncer",), ("pool",)), prefix_last=True)
    keyword = any_backend.db.repos.keyword
    with any_backend.db.read() as conn:
        eager = keyword.search_phrases(conn, query, EntryFilter(), 10)
        lazy = keyword.search_phrases(conn, query, EntryFilter(), 10, snippets=False)
        plain = [hit.seq for hit in lazy if not hit.in_context]
        made = keyword.snippets(conn, query, plain, [hit.seq for hit in lazy if hit.in_context])
    assert [(h.seq, h.bm25, h.in_context) for h in lazy] == [
        (h.seq, h.bm25, h.in_context) for h in eager
    ]
    assert len(eager) == 3 and any(hit.in_context for hit in eager)
    assert {hit.snippet for hit in lazy} == {""}
    assert made == {hit.seq: hit.snippet for hit in eager}
    assert all("\x02" in snippet for snippet in made.values())


def test_ranking_without_snippets_keeps_the_order_of_ties(any_backend: Rekall) -> None:
    # Without snippets SQLite ranks by bm25() itself; entries alike score alike, and the
    # limit cuts through them: the same rows must come in the same order either way.
    for number in range(12):
        kind = "bug" if number % 3 else "til"
        any_backend.add(kind, "pgbouncer pool", "the pgbouncer pool sits in front", ("pool",))
    any_backend.add("til", "pool sizing", "size the pool, pgbouncer or not")
    keyword = any_backend.db.repos.keyword
    query = KeywordQuery((("pgbouncer",), ("pool",)))
    for filters in [EntryFilter(), EntryFilter(types=("bug",)), EntryFilter(tags=("pool",))]:
        for limit in [1, 5, 8, 20]:
            with any_backend.db.read() as conn:
                eager = keyword.search_phrases(conn, query, filters, limit)
                lazy = keyword.search_phrases(conn, query, filters, limit, snippets=False)
            assert [(h.seq, h.bm25) for h in lazy] == [(h.seq, h.bm25) for h in eager]
            assert len({h.bm25 for h in eager}) < len(eager) or limit == 1
