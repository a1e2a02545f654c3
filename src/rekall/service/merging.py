"""Merging lookalike entries into one, in a single transaction (or a rolled-back rehearsal)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

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
from rekall.storage import context_repo, entries_repo, merge_repo, review_repo
from rekall.storage.database import Database


@dataclass(frozen=True)
class MergeReport:
    """What a merge did (or, for a dry run, would do)."""

    kept: Entry
    merged: tuple[Entry, ...]
    deleted: bool
    links_moved: int
    dry_run: bool


class _Rehearsal(Exception):
    """Raised inside the transaction of a dry run, so everything it wrote is rolled back."""

    def __init__(self, report: MergeReport) -> None:
        super().__init__("dry run")
        self.report = report


def merge_entries(
    db: Database,
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
    content, tags = merged_content(keep, others), merged_tags(keep, others)
    row = None
    if not dry_run:
        rows = indexer.vectors_for([compose_embedding_text(keep.title, tags, content)])
        row = rows[0] if rows else None
    try:
        with db.write() as (conn, generation):
            _check_unchanged(conn, keep, others)
            kept, moved = _apply(conn, keep, others, content, tags, delete, clock())
            indexer.store(conn, entries_repo.seq_of(conn, keep.id), kept, row, generation)
            report = MergeReport(kept, others, delete, moved, dry_run)
            if dry_run:
                raise _Rehearsal(report)
    except _Rehearsal as rehearsal:
        return rehearsal.report
    return report


def _read(
    db: Database, keep_ref: str, other_refs: tuple[str, ...]
) -> tuple[Entry, tuple[Entry, ...]]:
    with db.read() as conn:
        keep_id = entries_repo.resolve_id(conn, keep_ref)
        other_ids = check_merge_ids(keep_id, [entries_repo.resolve_id(conn, r) for r in other_refs])
        keep = entries_repo.fetch_entry(conn, keep_id)
        others = tuple(entries_repo.fetch_entry(conn, other) for other in other_ids)
    if keep.status == "deprecated":
        raise ValidationError(
            f"{keep.id} is deprecated; keep an active entry, or revive it first with "
            f"'rekall edit {keep.id} --status active'"
        )
    return keep, others


def _check_unchanged(conn: sqlite3.Connection, keep: Entry, others: tuple[Entry, ...]) -> None:
    for entry in (keep, *others):
        if entries_repo.fetch_entry(conn, entry.id).updated_at != entry.updated_at:
            raise ValidationError(f"{entry.id} was edited while merging; run the merge again")


def _apply(
    conn: sqlite3.Connection,
    keep: Entry,
    others: tuple[Entry, ...],
    content: str,
    tags: tuple[str, ...],
    delete: bool,
    now: str,
) -> tuple[Entry, int]:
    """Every write of a merge, inside the caller's transaction: (kept entry, links moved)."""
    ids = [other.id for other in others]
    entries_repo.update_entry(conn, keep.id, {"content": content}, now)
    entries_repo.replace_tags(conn, keep.id, tags)
    merge_repo.absorb_access(conn, keep.id, ids)
    states = [review_repo.read_state(conn, entry_id) for entry_id in (keep.id, *ids)]
    review_repo.write_state(conn, keep.id, latest_review([s for s in states if s is not None]))
    contexts = context_repo.read_contexts(conn, [keep.id, *ids])
    context = merged_context([contexts.get(entry_id) for entry_id in (keep.id, *ids)])
    if context != contexts.get(keep.id):
        context_repo.write_context(conn, keep.id, context)
    moved = merge_repo.move_links(conn, keep.id, ids)
    merge_repo.redirect_superseded(conn, keep.id, ids)
    for other in ids:
        if delete:
            entries_repo.delete_entry(conn, other)
        else:
            merge_repo.supersede(conn, keep.id, other, now)
    return entries_repo.fetch_entry(conn, keep.id), moved
