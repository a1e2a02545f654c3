"""Keyword search through FTS5: the user's text as a query, BM25 hits and their evidence."""

from __future__ import annotations

from dataclasses import dataclass

from rekall.core.entries import EntryFilter
from rekall.search import fts
from rekall.search.hybrid import FusionWeights, KeywordEvidence, idf, keyword_evidence
from rekall.storage import fts_repo
from rekall.storage.database import Database
from rekall.storage.fts_repo import KeywordHit


@dataclass(frozen=True)
class KeywordPlan:
    """The keyword side of a search: the content terms, the last one maybe a prefix."""

    terms: list[fts.Term]

    @classmethod
    def from_query(cls, query: str, prefix_last: bool = True) -> KeywordPlan:
        if prefix_last:
            return cls(fts.typing_terms(query))
        return cls(fts.content_terms(fts.extract_terms(query)))


@dataclass(frozen=True)
class KeywordMatch:
    """A BM25 hit with what its terms are worth (see search/hybrid.py)."""

    hit: KeywordHit
    evidence: KeywordEvidence


def run_keyword(
    db: Database, plan: KeywordPlan, filters: EntryFilter, limit: int
) -> list[KeywordHit]:
    """Best keyword matches: entries holding any of the terms, by field-weighted BM25, after
    the entries whose context (errors, trigger keywords, files) holds all of them."""
    match = fts.build_match(plan.terms)
    if match is None:
        return []
    context_match = fts.build_match(plan.terms, "AND", column="context_keys")
    with db.read() as conn:
        return fts_repo.keyword_search(conn, match, filters, limit, context_match)


def weigh_matches(
    db: Database, plan: KeywordPlan, hits: list[KeywordHit], weights: FusionWeights
) -> list[KeywordMatch]:
    """Each hit with its evidence: how rare its matched terms are and where they matched."""
    if not hits:
        return []
    with db.read() as conn:
        counts, total = fts_repo.document_counts(conn, [t.as_fts() for t in plan.terms])
        fields = fts_repo.entry_fields(conn, [hit.seq for hit in hits])
    rarity = [idf(count, total) for count in counts]
    matches = []
    for hit in hits:
        found = fields.get(hit.seq)
        texts = {name: fts.fold(text) for name, text in vars(found).items()} if found else {}
        evidence = keyword_evidence(plan.terms, rarity, texts, weights)
        if hit.in_context:
            # The person typed what was recorded to bring this entry back.
            evidence.vote += weights.context
        matches.append(KeywordMatch(hit, evidence))
    return matches
