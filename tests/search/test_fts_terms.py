"""How typed text becomes keyword terms: identifiers per term, prefixes while typing."""

from __future__ import annotations

import pytest

from rekall.search import fts
from rekall.service.keyword import KeywordPlan


@pytest.mark.parametrize(
    "chunk",
    [
        "ENOSPC", "OOMKilled", "useEffect", "os.replace", "--no-deps", "-fsanitize", "TS2307",
        "ERR_REQUIRE_ESM", "node.js", "pg_ctlcluster", "XMLHttpRequest", "`ENOSPC`,",
        "sha256", "x86-64",
    ],
)  # fmt: skip
def test_code_like_words_are_identifiers(chunk: str) -> None:
    assert fts.looks_like_identifier(chunk)


@pytest.mark.parametrize(
    "chunk",
    [
        "API",
        "CORS",
        "HTTP",
        "read-only",
        "e.g.",
        "why",
        "Safari?",
        "slow",
        "i.e.",
        "x",
        "-",
        "*.txt",
        "2-d",
        "16-bit",
        "64-bit",
    ],
)
def test_acronyms_and_plain_words_are_not_identifiers(chunk: str) -> None:
    assert not fts.looks_like_identifier(chunk)


def test_a_question_holding_an_identifier_flags_only_that_term() -> None:
    terms = fts.content_terms(fts.extract_terms("why is my API slow with ENOSPC on disk"))
    assert [(t.text, t.is_identifier) for t in terms] == [
        ("API", False),
        ("slow", False),
        ("ENOSPC", True),
        ("disk", False),
    ]


@pytest.mark.parametrize(
    ("typed", "prefix"),
    [("connecti", True), ("fix the connecti", True), ("connecti ", False), ("co", False),
     ("connection?", False), ("os.repla", True), ("node.js", False)],
)  # fmt: skip
def test_only_the_word_being_typed_is_a_prefix(typed: str, prefix: bool) -> None:
    terms = fts.typing_terms(typed)
    assert terms[-1].prefix is prefix
    assert not any(t.prefix for t in terms[:-1])
    assert KeywordPlan(terms).query().prefix_last is prefix


def test_term_patterns_follow_fts_word_boundaries() -> None:
    node = fts.extract_terms("node.js")[0]
    assert node.pattern().search("requires node-js or node js")
    assert not node.pattern().search("nodejs")
    prefix = fts.typing_terms("connecti")[0]
    assert prefix.pattern().search("a connection refused")
    assert not prefix.pattern().search("reconnecting")


def test_folding_matches_what_fts5_compares() -> None:
    term = fts.extract_terms("Ünïcödé")[0]
    assert term.tokens == ("unicode",)
    assert term.pattern().search(fts.fold("Plain Unicode text"))
    assert fts.fold("Ünïcödé Words") == "unicode words"


def test_folding_drops_diacritics_in_any_position() -> None:
    assert fts.fold("Façade NAÏVE Ærø") == "facade naive ærø"
    assert fts.fold("e\u0301te\u0301") == "ete"  # already decomposed text folds alike
