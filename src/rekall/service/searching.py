"""The search modes of the facade: keyword, semantic and their fusion, with filters first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rekall.core.entries import EntryFilter
from rekall.core.results import SearchResult
from rekall.search.cache import LRUCache
from rekall.search.hybrid import RankedList, reciprocal_rank_fusion
from rekall.search.model_files import MODEL_ID
from rekall.service.keyword import KeywordPlan, run_keyword
from rekall.service.semantic import SemanticEngine
from rekall.storage.fts_repo import KeywordHit

if TYPE_CHECKING:
    import numpy as np

    from rekall.storage.contract import Store

# How many candidates each side contributes to fusion, relative to the asked limit.
CANDIDATE_FACTOR = 5
MIN_CANDIDATES = 50


@dataclass(frozen=True)
class FusionWeights:
    """How much vote each list gets in hybrid search (docs/decisions/002-hybrid-fusion.md)."""

    semantic: float = 1.0
    keyword_all_terms: float = 1.0
    keyword_any_term: float = 0.1
    keyword_identifier: float = 1.5
    # Entries whose context declares every term (an error message, trigger keyword or file
    # path): the person typed what was recorded to bring them back, as exact as an identifier.
    keyword_context: float = 1.5


WEIGHTS = FusionWeights()


def allowed_seqs(
    db: Store, filters: EntryFilter, cache: LRUCache[tuple[list[int] | None]] | None = None
) -> list[int] | None:
    """Seqs the filter allows, or None when it allows everything (no mask needed).

    Cached per write generation: a search-as-you-type session reuses the same filter for
    every keystroke, and any write makes the cached list invalid by changing the key.
    """
    if filters.is_empty:
        return None
    # Read before the list: a write in between leaves an entry under a key no longer current.
    key = (db.generation(), filters)
    if cache is not None and (found := cache.get(key)) is not None:
        return found[0]
    with db.read() as conn:
        allowed = db.repos.entries.filtered_seqs(conn, filters)
    if cache is not None:
        cache.put(key, (allowed,))
    return allowed


def semantic_hits(
    engine: SemanticEngine, db: Store, query: str, filters: EntryFilter, k: int
) -> list[tuple[int, float]]:
    """Nearest entries by meaning, filters applied before the top-k."""
    return nearest_hits(engine, db, engine.embed_query(query), filters, k)


def nearest_hits(
    engine: SemanticEngine, db: Store, vector: np.ndarray, filters: EntryFilter, k: int
) -> list[tuple[int, float]]:
    """The k entries nearest to a vector among those the filter allows, best first.

    A server backend searches its own vector index with the filter in the same query; the
    embedded one searches this process's index, restricted to the allowed seqs.
    """
    search = db.repos.vector_search
    if search is not None:
        with db.read() as conn:
            return search.nearest(conn, vector.astype("<f4").tobytes(), MODEL_ID, k, filters)
    return engine.nearest(vector, k, allowed_seqs(db, filters, engine.filter_cache))


def keyword_lists(
    db: Store, plan: KeywordPlan, filters: EntryFilter, k: int
) -> tuple[list[KeywordHit], float]:
    """The keyword candidates for hybrid search and the weight they have earned.

    A question's words are mostly noise for BM25 ("how do I stop a job…"), so a plain OR of
    its words only earns a small vote. Entries holding every content word earn a full vote,
    and so does any match of a code-like identifier (ENOSPC, useEffect), where exact words
    beat meaning.
    """
    if plan.has_identifier:
        return run_keyword(db, plan, filters, k), WEIGHTS.keyword_identifier
    if len(plan.terms) > 1:
        all_terms = run_keyword(db, plan, filters, k, require_all=True)
        if all_terms:
            return all_terms, WEIGHTS.keyword_all_terms
    return run_keyword(db, plan, filters, k), WEIGHTS.keyword_any_term


@dataclass
class Evidence:
    """What each side said about one entry."""

    keyword_rank: int | None = None
    semantic_rank: int | None = None
    similarity: float | None = None
    snippet: str = ""


Ranking = tuple[list[tuple[int, float]], dict[int, Evidence]]


def keyword_ranking(db: Store, query: str, filters: EntryFilter, limit: int) -> Ranking:
    """Keyword mode: BM25 order; the score is BM25 relevance (higher is better)."""
    hits = run_keyword(db, KeywordPlan.from_query(query), filters, limit)
    evidence = {
        hit.seq: Evidence(keyword_rank=rank, snippet=hit.snippet)
        for rank, hit in enumerate(hits, start=1)
    }
    return [(hit.seq, -hit.bm25) for hit in hits], evidence


def semantic_ranking(
    engine: SemanticEngine, db: Store, query: str, filters: EntryFilter, limit: int
) -> Ranking:
    """Semantic mode: cosine order; the score is the cosine similarity."""
    hits = semantic_hits(engine, db, query, filters, limit)
    evidence = {
        seq: Evidence(semantic_rank=rank, similarity=score)
        for rank, (seq, score) in enumerate(hits, start=1)
    }
    return hits, evidence


def hybrid_ranking(
    engine: SemanticEngine, db: Store, query: str, filters: EntryFilter, limit: int
) -> Ranking:
    """Hybrid mode: both sides' candidates fused by weighted reciprocal rank."""
    k = max(limit * CANDIDATE_FACTOR, MIN_CANDIDATES)
    semantic = semantic_hits(engine, db, query, filters, k)
    keyword, keyword_weight = keyword_lists(db, KeywordPlan.from_query(query), filters, k)
    fused = reciprocal_rank_fusion(
        [
            RankedList([seq for seq, _ in semantic], WEIGHTS.semantic),
            RankedList([hit.seq for hit in keyword], keyword_weight),
            RankedList([hit.seq for hit in keyword if hit.in_context], WEIGHTS.keyword_context),
        ]
    )
    evidence: dict[int, Evidence] = {}
    for rank, (seq, similarity) in enumerate(semantic, start=1):
        evidence[seq] = Evidence(semantic_rank=rank, similarity=similarity)
    for rank, hit in enumerate(keyword, start=1):
        found = evidence.setdefault(hit.seq, Evidence())
        found.keyword_rank, found.snippet = rank, hit.snippet
    return fused[:limit], evidence


def build_results(db: Store, ranking: Ranking) -> list[SearchResult]:
    """SearchResults in ranked order, reading the entries in one query."""
    ranked, evidence = ranking
    with db.read() as conn:
        found = db.repos.entries.fetch_by_seqs(conn, [seq for seq, _ in ranked])
    results = []
    for seq, score in ranked:
        if seq not in found:
            continue  # deleted between ranking and reading
        said = evidence.get(seq, Evidence())
        entry = found[seq]
        results.append(
            SearchResult(
                entry,
                score,
                said.snippet or first_line(entry.content),
                keyword_rank=said.keyword_rank,
                semantic_rank=said.semantic_rank,
                similarity=said.similarity,
            )
        )
    return results


def first_line(content: str, width: int = 160) -> str:
    """A snippet for entries found by meaning: the first non-empty line, shortened."""
    for line in content.splitlines():
        stripped = line.strip().lstrip("#").strip()
        if stripped and not stripped.startswith("```"):
            return stripped if len(stripped) <= width else stripped[: width - 1] + "…"
    return ""
