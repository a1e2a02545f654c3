"""The storage contract: what the service needs from a backend, SQLite or PostgreSQL.

A backend is a Store (transactions and the write generation) whose `repos` hold one
module per area; each module offers the functions of the matching protocol below, with
the backend's connection as first argument. The service never sees SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:  # annotations only: a cold search imports no more than it runs
    from rekall.core.context import EntryContext
    from rekall.core.entries import Entry, EntryFilter, Link, NewEntry
    from rekall.core.records import EntryRecord, LinkRecord
    from rekall.core.review import ReviewState
    from rekall.storage.embeddings_repo import PendingText, StoredVector
    from rekall.storage.fts_repo import EntryFields, KeywordHit, KeywordQuery, WeighedCandidates
    from rekall.storage.tokens_repo import TokenRecord

T = TypeVar("T")


class EntriesRepo(Protocol):
    """Entries and their tags."""

    def insert_entry(self, conn: Any, entry_id: str, new: NewEntry, now: str) -> int: ...
    def fetch_entry(self, conn: Any, entry_id: str) -> Entry: ...
    def fetch_by_seqs(self, conn: Any, seqs: Sequence[int]) -> dict[int, Entry]: ...
    def seq_of(self, conn: Any, entry_id: str) -> int: ...
    def resolve_id(self, conn: Any, text: str) -> str: ...
    def update_entry(
        self, conn: Any, entry_id: str, fields: Mapping[str, Any], now: str
    ) -> None: ...
    def replace_tags(self, conn: Any, entry_id: str, tags: Iterable[str]) -> None: ...
    def stamp_author(self, conn: Any, entry_id: str, author: str, created: bool) -> None: ...
    def delete_entry(self, conn: Any, entry_id: str) -> None: ...
    def record_access(self, conn: Any, entry_id: str, now: str) -> None: ...
    def list_entries(
        self, conn: Any, filters: EntryFilter, sort: str = ..., limit: int = ..., offset: int = ...
    ) -> list[Entry]: ...
    def count_matching(self, conn: Any, filters: EntryFilter) -> int: ...
    def filtered_seqs(self, conn: Any, filters: EntryFilter) -> list[int] | None: ...
    def count_entries(self, conn: Any) -> dict[str, int]: ...
    def supersessions(self, conn: Any) -> dict[str, str]: ...


class LinksRepo(Protocol):
    """Typed links between entries."""

    def add_link(
        self,
        conn: Any,
        source_id: str,
        target_id: str,
        link_type: str,
        reason: str | None,
        now: str,
    ) -> None: ...
    def remove_link(
        self, conn: Any, source_id: str, target_id: str, link_type: str | None
    ) -> int: ...
    def links_of(self, conn: Any, entry_id: str) -> list[Link]: ...
    def related_ids(self, conn: Any, entry_id: str, depth: int) -> list[tuple[str, int]]: ...
    def count_links(self, conn: Any) -> int: ...


class KeywordRepo(Protocol):
    """Keyword search: best matches of the query's phrases, filters applied first; and what
    hybrid search weighs them by: how many entries hold each phrase, and the matched fields."""

    def search_phrases(
        self, conn: Any, query: KeywordQuery, filters: EntryFilter, limit: int
    ) -> list[KeywordHit]: ...
    def document_counts(self, conn: Any, query: KeywordQuery) -> tuple[list[int], int]: ...
    def entry_fields(self, conn: Any, seqs: Sequence[int]) -> dict[int, EntryFields]: ...


class VectorsRepo(Protocol):
    """Stored vectors: one per entry, with model id, content hash and generation."""

    def upsert_vectors(
        self, conn: Any, rows: Sequence[tuple[int, str, int, str, bytes]], generation: int
    ) -> None: ...
    def delete_vectors(self, conn: Any, seqs: Sequence[int]) -> None: ...
    def stored_hash(self, conn: Any, seq: int, model_id: str) -> str | None: ...
    def texts_with_hashes(
        self, conn: Any, model_id: str
    ) -> Iterator[tuple[PendingText, str | None]]: ...
    def current_texts(self, conn: Any, seqs: Sequence[int]) -> dict[int, str]: ...
    def count_vectors(self, conn: Any) -> dict[str, int]: ...
    def vectors_for_model(self, conn: Any, model_id: str) -> Iterator[StoredVector]: ...


class VectorSearch(Protocol):
    """Nearest-neighbour search inside the database, for a backend that indexes vectors itself."""

    def nearest(
        self, conn: Any, vector: bytes, model_id: str, k: int, filters: EntryFilter
    ) -> list[tuple[int, float]]: ...
    def candidates(
        self,
        conn: Any,
        vector: bytes,
        model_id: str,
        k: int,
        queries: Sequence[KeywordQuery],
        filters: EntryFilter,
    ) -> tuple[list[tuple[int, float]], list[list[KeywordHit]]]:
        """The k nearest entries and, in one statement, the k best keyword hits of the first
        query that finds any (the lists of the others are empty); snippets left empty."""
        ...

    def weighed_candidates(
        self,
        conn: Any,
        vector: bytes,
        model_id: str,
        k: int,
        query: KeywordQuery,
        filters: EntryFilter,
    ) -> WeighedCandidates:
        """Hybrid search's candidates of both sides with the keyword hits' fields and each
        phrase's document count (read first: they bound the rows ranked), in one more
        statement; snippets left empty."""
        ...

    def entries_with_snippets(
        self, conn: Any, seqs: Sequence[int], query: KeywordQuery, snippet_seqs: Sequence[int]
    ) -> tuple[dict[int, Entry], dict[int, str]]:
        """Entries by seq and, for snippet_seqs, their content with the query's words marked."""
        ...


