"""Hybrid search is at least as good as the better of its parts, on questions and identifiers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rekall.service import Rekall
from rekall.testdata import quality

pytestmark = pytest.mark.model
EVAL = Path(__file__).resolve().parent.parent / "fixtures" / "eval"
CORPUS_BY_KEY = {str(item["key"]): item for item in quality.load_corpus(EVAL / "corpus.json")}
CONTEXT_FIELDS = (
    "situation",
    "solution",
    "what_failed",
    "error_messages",
    "trigger_keywords",
    "files_modified",
    "conversation_excerpt",
)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Rekall, dict[str, str]]]:
    """The labelled set on a fresh base (entry id -> corpus key), embedded once for the module."""
    home = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REKALL_HOME", str(home))
        patch.setenv("REKALL_CONFIG", str(home / "config.toml"))
        patch.setenv("HF_HUB_OFFLINE", "1")
        service = Rekall()
        try:
            yield service, quality.fill_corpus(service, quality.load_corpus(EVAL / "corpus.json"))
        finally:
            service.close()


@pytest.fixture(scope="module")
def table(filled: tuple[Rekall, dict[str, str]]) -> dict[tuple[str, str], quality.Score]:
    """Scores of every mode on the labelled set."""
    service, keys = filled
    queries = quality.load_queries(EVAL / "queries.json")
    return quality.score_table(quality.facade_searcher(service, keys), queries)


@pytest.mark.parametrize("kind", ["question", "identifier"])
@pytest.mark.parametrize("single", ["keyword", "semantic"])
def test_hybrid_recall_and_mrr_match_or_beat_each_mode(
    table: dict[tuple[str, str], quality.Score], kind: str, single: str
) -> None:
    hybrid, other = table[(kind, "hybrid")], table[(kind, single)]
    assert hybrid.recall >= other.recall, (kind, single, hybrid, other)
    assert hybrid.mrr >= other.mrr, (kind, single, hybrid, other)


def test_semantic_beats_keywords_on_questions(
    table: dict[tuple[str, str], quality.Score],
) -> None:
    assert table[("question", "semantic")].recall > table[("question", "keyword")].recall


def test_keywords_beat_semantic_on_identifiers(
    table: dict[tuple[str, str], quality.Score],
) -> None:
    assert table[("identifier", "keyword")].mrr > table[("identifier", "semantic")].mrr


def test_contexts_do_not_hurt_keyword_search_on_questions(
    filled: tuple[Rekall, dict[str, str]], table: dict[tuple[str, str], quality.Score]
) -> None:
    # Runs after `table` is scored: the same base with its contexts cleared must not answer the
    # questions (none of which is about a context) better than with them.
    service, keys = filled
    cleared = dict.fromkeys(CONTEXT_FIELDS, "")
    with_context = [k for k, item in CORPUS_BY_KEY.items() if item.get("context")]
    assert with_context, "the labelled set has entries with a context"
    for entry_id, key in keys.items():
        if key in with_context:
            service.update(entry_id, context=cleared)
    questions = [q for q in quality.load_queries(EVAL / "queries.json") if q.kind == "question"]
    without = quality.score(quality.facade_searcher(service, keys), questions, "keyword")
    assert table[("question", "keyword")].mrr >= without.mrr, (
        table[("question", "keyword")],
        without,
    )
    assert table[("question", "keyword")].recall >= without.recall
