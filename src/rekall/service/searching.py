"""The search modes of the facade: keyword, semantic and their fusion, with filters first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rekall.core.entries import Entry, EntryFilter
from rekall.core.results import SearchResult
from rekall.search.cache import LRUCache
from rekall.search.hybrid import RankedList, reciprocal_rank_fusion
from rekall.search.model_files import MODEL_ID
from rekall.service.keyword import KeywordPlan, run_keyword
from rekall.service.semantic import SemanticEngine
from rekall.storage.fts_repo import KeywordHit, KeywordQuery

if TYPE_CHECKING:
    import numpy as np

    from rekall.storage.contract import Store

# Keyword hits, the weight their list earned, and the query their snippets are still to be
# made with (None when the hits carry their snippets).
KeywordCandidates = tuple[list[KeywordHit], float, KeywordQuery | None]
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
        blob = vector.astype("<f4").tobytes()
        return db.query(lambda conn: search.nearest(conn, blob, MODEL_ID, k, filters))
    return engine.nearest(vector, k, allowed_seqs(db, filters, engine.filter_cache))


def keyword_attempts(plan: KeywordPlan) -> list[tuple[KeywordQuery, float]]:
    """The keyword queries hybrid search tries, in order, with the weight their hits earn:
    the first that finds anything gives the keyword candidates.

    A question's words are mostly noise for BM25 ("how do I stop a job…"), so a plain OR of
    its words only earns a small vote. Entries holding every content word earn a full vote,
    and so does any match of a code-like identifier (ENOSPC, useEffect), where exact words
    beat meaning.
    """
    if not plan.terms:
        return []
    if plan.has_identifier:
        return [(plan.query(), WEIGHTS.keyword_identifier)]
    attempts = [(plan.query(), WEIGHTS.keyword_any_term)]
    if len(plan.terms) > 1:
        attempts.insert(0, (plan.query(require_all=True), WEIGHTS.keyword_all_terms))
    return attempts


def first_found(
    attempts: list[tuple[KeywordQuery, float]], found: Iterable[list[KeywordHit]]
) -> KeywordCandidates:
    """The hits of the first attempt that found anything, with that attempt's weight and query."""
    for (query, weight), hits in zip(attempts, found, strict=False):
        if hits:
            return hits, weight, query
    return [], WEIGHTS.keyword_any_term, None


def keyword_lists(db: Store, plan: KeywordPlan, filters: EntryFilter, k: int) -> KeywordCandidates:
    """The keyword candidates for hybrid search and their weight, one query at a time."""
    attempts = keyword_attempts(plan)

    def run(query: KeywordQuery) -> list[KeywordHit]:
        return db.query(lambda conn: db.repos.keyword.search_phrases(conn, query, filters, k))

    # A generator: a later attempt runs only when the ones before it found nothing.
    return first_found(attempts, (run(query) for query, _ in attempts))


def hybrid_candidates(
    engine: SemanticEngine, db: Store, query: str, filters: EntryFilter, k: int
) -> tuple[list[tuple[int, float]], KeywordCandidates]:
    """Both sides' candidates: the nearest entries, and the keyword hits with their weight
    (and, from a server, the query their snippets are still to be made with).

    A server backend answers every list in one statement (one round trip); the embedded
    one searches its in-process vector index and runs the keyword queries as needed.
    """
    vector = engine.embed_query(query)
    plan = KeywordPlan.from_query(query)
    search = db.repos.vector_search
    if search is None:
        hits, weight, _ = keyword_lists(db, plan, filters, k)
        return nearest_hits(engine, db, vector, filters, k), (hits, weight, None)
    attempts = keyword_attempts(plan)
    blob, queries = vector.astype("<f4").tobytes(), [q for q, _ in attempts]
    semantic, lists = db.query(
        lambda conn: search.candidates(conn, blob, MODEL_ID, k, queries, filters)
    )
    return semantic, first_found(attempts, lists)


@dataclass
class Evidence:
    """What each side said about one entry."""

    keyword_rank: int | None = None
    semantic_rank: int | None = None
    similarity: float | None = None
    snippet: str = ""
    # The keyword query whose words the snippet is to show, when the backend makes snippets
    # only for the results shown (PostgreSQL: a headline costs more than the search).
    highlight: KeywordQuery | None = None


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
    semantic, (keyword, keyword_weight, highlight) = hybrid_candidates(
        engine, db, query, filters, k
    )
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
        found.keyword_rank, found.snippet, found.highlight = rank, hit.snippet, highlight
    return fused[:limit], evidence


def build_results(db: Store, ranking: Ranking) -> list[SearchResult]:
    """SearchResults in ranked order, reading the entries in one query."""
    ranked, evidence = ranking
    found, snippets = read_results(db, [seq for seq, _ in ranked], evidence)
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
                said.snippet or snippets.get(seq) or first_line(entry.content),
                keyword_rank=said.keyword_rank,
                semantic_rank=said.semantic_rank,
                similarity=said.similarity,
            )
        )
    return results


def read_results(
    db: Store, seqs: list[int], evidence: dict[int, Evidence]
) -> tuple[dict[int, Entry], dict[int, str]]:
    """The entries, and the snippets the candidates left to be made, in one query."""
    wanted = [seq for seq in seqs if seq in evidence and evidence[seq].highlight is not None]
    search = db.repos.vector_search
    if search is None or not wanted:
        return db.query(lambda conn: db.repos.entries.fetch_by_seqs(conn, seqs)), {}
    highlight = evidence[wanted[0]].highlight
    assert highlight is not None
    return db.query(lambda conn: search.entries_with_snippets(conn, seqs, highlight, wanted))


def first_line(content: str, width: int = 160) -> str:
    """A snippet for entries found by meaning: the first non-empty line, shortened."""
    for line in content.splitlines():
        stripped = line.strip().lstrip("#").strip()
        if stripped and not stripped.startswith("```"):
            return stripped if len(stripped) <= width else stripped[: width - 1] + "…"
    return ""
