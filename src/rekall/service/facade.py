"""Rekall: the facade over storage and search that the CLI, TUI and MCP server share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekall import paths
from rekall.config import Config, load_config
from rekall.core import entries as core
from rekall.core.context import apply_context_changes, validate_context_changes
from rekall.core.entries import Entry, EntryFilter, Link
from rekall.core.results import SIMILAR_EXISTING_THRESHOLD
from rekall.search.cache import LRUCache
from rekall.search.hybrid import FusionWeights
from rekall.service import searching
from rekall.service.data_methods import DataMethods
from rekall.service.entries import ACTING_AS, EntryOperations, validate_changes
from rekall.service.keyword import KeywordSide
from rekall.service.legacy_offer import offer_legacy_import
from rekall.service.review_methods import ReviewMethods
from rekall.service.search_methods import MAX_LIMIT as MAX_LIMIT
from rekall.service.search_methods import RANKINGS_KEPT, SearchMethods, check_limit
from rekall.service.search_methods import check_mode as check_mode
from rekall.service.semantic import SemanticEngine
from rekall.storage.opening import open_store

# Modules one or two methods use are imported by those methods: a cold search imports
# what it runs.
if TYPE_CHECKING:
    from rekall.service.duplicates import DuplicateReport
    from rekall.service.generation import GenerationReport
    from rekall.service.graph import EntryGraph
    from rekall.service.indexing import Indexer, Progress, RebuildReport
    from rekall.service.merging import MergeReport
    from rekall.service.tokens import TokenOperations


def utc_now() -> str:
    """The current time as ISO-8601 UTC with microseconds."""
    from datetime import datetime, timezone  # a search never writes a time

    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Rekall(SearchMethods, DataMethods, ReviewMethods):
    """A knowledge base on one SQLite file. Thread-safe; close() when done.

    long_lived: a TUI or server process, where the model is unloaded after idling.
    notify: where user-facing notices go (stderr for the CLI, a toast for the TUI).
    """

    def __init__(
        self,
        config: Config | None = None,
        db_file: Path | None = None,
        clock: Callable[[], str] = utc_now,
        long_lived: bool = False,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config or load_config()
        # An explicit file wins: tests and tools open a given SQLite file whatever the config.
        url = "" if db_file is not None else self.config.database_url
        self.db = open_store(url, db_file or paths.db_path())
        self.clock = clock
        self.entries = EntryOperations(self.db, clock)
        self.notify = notify or (lambda message: None)
        self.semantic = SemanticEngine(self.db, self.config, long_lived, self.notify)
        self._indexer: Indexer | None = None
        self._indexer_lock = threading.Lock()
        self.keyword = KeywordSide(self.db)
        # Hybrid and keyword search parameters (docs/decisions/002); the sweep replaces them.
        self.fusion_weights = FusionWeights()
        # A query asked again (a list gone back to, a client repeating itself) skips both
        # sides and the fusion; any write changes the key (see _semantic_ranking).
        self.rankings: LRUCache[searching.Ranking] = LRUCache(
            RANKINGS_KEPT, self.config.cache_ttl_seconds
        )
        if self.db.kind == "sqlite":
            offer_legacy_import(self.db, self.notify)

    @property
    def indexer(self) -> Indexer:
        """Embeds entries as they are written; made at first use (a search never needs it)."""
        with self._indexer_lock:
            if self._indexer is None:
                from rekall.service.indexing import Indexer

                self._indexer = Indexer(self.db, self.semantic, self.notify)
            return self._indexer

    @cached_property
    def tokens(self) -> TokenOperations:
        """Bearer tokens for the HTTP server."""
        from rekall.service.tokens import TokenOperations

        return TokenOperations(self.db, self.clock)

    # -- entries -------------------------------------------------------------------------
    def add(
        self,
        type: str,
        title: str,
        content: str = "",
        tags: tuple[str, ...] = (),
        project: str | None = None,
        confidence: int = core.DEFAULT_CONFIDENCE,
        context: Mapping[str, Any] | None = None,
    ) -> Entry:
        """Validate and store a new entry, embedded in the same transaction when possible.

        context maps context fields (situation, error_messages, ...) to their values.
        """
        story = apply_context_changes(None, validate_context_changes(context or {}))
        new = core.build_new_entry(type, title, content, tags, project, confidence, story)
        rows = self.indexer.vectors_for([new.embedding_text()])
        row = rows[0] if rows else None
        return self.entries.insert(
            new, lambda conn, seq, entry, gen: self.indexer.store(conn, seq, entry, row, gen)
        )

    def get(self, id_or_prefix: str, record_access: bool = True) -> Entry:
        """One entry by id or unique prefix; showing it counts as an access."""
        return self.entries.get(id_or_prefix, record_access)

    def update(self, id_or_prefix: str, **changes: Any) -> Entry:
        """Edit fields of an entry; changed text is re-embedded, never left with an old vector.

        changes["context"], when given, maps the context fields to change to their new
        values ('' or [] clears one); the other context fields stay as they are, also when
        another writer changes them meanwhile (service/editing.py).
        """
        from rekall.service.editing import update_entry

        entry_id = self.entries.resolve(id_or_prefix)
        context_changes = validate_context_changes(changes.pop("context", None) or {})
        fields, tags = validate_changes(changes, allow_empty=bool(context_changes))
        return update_entry(self.entries, self.indexer, entry_id, fields, tags, context_changes)

    def delete(self, id_or_prefix: str) -> Entry:
        """Delete an entry with its tags, links and vector; returns what was deleted."""
        return self.entries.delete(id_or_prefix)

    def deprecate(self, id_or_prefix: str, superseded_by: str | None = None) -> Entry:
        """Mark an entry deprecated, optionally superseded by another."""
        return self.entries.deprecate(id_or_prefix, superseded_by)

    def list_entries(
        self,
        filters: EntryFilter | None = None,
        sort: str = "updated",
        limit: int = 20,
        offset: int = 0,
    ) -> list[Entry]:
        """Entries matching filters (all statuses unless the filter says)."""
        return self.entries.list_entries(filters or EntryFilter(status=None), sort, limit, offset)

    def count_entries(self, filters: EntryFilter | None = None) -> int:
        """How many entries match filters (all statuses unless the filter says)."""
        return self.entries.count(filters or EntryFilter(status=None))

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

    def graph(self, id_or_prefix: str, depth: int = 2) -> EntryGraph:
        """The links around an entry as a tree, up to depth hops."""
        from rekall.service.graph import entry_graph

        return entry_graph(self.db, id_or_prefix, depth)

    @contextmanager
    def acting_as(self, author: str | None) -> Iterator[None]:
        """Within the block, entries written in this thread or task record author as writer."""
        token = ACTING_AS.set(author)
        try:
            yield
        finally:
            ACTING_AS.reset(token)

    def watch(self, callback: Callable[[int], None]) -> bool:
        """Call callback(generation) from a background thread after each write by another
        process; False when the backend cannot tell (SQLite: the next read sees it anyway)."""
        listen = getattr(self.db, "listen", None)
        if listen is None:
            return False

        def remote_write(generation: int) -> None:
            self.semantic.filter_cache.clear()
            self.rankings.clear()
            callback(generation)

        listen(remote_write)
        return True

    # -- index and stats -----------------------------------------------------------------
    def rebuild_index(
        self, progress: Progress | None = None, backend: str | None = None
    ) -> RebuildReport:
        """Embed what is missing or stale, then rebuild the vector index from scratch."""
        report = self.indexer.rebuild(progress)
        self.semantic.rebuild_index(backend)
        return report

    def generate_test_data(
        self, count: int, seed: int = 42, progress: Progress | None = None
    ) -> GenerationReport:
        """Add count synthetic entries (embedded in batches) and their links."""
        from rekall.service.generation import generate

        return generate(self.indexer, self.entries, count, seed, progress)

    def model_status(self) -> dict[str, Any]:
        """Where the model is, or how to get it, and whether it loads."""
        return self.semantic.model_status()

    def stats(self, memory: bool = False) -> dict[str, Any]:
        """Counts, sizes, model and index state; with memory, RSS figures."""
        from rekall.service.stats import memory_figures, storage_figures

        figures = storage_figures(self.db, self.semantic.known_model_id())
        figures.update(self.semantic.stats())
        if memory:
            figures.update(memory_figures())
        return figures

    def close(self) -> None:
        """Release the model, the index, the keyword side's thread and the database."""
        self.keyword.close()
        self.semantic.close()
        self.db.close()

    # -- consolidation: lookalike clusters and merging -------------------------------------
    def find_duplicates(
        self,
        threshold: float = SIMILAR_EXISTING_THRESHOLD,
        filters: EntryFilter | None = None,
        limit: int = 50,
    ) -> DuplicateReport:
        """Clusters of active entries that look alike (stored vectors, no model needed)."""
        from rekall.service.duplicates import find_duplicates

        model_id = self.semantic.known_model_id()
        return find_duplicates(
            self.db, threshold, filters or EntryFilter(), check_limit(limit), model_id
        )

    def merge(
        self, keep: str, others: tuple[str, ...], delete: bool = False, dry_run: bool = False
    ) -> MergeReport:
        """Unite others into keep in one transaction; dry_run rehearses and rolls back."""
        from rekall.service.merging import merge_entries

        return merge_entries(self.db, self.indexer, self.clock, keep, others, delete, dry_run)
