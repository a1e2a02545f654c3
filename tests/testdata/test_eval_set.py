"""Integrity of the labelled search evaluation set in tests/fixtures/eval."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rekall.core.context import validate_context_changes
from rekall.core.entries import ENTRY_TYPES, build_new_entry
from rekall.testdata import generate_entries

EVAL_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "eval"
ENTRY_FIELDS = {"key", "type", "title", "content", "tags", "project"}
QUERY_FIELDS = {"query", "kind", "relevant"}


def _load(name: str) -> list[dict[str, Any]]:
    data = json.loads((EVAL_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return _load("corpus.json")


@pytest.fixture(scope="module")
def queries() -> list[dict[str, Any]]:
    return _load("queries.json")


@pytest.fixture(scope="module")
def by_key(corpus: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["key"]: entry for entry in corpus}


def test_corpus_is_large_and_keys_are_unique(corpus: list[dict[str, Any]]) -> None:
    keys = [entry["key"] for entry in corpus]
    assert len(corpus) >= 300
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key) for key in keys)


def test_every_entry_has_the_schema_and_is_valid(corpus: list[dict[str, Any]]) -> None:
    for entry in corpus:
        assert set(entry) - {"context"} == ENTRY_FIELDS, entry["key"]
        validate_context_changes(entry.get("context", {}))
        built = build_new_entry(
            entry["type"], entry["title"], entry["content"], entry["tags"], entry["project"]
        )
        assert built.title == entry["title"], entry["key"]
        assert built.type == entry["type"], entry["key"]
        assert 1 <= len(built.tags) <= 6, entry["key"]
        assert len(entry["content"]) >= 100, entry["key"]


def test_corpus_covers_every_type_and_clusters_topics(corpus: list[dict[str, Any]]) -> None:
    assert {entry["type"] for entry in corpus} == set(ENTRY_TYPES)
    tags = Counter(tag for entry in corpus for tag in entry["tags"])
    for topic in ("docker", "postgres", "react", "k8s", "git", "python", "nodejs", "linux"):
        assert tags[topic] >= 5, topic


def test_queries_have_the_schema_and_enough_of_each_kind(queries: list[dict[str, Any]]) -> None:
    for query in queries:
        assert set(query) == QUERY_FIELDS
        assert query["kind"] in ("question", "identifier", "context")
        assert 1 <= len(query["relevant"]) <= 3
        assert len(set(query["relevant"])) == len(query["relevant"])
    kinds = Counter(query["kind"] for query in queries)
    assert kinds["question"] >= 25
    assert kinds["identifier"] >= 25
    assert kinds["context"] >= 10
    texts = [query["query"].lower() for query in queries]
    assert len(set(texts)) == len(texts)


def test_every_relevant_key_exists(
    queries: list[dict[str, Any]], by_key: dict[str, dict[str, Any]]
) -> None:
    missing = [(q["query"], key) for q in queries for key in q["relevant"] if key not in by_key]
    assert missing == []


def test_identifiers_occur_literally_in_a_relevant_entry(
    queries: list[dict[str, Any]], by_key: dict[str, dict[str, Any]]
) -> None:
    for query in (q for q in queries if q["kind"] == "identifier"):
        needle = query["query"].lower()
        texts = [f"{by_key[k]['title']}\n{by_key[k]['content']}".lower() for k in query["relevant"]]
        assert any(needle in text for text in texts), query["query"]


def test_context_queries_are_answered_only_by_a_context(
    queries: list[dict[str, Any]], corpus: list[dict[str, Any]], by_key: dict[str, dict[str, Any]]
) -> None:
    """An error message or file path that appears in no title or content, only in the
    context of a relevant entry."""
    for query in (q for q in queries if q["kind"] == "context"):
        needle = query["query"].lower()
        assert not [e["key"] for e in corpus if needle in f"{e['title']}\n{e['content']}".lower()]
        contexts = [json.dumps(by_key[k].get("context", {})).lower() for k in query["relevant"]]
        assert any(json.dumps(needle)[1:-1] in text for text in contexts), query["query"]


def test_questions_are_phrased_in_natural_language(queries: list[dict[str, Any]]) -> None:
    for query in (q for q in queries if q["kind"] == "question"):
        assert len(query["query"].split()) >= 3, query["query"]


def test_corpus_is_independent_of_the_generator(corpus: list[dict[str, Any]]) -> None:
    generated = {entry.title for entry in generate_entries(2000, seed=42)}
    assert not generated & {entry["title"] for entry in corpus}
