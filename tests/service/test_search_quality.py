"""Hybrid search is at least as good as the better of its parts, on questions and identifiers.

Scored on every corpus, each of which the fusion parameters were chosen without (see
docs/decisions/015-fusion-chosen-by-losses.md); document vectors come from fixtures made by
the real model, queries are embedded live by it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from rekall.testdata import quality

pytestmark = pytest.mark.model
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The default FusionWeights are what benchmarks/sweep_fusion.py chooses on the other corpora
# when any one of them is left out (decision 015): each corpus judges parameters that were
# not chosen on it.
HELD_OUT = (quality.HAND_WRITTEN, *quality.REAL_CORPORA)
Table = dict[tuple[str, str], quality.Score]


@pytest.fixture(scope="module", params=HELD_OUT)
def table(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Table:
    """Scores of every mode on one held-out corpus, filled once for the module."""
    home = tmp_path_factory.mktemp(request.param)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REKALL_HOME", str(home))
        patch.setenv("REKALL_CONFIG", str(home / "config.toml"))
        patch.setenv("HF_HUB_OFFLINE", "1")
        service = Rekall(db_file=home / "base.db")
        try:
            search, corpus = quality.open_corpus(service, FIXTURES, request.param, MODEL_ID)
            return quality.score_table(search, corpus.queries)
        finally:
            service.close()


@pytest.mark.parametrize("kind", ["question", "identifier"])
@pytest.mark.parametrize("single", ["keyword", "semantic"])
def test_hybrid_recall_and_mrr_match_or_beat_each_mode(
    table: Table, kind: str, single: str
) -> None:
    hybrid, other = table[(kind, "hybrid")], table[(kind, single)]
    assert hybrid.recall >= other.recall, (kind, single, hybrid, other)
    assert hybrid.mrr >= other.mrr, (kind, single, hybrid, other)


def test_semantic_beats_keywords_on_questions(table: Table) -> None:
    assert table[("question", "semantic")].recall > table[("question", "keyword")].recall


def test_keywords_beat_semantic_on_identifiers(table: Table) -> None:
    assert table[("identifier", "keyword")].mrr > table[("identifier", "semantic")].mrr


CONTEXT_FIELDS = (
    "situation",
    "solution",
    "what_failed",
    "error_messages",
    "trigger_keywords",
    "files_modified",
    "conversation_excerpt",
)


def test_contexts_do_not_hurt_keyword_search_on_questions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hand-written set with its contexts cleared must not answer the questions (none of
    # which is about a context) better in keyword search than with them.
    monkeypatch.setenv("REKALL_HOME", str(tmp_path))
    monkeypatch.setenv("REKALL_CONFIG", str(tmp_path / "config.toml"))
    service = Rekall(db_file=tmp_path / "base.db")
    try:
        corpus = quality.load_named(FIXTURES, quality.HAND_WRITTEN, MODEL_ID)
        keys = quality.fill_corpus(service, corpus.documents, corpus.vectors)
        search = quality.facade_searcher(service, keys)
        questions = [q for q in corpus.queries if q.kind == "question"]
        with_contexts = quality.score(search, questions, "keyword")
        by_key = {str(item["key"]): item for item in corpus.documents}
        assert any(item.get("context") for item in by_key.values()), "the set has contexts"
        for entry_id, key in keys.items():
            if by_key[key].get("context"):
                service.update(entry_id, context=dict.fromkeys(CONTEXT_FIELDS, ""))
        without = quality.score(search, questions, "keyword")
    finally:
        service.close()
    assert with_contexts.mrr >= without.mrr, (with_contexts, without)
    assert with_contexts.recall >= without.recall
