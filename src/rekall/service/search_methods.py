"""Search through the facade: by keywords, meaning or both, similar entries, lookalikes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rekall.config import SEARCH_MODES
from rekall.core import entries as core
from rekall.core.entries import EntryFilter
from rekall.core.errors import ModelError, ValidationError
from rekall.core.results import SIMILAR_EXISTING_THRESHOLD, SearchResponse, SearchResult
from rekall.service import searching

if TYPE_CHECKING:
    from rekall.config import Config
    from rekall.search.cache import LRUCache
    from rekall.search.hybrid import FusionWeights
    from rekall.service.entries import EntryOperations
    from rekall.service.keyword import KeywordSide
    from rekall.service.semantic import SemanticEngine
    from rekall.storage.contract import Store

MAX_LIMIT = core.MAX_SEARCH_LIMIT
# Rankings of recent semantic and hybrid searches, kept per write generation.
RANKINGS_KEPT = 64
KEYWORD_FALLBACK = "Semantic search is unavailable, so these are keyword results only: {}"


class SearchMethods:
    """The facade's searches, mixed into it (which supplies the attributes below)."""

    config: Config
    db: Store
    entries: EntryOperations
    semantic: SemanticEngine
    keyword: KeywordSide
    fusion_weights: FusionWeights
    rankings: LRUCache[searching.Ranking]

    def search(
        self,
        query: str,
        mode: str | None = None,
        filters: EntryFilter | None = None,
        limit: int | None = None,
    ) -> SearchResponse:
        """Find entries by keywords, meaning, or both (default: config's default_mode).

        Raises ValidationError on an empty, oversized or binary query, unknown mode or bad
        limit. Without a model, hybrid and semantic searches fall back to keywords and say so
        in the notices.
        """
        started = time.perf_counter()
        mode = check_mode(mode or self.config.default_mode)
        limit = check_limit(self.config.default_limit if limit is None else limit)
        filters = filters or EntryFilter()
        core.validate_query(query)
        notices: list[str] = []
        ranking = None
        if mode != "keyword":
            try:
                ranking = self._semantic_ranking(mode, query, filters, limit)
            except ModelError as exc:
                notices.append(KEYWORD_FALLBACK.format(exc))
                mode = "keyword"
        if ranking is None:
            ranking = searching.keyword_ranking(
                self.keyword, query, filters, limit, self.fusion_weights
            )
        results = searching.build_results(self.db, ranking)
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResponse(query, mode, results, notices, elapsed)

    def _semantic_ranking(
        self, mode: str, query: str, filters: EntryFilter, limit: int
    ) -> searching.Ranking:
        # The generation is read first: a write in between leaves the ranking under a key
        # that is no longer current, so a stale ranking is never served.
        generation, model_id = self.db.generation(), self.semantic.model_id
        key = (generation, model_id, mode, query, filters, limit, self.fusion_weights)
        ranking = self.rankings.get(key)
        if ranking is None:
            ranking = self._rank(mode, query, filters, limit)
            self.rankings.put(key, ranking)
        return ranking

    def _rank(self, mode: str, query: str, filters: EntryFilter, limit: int) -> searching.Ranking:
        if mode == "semantic":
            return searching.semantic_ranking(self.semantic, self.db, query, filters, limit)
        return searching.hybrid_ranking(
            self.semantic, self.keyword, query, filters, limit, self.fusion_weights
        )

    def similar(
        self, id_or_prefix: str, limit: int = 10, filters: EntryFilter | None = None
    ) -> SearchResponse:
        """Entries nearest in meaning to one entry, itself excluded. Raises ModelError."""
        started = time.perf_counter()
        limit = check_limit(limit)
        entry = self.entries.get(id_or_prefix)
        with self.db.read() as conn:
            seq = self.db.repos.entries.seq_of(conn, entry.id)
        vector = self.semantic.embed_texts([entry.embedding_text()])[0]
        nearest = searching.nearest_hits(
            self.semantic, self.db, vector, filters or EntryFilter(), limit + 1
        )
        hits = [hit for hit in nearest if hit[0] != seq][:limit]
        evidence = {
            s: searching.Evidence(semantic_rank=r, similarity=score)
            for r, (s, score) in enumerate(hits, start=1)
        }
        results = searching.build_results(self.db, (hits, evidence))
        return SearchResponse(
            entry.title, "semantic", results, [], (time.perf_counter() - started) * 1000
        )

    def similar_existing(self, id_or_prefix: str, limit: int = 3) -> list[SearchResult]:
        """Other entries so close in meaning that this one may repeat them; [] without a model."""
        if not self.semantic.model_ready():
            return []
        try:
            return close_matches(self.similar(id_or_prefix, limit).results)
        except ModelError:
            return []


def close_matches(
    results: Sequence[SearchResult], threshold: float = SIMILAR_EXISTING_THRESHOLD
) -> list[SearchResult]:
    """The results at least threshold similar in meaning: likely duplicates or link targets."""
    return [r for r in results if r.similarity is not None and r.similarity >= threshold]


def check_mode(mode: str) -> str:
    """Return the mode. Raises ValidationError naming the valid modes."""
    if mode not in SEARCH_MODES:
        raise ValidationError(
            f"unknown search mode '{mode}'; use one of: {', '.join(SEARCH_MODES)}"
        )
    return mode


def check_limit(limit: int) -> int:
    """Return the limit. Raises ValidationError outside 1..MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit {limit} is out of range; use 1-{MAX_LIMIT}")
    return limit
