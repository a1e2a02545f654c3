"""Search quality on a labelled set: load the corpus, run the queries, recall@k and MRR."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rekall.core.entries import EntryFilter

Searcher = Callable[[str, str, int], list[str]]  # (query, mode, limit) -> entry ids
MODES = ("keyword", "semantic", "hybrid")


@dataclass(frozen=True)
class Query:
    """A labelled query: its kind (question, identifier, or context: an error message or file
    path found only in an entry's context) and the keys that answer it."""

    text: str
    kind: str
    relevant: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    """Recall@k and mean reciprocal rank over a group of queries."""

    recall: float
    mrr: float
    queries: int


def load_queries(path: Path) -> list[Query]:
    """Read queries.json."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [Query(q["query"], q["kind"], tuple(q["relevant"])) for q in raw]


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """Read corpus.json: entries with a stable key."""
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def fill_corpus(service: Any, corpus: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Add every corpus entry (and its context, if any) through the facade; return entry id
    → corpus key."""
    keys = {}
    for item in corpus:
        entry = service.add(
            str(item["type"]),
            str(item["title"]),
            str(item["content"]),
            tuple(item["tags"]),
            item.get("project"),
            context=item.get("context"),
        )
        keys[entry.id] = str(item["key"])
    return keys


def facade_searcher(service: Any, keys: dict[str, str]) -> Searcher:
    """A Searcher over the facade that answers corpus keys."""

    def search(query: str, mode: str, limit: int) -> list[str]:
        response = service.search(
            query,
            mode=mode,
            limit=limit,
            filters=EntryFilter(status=None),
        )
        return [keys[result.entry.id] for result in response.results]

    return search


def score(search: Searcher, queries: Sequence[Query], mode: str, k: int = 10) -> Score:
    """Mean recall@k (share of relevant keys in the top k) and MRR of the first relevant."""
    recalls, reciprocal = [], []
    for query in queries:
        found = search(query.text, mode, k)
        hits = [key for key in found if key in query.relevant]
        recalls.append(len(hits) / len(query.relevant))
        first = next((rank for rank, key in enumerate(found, 1) if key in query.relevant), None)
        reciprocal.append(1 / first if first else 0.0)
    return Score(statistics.fmean(recalls), statistics.fmean(reciprocal), len(queries))


def score_table(
    search: Searcher, queries: Sequence[Query], k: int = 10
) -> dict[tuple[str, str], Score]:
    """(kind, mode) → Score for every query kind (and 'all') and every mode."""
    kinds = sorted({q.kind for q in queries}) + ["all"]
    table = {}
    for kind in kinds:
        group = [q for q in queries if kind in ("all", q.kind)]
        for mode in MODES:
            table[(kind, mode)] = score(search, group, mode, k)
    return table
