"""Search-as-you-type plumbing: requests, their outcomes, and the status they produce."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from rekall.core.entries import Entry, EntryFilter
from rekall.core.results import SearchResponse
from rekall.service.facade import MAX_LIMIT

if TYPE_CHECKING:
    from rekall.interfaces.tui.entry_table import PageLoader
    from rekall.service import Rekall

MODES = ("hybrid", "keyword", "semantic")
SORTS = ("updated", "created", "title", "type", "accessed", "confidence")
# A screenful and some; more are fetched as the cursor reaches the end.
SEARCH_LIMIT = 25
LOADING_STATUS = "Loading embedding model… keyword results meanwhile"
# A search slower than this marks the list on screen as the previous query's, in seconds.
STALE_AFTER = 0.15
# An empty result shows only if no key follows within this many seconds: between
# keystrokes a half-typed word often matches nothing, and the list should not flash.
EMPTY_AFTER = 0.4


@dataclass(frozen=True)
class SearchRequest:
    """One search, numbered so an older one's results never replace a newer one's."""

    seq: int
    query: str
    mode: str
    filters: EntryFilter
    # Keyword results shown while the model loads; the full search follows.
    provisional: bool = False
    # The mode the user chose, when the search runs in another (provisional: keyword).
    chosen_mode: str = ""
    started: float = field(default_factory=time.perf_counter)

    @property
    def question(self) -> tuple[str, str, EntryFilter]:
        """What the user asked: text, chosen mode and filters. Provisional keyword results
        and the search by meaning that follows them answer the same question."""
        return (self.query, self.chosen_mode or self.mode, self.filters)


class SearchDone(Message):
    """A search finished (possibly after a newer one started: check the seq)."""

    def __init__(self, request: SearchRequest, response: SearchResponse) -> None:
        super().__init__()
        self.request = request
        self.response = response
        # An empty answer waits a moment before it shows; True once it has waited.
        self.settled = False


class SearchFailed(Message):
    """A search was refused by the facade (for example a bad filter)."""

    def __init__(self, request: SearchRequest, error: str) -> None:
        super().__init__()
        self.request = request
        self.error = error


class ModelWarmed(Message):
    """The first semantic search finished; loaded is False when no model could be used."""

    def __init__(self, loaded: bool) -> None:
        super().__init__()
        self.loaded = loaded


def more_results(service: Rekall, request: SearchRequest) -> PageLoader:
    """Further results of one search. The facade has no offset: ask for more and skip those
    shown (only ever run when the cursor nears the end of a full page)."""

    def fetch(offset: int, limit: int) -> list[Entry]:
        total = min(offset + limit, MAX_LIMIT)
        if offset >= total:
            return []
        response = service.search(request.query, request.mode, request.filters, total)
        return [result.entry for result in response.results[offset:]]

    return fetch


def next_in(values: tuple[str, ...], current: str) -> str:
    """The value after current, wrapping around."""
    index = values.index(current) if current in values else -1
    return values[(index + 1) % len(values)]


def describe_filters(filters: EntryFilter) -> str:
    """A short summary like 'type:bug tag:cors project:api status:all' ('' when default)."""
    parts = [f"type:{kind}" for kind in filters.types]
    parts += [f"tag:{tag}" for tag in filters.tags]
    if filters.project:
        parts.append(f"project:{filters.project}")
    if filters.status != "active":
        parts.append(f"status:{filters.status or 'all'}")
    return " ".join(parts)


def results_status(
    request: SearchRequest, response: SearchResponse, shown: list[Entry], more: bool
) -> str:
    """The status line for a result list: "25+ results" while more can load as you scroll."""
    count = len(shown)
    found = f"{count:,}{'+' if more else ''} result{'s' if count != 1 or more else ''}"
    if request.provisional:
        return f"{LOADING_STATUS} · {found} (keyword)"
    if not count:
        return "No results. Try another mode (ctrl+t), other words, or fewer filters (ctrl+f)."
    return f"{found} · {response.mode} · {response.elapsed_ms:.0f} ms"


def list_status(count: int, total: int | None, sort: str, filters: EntryFilter) -> str:
    """The status line for the browse listing: "100 of 2,003 entries" (total None: not
    counted yet)."""
    if not count and describe_filters(filters):
        return (
            f"No entry matches the filters ({describe_filters(filters)}). "
            "Press ctrl+f to change them."
        )
    if not count:
        return "No entries here yet. Press ctrl+n to add one, or ctrl+f to change the filters."
    if total is None:
        shown = f"{count:,}+"
    elif total == count:
        shown = f"{count:,}"
    else:
        shown = f"{count:,} of {total:,}"
    return f"{shown} entries · sorted by {sort} (s to change)"
