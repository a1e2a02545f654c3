"""Hybrid search's candidates as a server backend returns them from one statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rekall.storage.fts_repo import EntryFields, KeywordHit


@dataclass(frozen=True)
class WeighedCandidates:
    """Hybrid search's candidates with what weighing them needs, from one statement: the
    nearest entries, the keyword hits (snippets left empty), the hits' fields, how many
    entries hold each phrase of the query, and how many entries there are."""

    semantic: list[tuple[int, float]]
    hits: list[KeywordHit]
    fields: dict[int, EntryFields]
    counts: list[int]
    total: int
