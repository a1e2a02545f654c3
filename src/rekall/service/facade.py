"""Rekall: the facade over storage and search that the CLI, TUI and MCP server share."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rekall import paths
from rekall.config import Config, load_config
from rekall.core import entries as core
from rekall.core.entries import Entry, EntryFilter, Link
from rekall.core.errors import ValidationError
from rekall.core.results import SearchResponse, SearchResult
from rekall.service.entries import EntryOperations
from rekall.service.keyword import KeywordPlan, run_keyword
from rekall.storage import entries_repo
from rekall.storage.database import Database, open_database

SEARCH_MODES = ("hybrid", "semantic", "keyword")
MAX_LIMIT = 1000


def utc_now() -> str:
    """The current time as ISO-8601 UTC with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Rekall:
    """A knowledge base on one SQLite file. Thread-safe; close() when done."""

    def __init__(
        self, config: Config | None = None, db_file: Path | None = None,
        clock: Callable[[], str] = utc_now, long_lived: bool = False,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config or load_config()
        self.db_file = db_file or paths.db_path()
        self.db: Database = open_database(self.db_file)
        self.entries = EntryOperations(self.db, clock)
        self.notify = notify or (lambda message: None)
        self.long_lived = long_lived
        self._semantic: Any = None

    # -- entries -------------------------------------------------------------------------
    def add(self, type: str, title: str, content: str = "", tags: tuple[str, ...] = (),
            project: str | None = None, confidence: int = core.DEFAULT_CONFIDENCE) -> Entry:
        """Validate and store a new entry, embedded when the model is available."""
        new = core.build_new_entry(type, title, content, tags, project, confidence)
        entry, _seq, _gen = self.entries.insert(new)
        return entry

    def get(self, id_or_prefix: str, record_access: bool = True) -> Entry:
        """One entry by id or unique prefix; showing it counts as an access."""
        return self.entries.get(id_or_prefix, record_access)

    def update(self, id_or_prefix: str, **changes: Any) -> Entry:
        """Edit fields of an entry; a changed text is re-embedded."""
        entry, _seq, _gen = self.entries.update(id_or_prefix, changes)
        return entry

    def delete(self, id_or_prefix: str) -> Entry:
        """Delete an entry with its tags, links and vector; returns what was deleted."""
        return self.entries.delete(id_or_prefix)

    def deprecate(self, id_or_prefix: str, superseded_by: str | None = None) -> Entry:
        """Mark an entry deprecated, optionally superseded by another."""
        return self.entries.deprecate(id_or_prefix, superseded_by)

    def list(self, filters: EntryFilter | None = None, sort: str = "updated",
             limit: int = 20, offset: int = 0) -> list[Entry]:
        """Entries matching filters (all statuses unless the filter says)."""
        return self.entries.list(filters or EntryFilter(status=None), sort, limit, offset)

    def link(self, a: str, b: str, link_type: str = "related", reason: str | None = None) -> Link:
        """Link a to b with a typed relation."""
        return self.entries.link(a, b, link_type, reason)

    def unlink(self, a: str, b: str, link_type: str | None = None) -> int:
        """Remove the links between a and b (of one type, or all)."""
        return self.entries.unlink(a, b, link_type)

    def links(self, id_or_prefix: str) -> list[Link]:
        """Every link touching an entry."""
        return self.entries.links(id_or_prefix)

    def related(self, id_or_prefix: str, depth: int = 1) -> list[tuple[Entry, int]]:
        """Entries reachable through links, with their distance in hops."""
        return self.entries.related(id_or_prefix, depth)

    # -- search --------------------------------------------------------------------------
    def search(self, query: str, mode: str | None = None, filters: EntryFilter | None = None,
               limit: int | None = None) -> SearchResponse:
        """Find entries by keywords, meaning, or both. Raises ValidationError on bad args."""
        started = time.perf_counter()
        mode = check_mode(mode or self.config.default_mode)
        limit = check_limit(limit or self.config.default_limit)
        filters = filters or EntryFilter()
        if not query.strip():
            raise ValidationError("the query is empty; type what you are looking for")
        results = self._keyword_results(query, filters, limit)
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResponse(query, "keyword", results, [], elapsed)

    def _keyword_results(self, query: str, filters: EntryFilter, limit: int) -> list[SearchResult]:
        hits = run_keyword(self.db, KeywordPlan.from_query(query), filters, limit)
        with self.db.read() as conn:
            found = entries_repo.fetch_by_seqs(conn, [hit.seq for hit in hits])
        return [
            SearchResult(found[hit.seq], -hit.bm25, hit.snippet, keyword_rank=rank)
            for rank, hit in enumerate(hits, start=1) if hit.seq in found
        ]

    def close(self) -> None:
        """Release the database (and the model, if loaded)."""
        self.db.close()


def check_mode(mode: str) -> str:
    """Return the mode. Raises ValidationError naming the valid modes."""
    if mode not in SEARCH_MODES:
        raise ValidationError(f"unknown search mode '{mode}'; use one of: {', '.join(SEARCH_MODES)}")
    return mode


def check_limit(limit: int) -> int:
    """Return the limit. Raises ValidationError outside 1..MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit {limit} is out of range; use 1-{MAX_LIMIT}")
    return limit
