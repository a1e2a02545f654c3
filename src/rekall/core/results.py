"""What a search returns: ranked entries with scores that say what they mean."""

from __future__ import annotations

from typing import Any, NamedTuple

from rekall.core.entries import Entry

# Snippet highlight markers: control characters no entry text contains, rendered by each edge.
HIGHLIGHT_OPEN = "\x02"
HIGHLIGHT_CLOSE = "\x03"
# Cosine similarity from which a new entry is offered its existing neighbours (link, or a
# duplicate?). With all-MiniLM-L6-v2, reworded duplicates measured 0.63-0.82 (7 of 8 at or
# above 0.70) and same-topic entries about a different problem 0.32-0.69.
SIMILAR_EXISTING_THRESHOLD = 0.70

SCORE_MEANINGS = {
    "keyword": "BM25 keyword relevance: higher is better, not bounded; compare within one search",
    "semantic": "cosine similarity of meaning (for a long entry, of its best-matching part "
    "less 0.02): 1.0 identical, above ~0.5 closely related, below ~0.2 unrelated",
    "hybrid": "fused score: the cosine similarity plus a keyword bonus for rare or exact words "
    "matched in the title, tags or as identifiers; higher is better; compare within one search",
}


class SearchResult(NamedTuple):
    """One ranked entry, with the ranks and raw scores from each side that found it."""

    entry: Entry
    score: float
    snippet: str = ""
    keyword_rank: int | None = None
    semantic_rank: int | None = None
    similarity: float | None = None
    matched: dict[str, list[str]] | None = None  # query term -> fields it matched in
    keyword_strength: float | None = None  # share of the query's keyword evidence, 0-1


class SearchResponse(NamedTuple):
    """A search's results plus what was actually done (mode used, notices for the user)."""

    query: str
    mode: str
    results: list[SearchResult]
    notices: list[str]
    elapsed_ms: float = 0.0

    @property
    def score_meaning(self) -> str:
        return SCORE_MEANINGS[self.mode]


class SlotRecord:
    """The base of the mutable records a search builds: shown and compared by the fields its
    class names in `__slots__`, as `@dataclass` would, unhashable as a mutable record should
    be, without the ~0.25 ms per class of generating those methods at import (a cold search
    imports no dataclasses: docs/decisions/012-cold-search-near-the-floor.md). Here, not in
    a module of its own: each module a cold search imports costs ~0.2 ms. Only the class's
    own `__slots__` count: a record subclassing another names every field again."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        # As tuples, like a dataclass: a field holding the same object (a NaN) is equal.
        mine = tuple(getattr(self, name) for name in self.__slots__)
        return mine == tuple(getattr(other, name) for name in self.__slots__)

    # Defining __eq__ sets __hash__ to None here and in subclasses: mutable, so unhashable.