class ReviewRepo(Protocol):
    """Review schedules and idle entries."""

    def due_entries(
        self, conn: Any, now: str, created_before: str, project: str | None, limit: int
    ) -> list[tuple[Entry, ReviewState]]: ...
    def count_due(self, conn: Any, now: str, created_before: str, project: str | None) -> int: ...
    def read_state(self, conn: Any, entry_id: str) -> ReviewState | None: ...
    def write_state(self, conn: Any, entry_id: str, state: ReviewState) -> None: ...
    def idle_entries(
        self, conn: Any, idle_before: str, project: str | None, limit: int
    ) -> list[tuple[Entry, int]]: ...


class TransferRepo(Protocol):
    """Whole records (tags, context and review state included) as export and import see them."""

    def read_records(
        self, conn: Any, ids: Sequence[str] | None = None
    ) -> dict[str, EntryRecord]: ...
    def existing_ids(self, conn: Any, ids: Iterable[str]) -> set[str]: ...
    def read_links(self, conn: Any, sources: Sequence[str] | None = None) -> list[LinkRecord]: ...
    def write_records(
        self, conn: Any, records: Sequence[EntryRecord], seqs: Mapping[str, int]
    ) -> dict[str, int]:
        """Insert the records whose id is not in seqs, overwrite those that are (tags and
        context included); return id → seq of every record."""
        ...

    def remove_links(self, conn: Any, links: Iterable[LinkRecord]) -> None: ...
    def add_links(self, conn: Any, links: Iterable[LinkRecord]) -> None: ...
    def seqs_and_hashes(
        self, conn: Any, ids: Sequence[str], model_id: str
    ) -> dict[str, tuple[int, str | None]]: ...
    def read_contexts(
        self, conn: Any, ids: Sequence[str] | None = None
    ) -> dict[str, EntryContext]: ...
    def write_context(self, conn: Any, entry_id: str, context: EntryContext | None) -> None: ...
    def defer_foreign_keys(self, conn: Any) -> None: ...
    def upsert_context_vector(
        self, conn: Any, entry_id: str, model_id: str, dimensions: int, vector: bytes
    ) -> None: ...
    def context_vectors(self, conn: Any) -> dict[str, tuple[str, bytes]]: ...
    def vectors_by_id(self, conn: Any, model_id: str) -> dict[str, tuple[str, bytes]]: ...


class TokensRepo(Protocol):
    """Bearer tokens: names, hashes and rights; the tokens themselves are never stored."""

    def add_token(
        self, conn: Any, name: str, token_hash: str, read_only: bool, now: str
    ) -> None: ...
    def list_tokens(self, conn: Any) -> list[TokenRecord]: ...
    def revoke_token(self, conn: Any, name: str, now: str) -> bool: ...
    def find_token(self, conn: Any, token_hash: str) -> TokenRecord | None: ...
    def count_active(self, conn: Any) -> int: ...


class MergeRepo(Protocol):
    """Uniting entries: links re-pointed, supersession, accesses added up."""

    def move_links(self, conn: Any, keep: str, others: Sequence[str]) -> int: ...
    def redirect_superseded(self, conn: Any, keep: str, others: Sequence[str]) -> None: ...
    def supersede(self, conn: Any, keep: str, other: str, now: str) -> None: ...
    def absorb_access(self, conn: Any, keep: str, others: Sequence[str]) -> None: ...


class MetaRepo(Protocol):
    """Small integer settings kept beside the entries."""

    def meta_value(self, conn: Any, key: str) -> int | None: ...
    def set_meta_value(self, conn: Any, key: str, value: int) -> None: ...
    def is_empty(self, conn: Any) -> bool: ...


@dataclass(frozen=True)
class Repositories:
    """One implementation of every area of the contract."""

    entries: EntriesRepo
    links: LinksRepo
    keyword: KeywordRepo
    vectors: VectorsRepo
    review: ReviewRepo
    transfer: TransferRepo
    meta: MetaRepo
    tokens: TokensRepo
    merge: MergeRepo
    # None: the service searches vectors in its own in-process index (SQLite).
    vector_search: VectorSearch | None = None


class Store(Protocol):
    """An open base: read() and write() scopes, the write generation, and the repositories.

    kind is "sqlite" or "postgres"; location names the file or the (masked) server URL.
    """

    @property
    def kind(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def repos(self) -> Repositories: ...

    def read(self) -> AbstractContextManager[Any]: ...
    def query(self, work: Callable[[Any], T]) -> T:
        """Run read-only work of one statement at the least cost (no transaction on a server)."""
        ...

    def write(self) -> AbstractContextManager[tuple[Any, int]]: ...
    def generation(self) -> int: ...
    def uid(self) -> int: ...
    def close(self) -> None: ...
