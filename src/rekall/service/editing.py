"""Editing an entry: its changes applied to the entry as the write finds it, embedded first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rekall.core.context import apply_context_changes, embedding_part
from rekall.core.entries import Entry, compose_embedding_text, content_hash
from rekall.service.entries import AfterWrite, EntryOperations
from rekall.service.indexing import Indexer, VectorRow

# Embedding takes up to seconds; another writer changing the text meanwhile is rare, three
# in a row rarer still: after that the edit is saved without a vector, and the user told.
EMBED_ATTEMPTS = 3
TEXT_MOVED_NOTICE = (
    "Saved without a vector: the entry was changed by another writer while it was being "
    "embedded, so semantic search will not find it yet. Run 'rekall index rebuild'."
)


class _TextMoved(Exception):
    """Raised inside the write when the text written is not the text embedded: rolls it
    back, to embed the text as it now is and write again."""


def update_entry(
    entries: EntryOperations,
    indexer: Indexer,
    entry_id: str,
    fields: dict[str, Any],
    tags: tuple[str, ...] | None,
    context_changes: Mapping[str, Any],
) -> Entry:
    """Apply validated changes to a resolved id; return the entry as written.

    The write re-reads the entry, so a field another writer changed and this edit leaves
    out stays as that writer left it (context fields one by one). The vector stored is of
    the text written: when another writer changed the text after it was embedded, the edit
    is embedded again. Raises what EntryOperations.update raises.
    """
    for attempt in range(1, EMBED_ATTEMPTS + 1):
        before = entries.get(entry_id)
        text = edited_text(before, fields, tags, context_changes)
        row = None
        if text != before.embedding_text():
            rows = indexer.vectors_for([text])
            row = rows[0] if rows else None
        moved: list[bool] = []
        after_write = _storing(indexer, row, attempt < EMBED_ATTEMPTS, moved)
        try:
            entry = entries.update(entry_id, dict(fields), tags, after_write, context_changes)
        except _TextMoved:
            continue
        if moved:
            indexer.notify(TEXT_MOVED_NOTICE)
        return entry
    raise AssertionError("the last attempt never raises _TextMoved")


def _storing(indexer: Indexer, row: VectorRow | None, retry: bool, moved: list[bool]) -> AfterWrite:
    """The step inside the write that stores row if it is of the text written. If it is not,
    it raises _TextMoved when retry, else notes it in moved and stores no vector."""

    def store(conn: Any, seq: int, entry: Entry, generation: int) -> None:
        if row is not None and row[2] != content_hash(entry.embedding_text()):
            if retry:
                raise _TextMoved
            moved.append(True)
        indexer.store(conn, seq, entry, row, generation)

    return store


def edited_text(
    before: Entry,
    fields: Mapping[str, Any],
    tags: tuple[str, ...] | None,
    context_changes: Mapping[str, Any],
) -> str:
    """The text to embed for the entry once the changes are applied to before."""
    story = (
        apply_context_changes(before.context, context_changes)
        if context_changes
        else before.context
    )
    return compose_embedding_text(
        fields.get("title", before.title),
        before.tags if tags is None else tags,
        fields.get("content", before.content),
        embedding_part(story),
    )
