"""Keyword search: the user's text as a query, BM25 hits and the evidence each one carries."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, NamedTuple

from rekall.core.entries import EntryFilter
from rekall.search import fts
from rekall.search.cache import LRUCache
from rekall.search.hybrid import (
    FusionWeights,
    KeywordEvidence,
    idf,
    keyword_evidence,
    term_specs,
)
from rekall.storage.fts_repo import EntryFields, KeywordHit, KeywordQuery

if TYPE_CHECKING:
    from rekall.service.side_worker import SideWorker
    from rekall.storage.contract import Store

# Document counts of this many distinct terms are kept; a typing session needs a few dozen.
COUNT_CACHE_SIZE = 4096
# Folded fields of this many entries are kept: ten searches' worth of 50 candidates.
FIELDS_CACHE_SIZE = 500
Folded = dict[str, str]  # field name (title, tags, content, context) -> folded text


class KeywordPlan(NamedTuple):
    """The keyword side of a search: the content terms, the last one maybe a prefix."""

    terms: list[fts.Term]

    @classmethod
    def from_query(cls, query: str, prefix_last: bool = True) -> KeywordPlan:
        if prefix_last:
            return cls(fts.typing_terms(query))
        return cls(fts.content_terms(fts.extract_terms(query)))

    def query(self) -> KeywordQuery:
        """The backend-neutral query: any term may match, the last maybe as a prefix."""
        prefix = bool(self.terms) and self.terms[-1].prefix
        return KeywordQuery(tuple(term.tokens for term in self.terms), False, prefix)


class KeywordMatch(NamedTuple):
    """A BM25 hit with what its terms are worth (see search/hybrid.py)."""

    hit: KeywordHit
    evidence: KeywordEvidence


class KeywordSide:
    """Keyword search on one base; how many entries hold a term, and the candidates' folded
    fields, are cached per write generation (search as you type sees the same entries)."""

    def __init__(self, db: Store) -> None:
        self.db = db
        self.counts: LRUCache[int] = LRUCache(COUNT_CACHE_SIZE)
        self.fields: LRUCache[Folded] = LRUCache(FIELDS_CACHE_SIZE)
        self._worker: SideWorker | None = None
        self._worker_lock = threading.Lock()
        self._closed = False

    @property
    def worker(self) -> SideWorker:
        """The thread a search's other side runs on meanwhile (a server's keyword candidates
        while the query is embedded; the embedded index's pass over the vectors while the
        keyword side runs); made at first use, under a lock: two first searches at once (MCP
        over HTTP, the TUI) must not make two. After close(), a closed one: work then runs
        in the caller's thread and no thread outlives the facade."""
        with self._worker_lock:
            if self._worker is None:
                from rekall.service.side_worker import SideWorker

                self._worker = SideWorker()
                if self._closed:
                    self._worker.close()
            return self._worker

    @worker.setter
    def worker(self, worker: SideWorker) -> None:
        with self._worker_lock:
            previous, self._worker = self._worker, worker
        if previous is not None:
            previous.close()

    def close(self) -> None:
        """Stop the worker thread (a search after this runs its sides in turn)."""
        with self._worker_lock:
            self._closed, worker = True, self._worker
        if worker is not None:
            worker.close()

    def weighed(
        self,
        plan: KeywordPlan,
        filters: EntryFilter,
        limit: int,
        weights: FusionWeights,
        snippets: bool = True,
    ) -> list[KeywordMatch]:
        """hits() with their evidence (weigh()), the generation read once for both."""
        if not plan.terms:
            return []
        generation = self.db.generation()
        hits = self.hits(plan, filters, limit, generation, snippets)
        return self.weigh(plan, hits, weights, generation)

    def hits(
        self,
        plan: KeywordPlan,
        filters: EntryFilter,
        limit: int,
        generation: int | None = None,
        snippets: bool = True,
    ) -> list[KeywordHit]:
        """Best keyword matches: entries holding any of the terms, by field-weighted rank,
        after the entries whose context (errors, trigger keywords, files) holds all of them.
        Without snippets their snippets are empty (hybrid search makes those it shows).

        The terms' counts are read first (kept per generation, see document_counts()) and
        handed to the backend: PostgreSQL ranks by them, and read them a second time when
        weigh() asked for them again (docs/decisions/008).
        """
        if not plan.terms:
            return []
        generation = self.db.generation() if generation is None else generation
        counts = self.document_counts(plan, generation)
        query, keyword = plan.query(), self.db.repos.keyword
        return self.db.query(
            lambda conn: keyword.search_phrases(conn, query, filters, limit, counts, snippets)
        )

    def weigh(
        self,
        plan: KeywordPlan,
        hits: list[KeywordHit],
        weights: FusionWeights,
        generation: int | None = None,
    ) -> list[KeywordMatch]:
        """Each hit with its evidence: how rare its matched terms are and where they matched."""
        if not hits:
            return []
        generation = self.db.generation() if generation is None else generation
        counts, total = self.document_counts(plan, generation)
        rarity = [idf(count, total) for count in counts]
        return weigh_hits(plan, hits, rarity, self.folded(hits, generation), weights)

    def folded(self, hits: list[KeywordHit], generation: int) -> dict[int, Folded]:
        """The hits' fields, folded; those not cached yet are read in one query."""
        found = {hit.seq: text for hit in hits if (text := self.fields.get((generation, hit.seq)))}
        missing = [hit.seq for hit in hits if hit.seq not in found]
        if missing:
            keyword = self.db.repos.keyword
            read = self.db.query(lambda conn: keyword.entry_fields(conn, missing))
            for seq, text in fold_fields(read).items():
                found[seq] = text
                self.fields.put((generation, seq), text)
        return found

    def document_counts(self, plan: KeywordPlan, generation: int) -> tuple[list[int], int]:
        """How many entries hold each term, and how many there are; the terms not cached yet
        are read in one query.

        generation is read before: a write in between leaves counts under a stale key.
        """
        keys = [(generation, term.tokens, term.prefix) for term in plan.terms]
        found = {key: count for key in keys if (count := self.counts.get(key)) is not None}
        total = self.counts.get((generation, "total"))
        missing = [term for term, key in zip(plan.terms, keys, strict=True) if key not in found]
        if missing or total is None:
            query, keyword = KeywordPlan(missing).query(), self.db.repos.keyword
            counts, total = self.db.query(lambda conn: keyword.document_counts(conn, query))
            self.counts.put((generation, "total"), total)
            for term, count in zip(missing, counts, strict=True):
                found[(generation, term.tokens, term.prefix)] = count
                self.counts.put((generation, term.tokens, term.prefix), count)
        return [found[key] for key in keys], total


def weigh_hits(
    plan: KeywordPlan,
    hits: list[KeywordHit],
    rarity: list[float],
    fields: dict[int, Folded],
    weights: FusionWeights,
) -> list[KeywordMatch]:
    """Each hit with its evidence, given each term's IDF and the hits' folded fields."""
    matches = []
    specs = term_specs(plan.terms, rarity, weights)
    for hit in hits:
        evidence = keyword_evidence(specs, fields.get(hit.seq, {}), weights)
        if hit.in_context:
            # The person typed what was recorded to bring this entry back.
            evidence.vote += weights.context
        matches.append(KeywordMatch(hit, evidence))
    return matches


def fold_fields(fields: dict[int, EntryFields]) -> dict[int, Folded]:
    """Each entry's fields by name, folded as the index compares words."""
    names = EntryFields._fields
    return {
        seq: {name: fts.fold(text) for name, text in zip(names, found, strict=True)}
        for seq, found in fields.items()
    }
