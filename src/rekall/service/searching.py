"""The search modes of the facade: keyword, semantic and their fusion, with filters first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rekall.core.entries import Entry, EntryFilter
from rekall.core.results import SearchResult, SlotRecord
from rekall.search.cache import LRUCache
from rekall.search.hybrid import FusionWeights, fuse
from rekall.service.keyword import (
    KeywordMatch,
    KeywordPlan,
    KeywordSide,
)
from rekall.service.semantic import SemanticEngine
from rekall.storage.fts_repo import KeywordQuery

if TYPE_CHECKING:
    import numpy as np

    from rekall.storage.contract import Store

# How many candidates each side contributes to fusion, relative to the asked limit.
CANDIDATE_FACTOR = 5
MIN_CANDIDATES = 50
# How long a failed keyword side waits for the vectors being scored beside it (milliseconds
# of work): the index must not be released while they are.
SCORING_WAIT_S = 60.0


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
        blob, model_id = vector.astype("<f4").tobytes(), engine.model_id
        return db.query(lambda conn: search.nearest(conn, blob, model_id, k, filters))
    return engine.nearest(vector, k, allowed_seqs(db, filters, engine.filter_cache))


def hybrid_candidates(
    engine: SemanticEngine,
    keyword: KeywordSide,
    text: str,
    plan: KeywordPlan,
    filters: EntryFilter,
    k: int,
    weights: FusionWeights,
) -> tuple[list[tuple[int, float]], list[KeywordMatch], KeywordQuery | None]:
    """Both sides' candidates: the nearest entries, the weighed keyword hits, and the query
    their snippets are still to be made with (only for the results shown: a fifth of them).

    A server's keyword side needs no query vector: it runs on the keyword side's worker
    thread while this one embeds the query and asks for the nearest entries. The embedded
    backend embeds first (beside the embedding its keyword side measured no faster and cost
    more CPU, decision 012), then scores the vectors on the worker while this thread runs
    the keyword side. An error of the semantic side wins, as when the sides ran in turn (a
    model error makes the caller fall back to keywords); a server's keyword statement is
    then cancelled (a Ctrl+C must not wait for a server's lock). On the embedded backend the
    query is embedded first, so a model error still comes first; an error of the keyword
    side is raised once the vectors are scored.
    """
    db = keyword.db
    search = db.repos.vector_search
    if search is None:
        vector = engine.embed_query(text)
        return *_embedded_sides(engine, keyword, vector, plan, filters, k, weights), plan.query()
    # Without a usable model the embedding fails and the caller falls back to keywords:
    # a keyword side sent meanwhile would be asked for twice.
    if not plan.terms or not engine.model_ready():
        vector = engine.embed_query(text)
        matches = keyword.weighed(plan, filters, k, weights, snippets=False)
        return nearest_hits(engine, db, vector, filters, k), matches, plan.query()
    from rekall.service.server_keyword import ServerKeywordSide

    side = ServerKeywordSide(keyword, search, plan, filters, k, weights)
    try:
        semantic = nearest_hits(engine, db, engine.embed_query(text), filters, k)
    except BaseException:
        side.abandon()
        raise
    matches = side.pending.result()  # first: the side sets the query its counts resolved
    return semantic, matches, side.query


def _embedded_sides(
    engine: SemanticEngine,
    keyword: KeywordSide,
    vector: np.ndarray,
    plan: KeywordPlan,
    filters: EntryFilter,
    k: int,
    weights: FusionWeights,
) -> tuple[list[tuple[int, float]], list[KeywordMatch]]:
    """The nearest entries and the weighed keyword hits on the embedded backend. In a
    long-lived process (TUI, MCP) numpy's pass over the vectors (~2.5 ms at 10K, without the
    interpreter's lock) runs on the keyword side's worker while this thread runs the keyword
    side (decision 012); a one-shot command runs them in turn and starts no thread."""
    allowed = allowed_seqs(keyword.db, filters, engine.filter_cache)
    with engine.held_index(k, allowed) as (score, index_name):
        # sqlite-vec scores on a connection of its own: kept on this thread.
        if not plan.terms or not engine.long_lived or index_name != "numpy":
            return score(vector), keyword.weighed(plan, filters, k, weights, snippets=False)
        pending = keyword.worker.submit(lambda: score(vector))
        try:
            matches = keyword.weighed(plan, filters, k, weights, snippets=False)
        except BaseException:
            if not pending.claim():
                pending.wait(SCORING_WAIT_S)  # the index is let go only once it has scored
            raise
        if pending.claim():  # the worker never got a core: score here, as in turn
            return score(vector), matches
        return pending.result(), matches


class Evidence(SlotRecord):
    """What each side said about one entry."""

    __slots__ = (
        "keyword_rank",
        "semantic_rank",
        "similarity",
        "snippet",
        "matched",
        "keyword_strength",
        "highlight",
        "in_context",
    )

    def __init__(self, semantic_rank: int | None = None, similarity: float | None = None) -> None:
        self.keyword_rank: int | None = None
        self.semantic_rank = semantic_rank
        self.similarity = similarity
        self.snippet = ""
        self.matched: dict[str, list[str]] | None = None  # term -> fields (title, tags, content)
        self.keyword_strength: float | None = None
        # The keyword query whose words the snippet is to show, when snippets are made only
        # for the results shown (hybrid search: a fifth of its candidates); build_results()
        # keeps them here, with the cached ranking.
        self.highlight: KeywordQuery | None = None
        self.in_context = False  # found by the keyword query within its context


Ranking = tuple[list[tuple[int, float]], dict[int, Evidence]]


def keyword_ranking(
    keyword: KeywordSide, query: str, filters: EntryFilter, limit: int, weights: FusionWeights
) -> Ranking:
    """Keyword mode: BM25 order; the score is BM25 relevance (higher is better)."""
    plan = KeywordPlan.from_query(query, weights.prefix_last)
    matches = keyword.weighed(plan, filters, limit, weights)
    evidence: dict[int, Evidence] = {}
    for rank, match in enumerate(matches, start=1):
        evidence[match.hit.seq] = keyword_said(Evidence(), rank, match)
    return [(m.hit.seq, -m.hit.bm25) for m in matches], evidence


def keyword_said(evidence: Evidence, rank: int, match: KeywordMatch) -> Evidence:
    """Record a keyword match's rank, snippet and evidence."""
    evidence.keyword_rank, evidence.snippet = rank, match.hit.snippet
    evidence.in_context = match.hit.in_context
    evidence.matched = match.evidence.fields
    evidence.keyword_strength = match.evidence.strength
    return evidence


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
    engine: SemanticEngine,
    keyword: KeywordSide,
    query: str,
    filters: EntryFilter,
    limit: int,
    weights: FusionWeights,
) -> Ranking:
    """Hybrid mode: semantic similarity plus a keyword vote earned by each hit's evidence."""
    k = max(limit * CANDIDATE_FACTOR, MIN_CANDIDATES)
    plan = KeywordPlan.from_query(query, weights.prefix_last)
    semantic, matches, highlight = hybrid_candidates(
        engine, keyword, query, plan, filters, k, weights
    )
    fused = fuse(
        semantic,
        [m.hit.seq for m in matches],
        {m.hit.seq: m.evidence.vote for m in matches},
        weights,
    )
    evidence: dict[int, Evidence] = {}
    for rank, (seq, similarity) in enumerate(semantic, start=1):
        evidence[seq] = Evidence(semantic_rank=rank, similarity=similarity)
    for rank, match in enumerate(matches, start=1):
        said = keyword_said(evidence.setdefault(match.hit.seq, Evidence()), rank, match)
        said.highlight = highlight
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
                matched=said.matched,
                keyword_strength=said.keyword_strength,
            )
        )
    return results


