"""Keyword search through FTS5: how the user's text becomes a query, and snippets."""

from __future__ import annotations

from dataclasses import dataclass

from rekall.core.entries import EntryFilter
from rekall.search import fts
from rekall.storage import fts_repo
from rekall.storage.database import Database
from rekall.storage.fts_repo import KeywordHit


@dataclass(frozen=True)
class KeywordPlan:
    """The keyword side of a search: the terms, and whether they are code-like identifiers."""

    terms: list[fts.Term]
    has_identifier: bool

    @classmethod
    def from_query(cls, query: str) -> KeywordPlan:
        terms = fts.extract_terms(query)
        return cls(fts.content_terms(terms), any(t.is_identifier for t in terms))


def run_keyword(
    db: Database,
    plan: KeywordPlan,
    filters: EntryFilter,
    limit: int,
    require_all: bool = False,
    prefix_last: bool = False,
) -> list[KeywordHit]:
    """Best keyword matches; with require_all, only entries holding every term."""
    match = fts.build_match(plan.terms, "AND" if require_all else "OR", prefix_last)
    if match is None:
        return []
    context_match = fts.build_match(plan.terms, "AND", prefix_last, column="context_keys")
    with db.read() as conn:
        return fts_repo.keyword_search(conn, match, filters, limit, context_match)
