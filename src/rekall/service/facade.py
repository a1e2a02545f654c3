"""Rekall: the facade over storage and search that the CLI, TUI and MCP server share."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekall import paths
from rekall.config import SEARCH_MODES, Config, load_config
from rekall.core import entries as core
from rekall.core.context import apply_context_changes, embedding_part, validate_context_changes
from rekall.core.entries import Entry, EntryFilter, Link
from rekall.core.errors import ModelError, ValidationError
from rekall.core.results import SearchResponse, SearchResult
from rekall.core.review import SIMILAR_EXISTING_THRESHOLD
from rekall.search.cache import LRUCache
from rekall.search.hybrid import FusionWeights
from rekall.service import searching
from rekall.service.entries import ACTING_AS, EntryOperations, validate_changes
from rekall.service.indexing import Indexer, Progress, RebuildReport
from rekall.service.keyword import KeywordSide
from rekall.service.legacy_offer import offer_legacy_import
from rekall.service.review import ReviewMethods, close_matches
from rekall.service.semantic import SemanticEngine
from rekall.storage.opening import open_store

# Modules one or two methods use are imported by those methods: a cold search imports
# what it runs.
if TYPE_CHECKING:
    from rekall.service.duplicates import DuplicateReport
    from rekall.service.generation import GenerationReport
    from rekall.service.graph import EntryGraph
    from rekall.service.maintenance import CheckReport, RestoreReport
    from rekall.service.merging import MergeReport
    from rekall.service.tokens import TokenOperations
    from rekall.service.transfer import ImportReport

MAX_LIMIT = core.MAX_SEARCH_LIMIT
# Rankings of recent semantic and hybrid searches, kept per write generation.
RANKINGS_KEPT = 64
KEYWORD_FALLBACK = "Semantic search is unavailable, so these are keyword results only: {}"


def utc_now() -> str:
    """The current time as ISO-8601 UTC with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Rekall(ReviewMethods):
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
        self.indexer = Indexer(self.db, self.semantic, self.notify)
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
        values ('' or [] clears one); the other context fields stay as they are.
        """
        entry_id = self.entries.resolve(id_or_prefix)
        context_changes = validate_context_changes(changes.pop("context", None) or {})
        fields, tags = validate_changes(changes, allow_empty=bool(context_changes))
        before = self.entries.get(entry_id)
        story = (
            apply_context_changes(before.context, context_changes)
            if context_changes
            else before.context
        )
        text = core.compose_embedding_text(
            fields.get("title", before.title),
            before.tags if tags is None else tags,
            fields.get("content", before.content),
            embedding_part(story),
        )
        row = None
        if text != before.embedding_text():
            rows = self.indexer.vectors_for([text])
            row = rows[0] if rows else None
        return self.entries.update(
            entry_id,
            fields,
            tags,
            lambda conn, seq, entry, gen: self.indexer.store(conn, seq, entry, row, gen),
            context=(story,) if context_changes else None,
        )

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

    # -- search --------------------------------------------------------------------------
    def search(
        self,
        query: str,
        mode: str | None = None,
        filters: EntryFilter | None = None,
        limit: int | None = None,
    ) -> SearchResponse:
        """Find entries by keywords, meaning, or both (default: config's default_mode).

        Raises ValidationError on an empty, oversized or binary query, unknown mode or bad
        limit. Without a model, hybrid and semantic searches fall back to keywords and say so
        in the notices.
        """
        started = time.perf_counter()
        mode = check_mode(mode or self.config.default_mode)
        limit = check_limit(self.config.default_limit if limit is None else limit)
        filters = filters or EntryFilter()
        core.validate_query(query)
        notices: list[str] = []
        ranking = None
        if mode != "keyword":
            try:
                ranking = self._semantic_ranking(mode, query, filters, limit)
            except ModelError as exc:
                notices.append(KEYWORD_FALLBACK.format(exc))
                mode = "keyword"
        if ranking is None:
            ranking = searching.keyword_ranking(
                self.keyword, query, filters, limit, self.fusion_weights
            )
        results = searching.build_results(self.db, ranking)
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResponse(query, mode, results, notices, elapsed)

    def _semantic_ranking(
        self, mode: str, query: str, filters: EntryFilter, limit: int
    ) -> searching.Ranking:
        # The generation is read first: a write in between leaves the ranking under a key
        # that is no longer current, so a stale ranking is never served.
        generation, model_id = self.db.generation(), self.semantic.model_id
        key = (generation, model_id, mode, query, filters, limit, self.fusion_weights)
        ranking = self.rankings.get(key)
        if ranking is None:
            ranking = self._rank(mode, query, filters, limit)
            self.rankings.put(key, ranking)
        return ranking

    def _rank(self, mode: str, query: str, filters: EntryFilter, limit: int) -> searching.Ranking:
        if mode == "semantic":
            return searching.semantic_ranking(self.semantic, self.db, query, filters, limit)
        return searching.hybrid_ranking(
            self.semantic, self.keyword, query, filters, limit, self.fusion_weights
        )

    def similar(
        self, id_or_prefix: str, limit: int = 10, filters: EntryFilter | None = None
    ) -> SearchResponse:
        """Entries nearest in meaning to one entry, itself excluded. Raises ModelError."""
        started = time.perf_counter()
        limit = check_limit(limit)
        entry = self.entries.get(id_or_prefix)
        with self.db.read() as conn:
            seq = self.db.repos.entries.seq_of(conn, entry.id)
        vector = self.semantic.embed_texts([entry.embedding_text()])[0]
        nearest = searching.nearest_hits(
            self.semantic, self.db, vector, filters or EntryFilter(), limit + 1
        )
        hits = [hit for hit in nearest if hit[0] != seq][:limit]
        evidence = {
            s: searching.Evidence(semantic_rank=r, similarity=score)
            for r, (s, score) in enumerate(hits, start=1)
        }
        results = searching.build_results(self.db, (hits, evidence))
        return SearchResponse(
            entry.title, "semantic", results, [], (time.perf_counter() - started) * 1000
        )

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
        """Release the model, the index and the database."""
        self.semantic.close()
        self.db.close()

    # -- data: export, import, backup, restore, check --------------------------------------
    def export_json(self, output: Path | None = None, vectors: bool = True) -> str:
        """The whole base as versioned export JSON, with the current model's vectors unless
        vectors is False (also written to output when given)."""
        from rekall.service import data

        return data.export_json(self, output, vectors)

    def export_markdown(self, directory: Path) -> int:
        """One Markdown file per entry in a new directory; returns how many."""
        from rekall.service import data

        return data.export_markdown(self, directory)

    def import_data(
        self,
        source: Path,
        strategy: str = "skip",
        dry_run: bool = False,
        progress: Progress | None = None,
        legacy: bool = False,
    ) -> ImportReport:
        """Import an export file, a Markdown folder or (legacy) an earlier Rekall database."""
        from rekall.service import data

        return data.import_data(self, source, strategy, dry_run, progress, legacy)

    def backup(self, target: Path | None = None) -> Path:
        """A consistent copy of the base (beside it, timestamped, by default)."""
        from rekall.service import data

        return data.backup(self, target)

    def restore(self, source: Path) -> RestoreReport:
        """Replace the base with a validated backup, keeping the replaced one beside it."""
        from rekall.service import data

        return data.restore(self, source)

    def check(self, repair: bool = False, progress: Progress | None = None) -> CheckReport:
        """Health checks; with repair, rebuild derived data (never entries) and check again."""
        from rekall.service import data

        return data.check(self, repair, progress)

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

    # -- review and upkeep (the rest is in ReviewMethods) ----------------------------------
    def similar_existing(self, id_or_prefix: str, limit: int = 3) -> list[SearchResult]:
        """Other entries so close in meaning that this one may repeat them; [] without a model."""
        if not self.semantic.model_ready():
            return []
        try:
            return close_matches(self.similar(id_or_prefix, limit).results)
        except ModelError:
            return []


def check_mode(mode: str) -> str:
    """Return the mode. Raises ValidationError naming the valid modes."""
    if mode not in SEARCH_MODES:
        raise ValidationError(
            f"unknown search mode '{mode}'; use one of: {', '.join(SEARCH_MODES)}"
        )
    return mode


def check_limit(limit: int) -> int:
    """Return the limit. Raises ValidationError outside 1..MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit {limit} is out of range; use 1-{MAX_LIMIT}")
    return limit