def read_results(
    db: Store, seqs: list[int], evidence: dict[int, Evidence]
) -> tuple[dict[int, Entry], dict[int, str]]:
    """The entries, and the snippets the candidates left to be made, in one read; those
    snippets are kept in the evidence, for a search that finds the ranking cached."""
    wanted = [
        seq for seq in seqs if (said := evidence.get(seq)) and said.highlight and not said.snippet
    ]
    if not wanted:
        return db.query(lambda conn: db.repos.entries.fetch_by_seqs(conn, seqs)), {}
    highlight = evidence[wanted[0]].highlight
    assert highlight is not None
    found = db.query(
        lambda conn: entries_with_snippets(db, conn, seqs, highlight, wanted, evidence)
    )
    for seq, snippet in found[1].items():
        evidence[seq].snippet = snippet
    return found


def entries_with_snippets(
    db: Store,
    conn: Any,
    seqs: list[int],
    highlight: KeywordQuery,
    wanted: list[int],
    evidence: dict[int, Evidence],
) -> tuple[dict[int, Entry], dict[int, str]]:
    """The entries, and the snippets of those wanted; in one statement on a server."""
    search = db.repos.vector_search
    if search is not None:
        return search.entries_with_snippets(conn, seqs, highlight, wanted)
    context = [seq for seq in wanted if evidence[seq].in_context]
    plain = [seq for seq in wanted if not evidence[seq].in_context]
    made = db.repos.keyword.snippets(conn, highlight, plain, context)
    return db.repos.entries.fetch_by_seqs(conn, seqs), made


def first_line(content: str, width: int = 160) -> str:
    """A snippet for entries found by meaning: the first non-empty line, shortened."""
    for line in content.splitlines():
        stripped = line.strip().lstrip("#").strip()
        if stripped and not stripped.startswith("```"):
            return stripped if len(stripped) <= width else stripped[: width - 1] + "…"
    return ""
