"""Keyword search with whatever a person types: never a syntax error, identifiers found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rekall.core.entries import MAX_QUERY_CHARS, EntryFilter, build_new_entry
from rekall.core.errors import ValidationError
from rekall.core.ids import new_id
from rekall.service import Rekall
from rekall.storage import entries_repo
from rekall.storage.database import open_database

CORPUS = {
    "cpp": ("til", "Templates in C++", "C++ template messages are long; read the first one."),
    "node": (
        "bug",
        "ERR_REQUIRE_ESM when requiring node-fetch",
        "node.js refuses require() of an ES module; use a dynamic import.",
    ),
    "dont": ("pitfall", "Don't commit secrets", "Rotate any key that reached the repository."),
    "foobar": ("snippet", "The foo-bar function", "foo-bar splits names on dashes."),
    "near": ("pattern", "Cache near the edge", "Serve static files from a CDN near the user."),
    "cjk": ("reference", "日本語 のドキュメント", "日本語 テキスト and Ünïcödé words"),
    "cors": ("bug", "CORS error on Safari", "The browser blocks the request without credentials."),
    "stopwords": ("til", "How do I do this with the thing", "What is it that we should have?"),
    "node_js_apart": ("til", "Node tooling", "Install the js bundle later; node is fine."),
}

LOG_LINE = "2025-01-01T00:00:00Z ERROR [worker-3] KeyError('id') at app.py:42 (retry=3)\n"
# fmt: off
HOSTILE_QUERIES = [
    "C++", "node.js", "don't", "foo-bar", '"unbalanced', "unbalanced'", "AND", "OR", "NOT",
    "NEAR", "NEAR(a b)", "a AND", "OR b", "NOT NOT", "*", "^", ":", "(", ")", "()", "a:b",
    "title:secret", "col:", "-x", "+y", "x*", "^start", '"', '""', "'", "`", "{}", "[]", "\\",
    "🚀", "🚀 rocket", "👩‍💻", "日本語", "ドキュメント", "Ünïcödé", "naïve café",
    LOG_LINE * (10_240 // len(LOG_LINE) + 1),
    "\x01\x02\x03", "\x1b[31mred\x1b[0m", "bell\x07", "del\x7f", "tab\tinside", "\x02hi\x03",
    "'; DROP TABLE entries; --", "\" OR 1=1 --", "Robert'); DROP TABLE entries;--",
    "1' OR '1'='1", "entries_fts MATCH '*'", "UNION SELECT * FROM meta", "%", "_", "%_%",
    "abc\udcffdef", "\ud800", "word " * 500, "a" * 10_000, "x" * 300 + " " + "y" * 300,
    "\u200b", "\ufeffbom", "ﬁ ligature", "İstanbul", "ß", "-- comment", "/* c */",
]
# fmt: on


@pytest.fixture
def rekall(tmp_path: Path) -> Iterator[Rekall]:
    """The facade on a small corpus written straight through storage (no model involved)."""
    path = tmp_path / "corpus.db"
    db = open_database(path)
    with db.write() as (conn, _):
        for kind, title, content in CORPUS.values():
            new = build_new_entry(kind, title, content)
            entries_repo.insert_entry(conn, new_id(), new, "2025-01-01T00:00:00+00:00")
    db.close()
    service = Rekall(db_file=path)
    try:
        yield service
    finally:
        service.close()


def titles(rekall: Rekall, query: str) -> list[str]:
    response = rekall.search(query, mode="keyword", filters=EntryFilter(status=None), limit=50)
    assert response.mode == "keyword"
    return [result.entry.title for result in response.results]


def title_of(key: str) -> str:
    return CORPUS[key][1]


def unencodable_or_too_long(query: str) -> bool:
    """Queries the service refuses: undecodable bytes, or more than MAX_QUERY_CHARS."""
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return len(query) > MAX_QUERY_CHARS


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_query_answers_or_is_refused_clearly(rekall: Rekall, query: str) -> None:
    if unencodable_or_too_long(query):
        with pytest.raises(ValidationError, match="not valid UTF-8|the limit is 10,000"):
            rekall.search(query, mode="keyword")
        return
    response = rekall.search(query, mode="keyword")
    assert response.mode == "keyword"
    assert response.notices == []
    assert all(result.keyword_rank for result in response.results)
    with rekall.db.read() as conn:
        assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] == len(CORPUS)


@pytest.mark.parametrize("query", ["*", "^", ":", "(", ")", '"', "🚀", "\x00", "\x01\x02", "%"])
def test_query_without_words_finds_nothing(rekall: Rekall, query: str) -> None:
    assert titles(rekall, query) == []


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("C++", "cpp"),
        ("c++", "cpp"),
        ("don't", "dont"),
        ("foo-bar", "foobar"),
        ("NEAR", "near"),  # an FTS5 operator, matched as a plain word
        ("日本語", "cjk"),
        ("unicode", "cjk"),  # diacritics folded: Ünïcödé
        ('"Safari', "cors"),
        ("Safari\"'", "cors"),
    ],
)
def test_punctuated_words_are_matched_as_words(rekall: Rekall, query: str, key: str) -> None:
    assert title_of(key) in titles(rekall, query)


@pytest.mark.parametrize(
    "query",
    ["node.js", "ERR_REQUIRE_ESM", "err_require_esm", "ERR_REQUIRE_ESM node.js", "node-fetch"],
)
def test_identifiers_find_the_entry_holding_them_first(rekall: Rekall, query: str) -> None:
    found = titles(rekall, query)
    assert found[0] == title_of("node")


def test_identifier_is_matched_as_a_phrase(rekall: Rekall) -> None:
    """'node.js' is the phrase "node js", not any entry holding both words apart."""
    assert titles(rekall, "node.js") == [title_of("node")]


def test_stop_words_are_dropped(rekall: Rekall) -> None:
    found = titles(rekall, "how do I fix the CORS error with this")
    assert found == [title_of("cors")]


def test_query_of_only_stop_words_still_searches(rekall: Rekall) -> None:
    assert title_of("stopwords") in titles(rekall, "how do I")


def test_keyword_search_applies_filters_before_the_limit(rekall: Rekall) -> None:
    only_bugs = rekall.search("the", mode="keyword", filters=EntryFilter(types=("bug",)))
    assert {result.entry.type for result in only_bugs.results} == {"bug"}
    one = rekall.search("node", mode="keyword", limit=1)
    assert len(one.results) == 1


def test_deprecated_entries_are_left_out_by_default(rekall: Rekall) -> None:
    entry_id = rekall.search("CORS", mode="keyword").results[0].entry.id
    rekall.deprecate(entry_id)
    assert rekall.search("CORS", mode="keyword").results == []
    assert titles(rekall, "CORS") == [title_of("cors")]


@pytest.mark.parametrize("query", ["", " ", "   ", "\t\n", "\u3000", "\u00a0 \u2003"])
def test_blank_query_is_a_validation_error(rekall: Rekall, query: str) -> None:
    with pytest.raises(ValidationError, match="query is empty"):
        rekall.search(query, mode="keyword")


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    # The corpus is only read, so sharing one database across examples is sound.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.text())
def test_any_text_is_a_valid_keyword_query(rekall: Rekall, query: str) -> None:
    if not query.strip():
        with pytest.raises(ValidationError):
            rekall.search(query, mode="keyword")
        return
    response = rekall.search(query, mode="keyword", limit=5)
    assert len(response.results) <= 5


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    words=st.lists(
        st.sampled_from(
            [
                "AND",
                "OR",
                "NOT",
                "NEAR",
                "(",
                ")",
                '"',
                "*",
                "^",
                ":",
                "-",
                "+",
                "C++",
                "node.js",
                "x",
            ]
        ),
        min_size=1,
    )
)
def test_any_mix_of_operators_is_a_valid_keyword_query(rekall: Rekall, words: list[str]) -> None:
    rekall.search(" ".join(words), mode="keyword")


@pytest.mark.parametrize("typed", ["Templ", "templates in C", "ERR_REQ", "Don't comm"])
def test_the_word_being_typed_matches_as_a_prefix(rekall: Rekall, typed: str) -> None:
    found = titles(rekall, typed)
    assert found and found[0] in {title_of("cpp"), title_of("node"), title_of("dont")}


def test_a_finished_word_is_not_a_prefix(rekall: Rekall) -> None:
    assert titles(rekall, "Templ ") == []
    assert titles(rekall, "Te") == []
