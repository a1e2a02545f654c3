"""Merging lookalike entries into one, in a single transaction (or a rolled-back rehearsal)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rekall.core.context import EntryContext, embedding_part
from rekall.core.entries import Entry, compose_embedding_text
from rekall.core.errors import ValidationError
from rekall.core.merge import (
    check_merge_ids,
    latest_review,
    merged_content,
    merged_context,
    merged_tags,
)
from rekall.service.indexing import Indexer

if TYPE_CHECKING:
    from rekall.storage.contract import Repositories, Store


@dataclass(frozen=True)
class MergeReport:
    """What a merge did (or, for a dry run, would do)."""

    kept: Entry
    merged: tuple[Entry, ...]
    deleted: bool
    links_moved: int
    dry_run: bool


@dataclass(frozen=True)
class _Merged:
    """KEEP's fields after the merge, worked out before the transaction (to embed them)."""

    content: str
    tags: tuple[str, ...]
    context: EntryContext | None


class _Rehearsal(Exception):
    """Raised inside the transaction of a dry run, so everything it wrote is rolled back."""

    def __init__(self, report: MergeReport) -> None:
        super().__init__("dry run")
        self.report = report


def merge_entries(
    db: Store,
    indexer: Indexer,
    clock: Callable[[], str],
    keep_ref: str,
    other_refs: tuple[str, ...],
    delete: bool = False,
    dry_run: bool = False,
) -> MergeReport:
    """Unite the others into keep, all or nothing; see MergeReport.

    Raises NotFoundError/AmbiguousIdError on an id, ValidationError on a bad set of ids, a
    deprecated keep, a result past the size limits, or entries edited while merging.
    """
    keep, others = _read(db, keep_ref, other_refs)
    merged = _Merged(
        merged_content(keep, others),
        merged_tags(keep, others),
        merged_context([keep.context, *(other.context for other in others)]),
    )
    row = None
    if not dry_run:
        text = compose_embedding_text(
            keep.title, merged.tags, merged.content, embedding_part(merged.context)
        )
        rows = indexer.vectors_for([text])
        row = rows[0] if rows else None
    try:
        with db.write() as (conn, generation):
            _check_unchanged(db.repos, conn, keep, others)
            kept, moved = _apply(db.repos, conn, keep, others, merged, delete, clock())
            indexer.store(conn, db.repos.entries.seq_of(conn, keep.id), kept, row, generation)
            report = MergeReport(kept, others, delete, moved, dry_run)
            if dry_run:
                raise _Rehearsal(report)
    except _Rehearsal as rehearsal:
        return rehearsal.report
    return report


def _read(db: Store, keep_ref: str, other_refs: tuple[str, ...]) -> tuple[Entry, tuple[Entry, ...]]:
    with db.read() as conn:
        keep_id = db.repos.entries.resolve_id(conn, keep_ref)
        other_ids = check_merge_ids(
            keep_id, [db.repos.entries.resolve_id(conn, r) for r in other_refs]
        )
        keep = db.repos.entries.fetch_entry(conn, keep_id)
        others = tuple(db.repos.entries.fetch_entry(conn, other) for other in other_ids)
    if keep.status == "deprecated":
        raise ValidationError(
            f"{keep.id} is deprecated; keep an active entry, or revive it first with "
            f"'rekall edit {keep.id} --status active'"
        )
    return keep, others


def _check_unchanged(
    repos: Repositories, conn: Any, keep: Entry, others: tuple[Entry, ...]
) -> None:
    for entry in (keep, *others):
        if repos.entries.fetch_entry(conn, entry.id).updated_at != entry.updated_at:
            raise ValidationError(f"{entry.id} was edited while merging; run the merge again")


def _apply(
    repos: Repositories,
    conn: Any,
    keep: Entry,
    others: tuple[Entry, ...],
    merged: _Merged,
    delete: bool,
    now: str,
) -> tuple[Entry, int]:
    """Every write of a merge, inside the caller's transaction: (kept entry, links moved)."""
    ids = [other.id for other in others]
    repos.entries.update_entry(conn, keep.id, {"content": merged.content}, now)
    repos.entries.replace_tags(conn, keep.id, merged.tags)
    if merged.context != keep.context:
        repos.transfer.write_context(conn, keep.id, merged.context)
    repos.merge.absorb_access(conn, keep.id, ids)
    states = [repos.review.read_state(conn, entry_id) for entry_id in (keep.id, *ids)]
    repos.review.write_state(conn, keep.id, latest_review([s for s in states if s is not None]))
    moved = repos.merge.move_links(conn, keep.id, ids)
    repos.merge.redirect_superseded(conn, keep.id, ids)
    for other in ids:
        if delete:
            repos.entries.delete_entry(conn, other)
        else:
            repos.merge.supersede(conn, keep.id, other, now)
    return repos.entries.fetch_entry(conn, keep.id), moved
