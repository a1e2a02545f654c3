"""Hybrid search is at least as good as the better of its parts, on questions and identifiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from rekall.service import Rekall
from rekall.testdata import quality

pytestmark = pytest.mark.model
EVAL = Path(__file__).resolve().parent.parent / "fixtures" / "eval"


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], quality.Score]:
    """Scores of every mode on the labelled set, embedded once for the module."""
    home = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REKALL_HOME", str(home))
        patch.setenv("REKALL_CONFIG", str(home / "config.toml"))
        patch.setenv("HF_HUB_OFFLINE", "1")
        service = Rekall()
        try:
            keys = quality.fill_corpus(service, quality.load_corpus(EVAL / "corpus.json"))
            queries = quality.load_queries(EVAL / "queries.json")
            return quality.score_table(quality.facade_searcher(service, keys), queries)
        finally:
            service.close()


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
