"""Keyword search: the user's text as a query, BM25 hits and the evidence each one carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rekall.core.entries import EntryFilter
from rekall.search import fts
from rekall.search.cache import LRUCache
from rekall.search.hybrid import FusionWeights, KeywordEvidence, idf, keyword_evidence
from rekall.service.side_worker import SideWorker
from rekall.storage.fts_repo import EntryFields, KeywordHit, KeywordQuery

if TYPE_CHECKING:
    from rekall.storage.contract import Store

# Document counts of this many distinct terms are kept; a typing session needs a few dozen.
COUNT_CACHE_SIZE = 4096
# Folded fields of this many entries are kept: ten searches' worth of 50 candidates.
FIELDS_CACHE_SIZE = 500
Folded = dict[str, str]  # field name (title, tags, content, context) -> folded text


@dataclass(frozen=True)
class KeywordPlan:
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


@dataclass(frozen=True)
class KeywordMatch:
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
        # A server's keyword candidates are asked for here while the query is embedded.
        self.worker = SideWorker()

    def close(self) -> None:
        """Stop the worker thread (a search after this runs its keyword side in turn)."""
        self.worker.close()

    def hits(self, plan: KeywordPlan, filters: EntryFilter, limit: int) -> list[KeywordHit]:
        """Best keyword matches: entries holding any of the terms, by field-weighted rank,
        after the entries whose context (errors, trigger keywords, files) holds all of them."""
        if not plan.terms:
            return []
        query, keyword = plan.query(), self.db.repos.keyword
        return self.db.query(lambda conn: keyword.search_phrases(conn, query, filters, limit))

    def weigh(
        self, plan: KeywordPlan, hits: list[KeywordHit], weights: FusionWeights
    ) -> list[KeywordMatch]:
        """Each hit with its evidence: how rare its matched terms are and where they matched."""
        if not hits:
            return []
        generation = self.db.generation()
        rarity = self.rarity(plan, generation)
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

    def rarity(self, plan: KeywordPlan, generation: int) -> list[float]:
        """The IDF of each term; counts are read in one query for the terms not cached yet.

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
        return [idf(found[key], total) for key in keys]


def weigh_hits(
    plan: KeywordPlan,
    hits: list[KeywordHit],
    rarity: list[float],
    fields: dict[int, Folded],
    weights: FusionWeights,
) -> list[KeywordMatch]:
    """Each hit with its evidence, given each term's IDF and the hits' folded fields."""
    matches = []
    for hit in hits:
        evidence = keyword_evidence(plan.terms, rarity, fields.get(hit.seq, {}), weights)
        if hit.in_context:
            # The person typed what was recorded to bring this entry back.
            evidence.vote += weights.context
        matches.append(KeywordMatch(hit, evidence))
    return matches


def fold_fields(fields: dict[int, EntryFields]) -> dict[int, Folded]:
    """Each entry's fields by name, folded as the index compares words."""
    return {
        seq: {name: fts.fold(text) for name, text in vars(found).items()}
        for seq, found in fields.items()
    }
