"""Hybrid search's keyword candidates as a server backend returns them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rekall.storage.fts_repo import EntryFields, KeywordHit, KeywordQuery


@dataclass(frozen=True)
class KeywordCandidates:
    """Hybrid search's keyword side with what weighing it needs: the hits (snippets left
    empty), their fields, how many entries hold each phrase of the query, and how many
    entries there are."""

    hits: list[KeywordHit]
    fields: dict[int, EntryFields]
    counts: list[int]
    total: int
    # The query as the counts resolved it (KeywordQuery.typed_found): snippets use it.
    query: KeywordQuery | None = None
