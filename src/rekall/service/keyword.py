"""Keyword search through FTS5: how the user's text becomes a query, and snippets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rekall.core.entries import EntryFilter
from rekall.search import fts
from rekall.storage.fts_repo import KeywordHit, KeywordQuery

if TYPE_CHECKING:
    from rekall.storage.contract import Store


@dataclass(frozen=True)
class KeywordPlan:
    """The keyword side of a search: the terms, and whether they are code-like identifiers."""

    terms: list[fts.Term]
    has_identifier: bool

    @classmethod
    def from_query(cls, query: str) -> KeywordPlan:
        terms = fts.extract_terms(query)
        return cls(fts.content_terms(terms), any(t.is_identifier for t in terms))

    def query(self, require_all: bool = False, prefix_last: bool = False) -> KeywordQuery:
        """The backend-neutral query of these terms."""
        return KeywordQuery(tuple(term.tokens for term in self.terms), require_all, prefix_last)


def run_keyword(
    db: Store,
    plan: KeywordPlan,
    filters: EntryFilter,
    limit: int,
    require_all: bool = False,
    prefix_last: bool = False,
) -> list[KeywordHit]:
    """Best keyword matches; with require_all, only entries holding every term."""
    if not plan.terms:
        return []
    query = plan.query(require_all, prefix_last)
    return db.query(lambda conn: db.repos.keyword.search_phrases(conn, query, filters, limit))
