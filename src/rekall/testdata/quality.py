"""Search quality on labelled corpora: load one, fill a base, run the queries, recall@k and MRR."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rekall.core.entries import (
    EntryFilter,
    NewEntry,
    build_new_entry,
    compose_embedding_text,
    content_hash,
)

Searcher = Callable[[str, str, int], list[str]]  # (query, mode, limit) -> entry ids
MODES = ("keyword", "semantic", "hybrid")
# The hand-written set lives in fixtures/eval; the real-text corpora in fixtures/corpora.
HAND_WRITTEN = "eval"
REAL_CORPORA = ("pydoc", "debian", "libdocs")
FILL_BATCH = 256


@dataclass(frozen=True)
class Query:
    """A labelled query: its kind (question or identifier) and the keys that answer it."""

    text: str
    kind: str
    relevant: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    """Recall@k and mean reciprocal rank over a group of queries, and each query's pair."""

    recall: float
    mrr: float
    queries: int
    each: tuple[tuple[float, float], ...] = field(default=(), compare=False, repr=False)


def load_queries(path: Path) -> list[Query]:
    """Read queries.json."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [Query(q["query"], q["kind"], tuple(q["relevant"])) for q in raw]


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """Read corpus.json: entries with a stable key."""
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Corpus:
    """A labelled corpus: documents, queries and, for the big ones, precomputed vectors."""

    name: str
    documents: list[dict[str, Any]]
    queries: list[Query]
    vectors: dict[str, Any] | None  # content hash of the embedded text -> float32 row


def load_named(fixtures: Path, name: str, model_id: str) -> Corpus:
    """The hand-written set ('eval') or a real-text corpus from fixtures/corpora.

    Raises ValueError when stored vectors belong to other texts or another model: rebuild
    them with benchmarks/corpora/embed_corpora.py.
    """
    folder = fixtures / "corpora"
    documents = load_documents(fixtures, name)
    if name == HAND_WRITTEN:
        queries = load_queries(fixtures / "eval" / "queries.json")
    else:
        queries = load_queries(folder / f"{name}.queries.json")
    if not (folder / f"{name}.vectors.npy").exists():
        return Corpus(name, documents, queries, None)
    return Corpus(name, documents, queries, _stored_vectors(folder, name, documents, model_id))


def load_documents(fixtures: Path, name: str) -> list[dict[str, Any]]:
    """The documents of the hand-written set ('eval') or of a real-text corpus."""
    if name == HAND_WRITTEN:
        return load_corpus(fixtures / "eval" / "corpus.json")
    raw = json.loads((fixtures / "corpora" / f"{name}.json").read_text(encoding="utf-8"))
    documents: list[dict[str, Any]] = raw["documents"]
    return documents


def _stored_vectors(
    folder: Path, name: str, documents: list[dict[str, Any]], model_id: str
) -> dict[str, Any]:
    import numpy as np

    meta = json.loads((folder / f"{name}.vectors.json").read_text(encoding="utf-8"))
    matrix = np.load(folder / f"{name}.vectors.npy").astype(np.float32)
    hashes = [content_hash(embedding_text(d)) for d in documents]
    if meta["model_id"] != model_id or meta["hashes"] != hashes or len(matrix) != len(hashes):
        raise ValueError(
            f"{name}: stored vectors are stale; run benchmarks/corpora/embed_corpora.py"
        )
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)  # float16 storage rounding
    return {**_stored_pieces(folder, name, model_id), **dict(zip(hashes, matrix, strict=True))}


def _stored_pieces(folder: Path, name: str, model_id: str) -> dict[str, Any]:
    """Body-piece vectors under the hash of each piece's text: a piece cut by another rule is
    another text, found nowhere here, and embedded by the model."""
    import numpy as np

    path = folder / f"{name}.pieces.json"
    if not path.exists():
        return {}
    meta = json.loads(path.read_text(encoding="utf-8"))
    matrix = np.load(folder / f"{name}.pieces.npy").astype(np.float32)
    if meta["model_id"] != model_id or len(matrix) != len(meta["hashes"]):
        return {}
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return dict(zip(meta["hashes"], matrix, strict=True))


def new_entry(item: dict[str, Any]) -> NewEntry:
    """The validated entry a corpus document becomes."""
    return build_new_entry(
        str(item["type"]), str(item["title"]), str(item["content"]), item["tags"], item["project"]
    )


def embedding_text(item: dict[str, Any]) -> str:
    """The text Rekall embeds for a corpus document."""
    entry = new_entry(item)
    return compose_embedding_text(entry.title, entry.tags, entry.content)


def fill_corpus(
    service: Any, corpus: Sequence[dict[str, Any]], vectors: dict[str, Any] | None = None
) -> dict[str, str]:
    """Add every corpus entry through the facade's indexer; return entry id -> corpus key.

    With vectors, texts already embedded by the real model take their stored vector; any
    other text (a query, say) still goes through the model.
    """
    if vectors is None:
        return _add_one_by_one(service, corpus)
    _use_stored_vectors(service, vectors)
    keys = {}
    for start in range(0, len(corpus), FILL_BATCH):
        batch = corpus[start : start + FILL_BATCH]
        ids = service.indexer.insert_many([new_entry(item) for item in batch], service.clock())
        keys.update({entry_id: str(item["key"]) for entry_id, item in zip(ids, batch, strict=True)})
    return keys


def _add_one_by_one(service: Any, corpus: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Through the facade's add, context included, each entry embedded by the model."""
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


def _use_stored_vectors(service: Any, vectors: dict[str, Any]) -> None:
    import numpy as np

    embed = service.semantic.embed_texts

    def embed_texts(texts: Sequence[str]) -> Any:
        missing = [text for text in texts if content_hash(text) not in vectors]
        known: dict[str, Any] = dict(zip(missing, embed(missing), strict=True)) if missing else {}
        known.update((t, vectors[content_hash(t)]) for t in texts if t not in known)
        return np.vstack([known[t] for t in texts])

    service.semantic.embed_texts = embed_texts


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
    each = []
    for query in queries:
        found = search(query.text, mode, k)
        hits = [key for key in found if key in query.relevant]
        first = next((rank for rank, key in enumerate(found, 1) if key in query.relevant), None)
        each.append((len(hits) / len(query.relevant), 1 / first if first else 0.0))
    recall = statistics.fmean(pair[0] for pair in each)
    return Score(recall, statistics.fmean(pair[1] for pair in each), len(queries), tuple(each))


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


def open_corpus(service: Any, fixtures: Path, name: str, model_id: str) -> tuple[Searcher, Corpus]:
    """Fill service (a facade on a fresh base) with the named corpus; return its searcher."""
    corpus = load_named(fixtures, name, model_id)
    keys = fill_corpus(service, corpus.documents, corpus.vectors)
    return facade_searcher(service, keys), corpus
