"""Plain rows to core types and back (both backends), and id lists as SQLite parameters."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from rekall.core.context import EntryContext
from rekall.core.entries import Entry, NewEntry
from rekall.core.fields import ENTRY_FIELDS

if TYPE_CHECKING:
    from rekall.core.records import EntryRecord

Item = TypeVar("Item")
# Ids per statement: SQLite builds before 3.32 take at most 999 variables a statement.
ID_CHUNK = 500


def chunked(items: Sequence[Item], size: int = ID_CHUNK) -> Iterator[list[Item]]:
    """The items in order, in lists of at most size."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def marks(items: Sequence[object]) -> str:
    """One SQLite placeholder per item, comma-separated: "?,?,?"."""
    return ",".join("?" * len(items))


ENTRY_COLUMNS = (
    "seq, id, type, title, content, tags_text, project, status, confidence, superseded_by, "
    "created_at, updated_at, access_count, last_accessed, created_by, updated_by"
)
# Every stored field of a record, in the export's order: its fields but for the tags and the
# context, which live in tables of their own.
RECORD_COLUMNS = tuple(name for name in ENTRY_FIELDS if name not in ("tags", "context"))

# The columns a new entry is inserted with, in the order of new_entry_values().
NEW_ENTRY_COLUMNS = (
    "id, type, title, content, tags_text, project, confidence, created_at, updated_at"
)


def new_entry_values(entry_id: str, new: NewEntry, now: str) -> tuple[Any, ...]:
    """The values of NEW_ENTRY_COLUMNS for a new entry, on either backend."""
    tags_text = " ".join(new.tags)
    return (
        entry_id,
        new.type,
        new.title,
        new.content,
        tags_text,
        new.project,
        new.confidence,
        now,
        now,
    )


def row_to_entry(row: Any) -> Entry:
    """Build an Entry from a row selected with ENTRY_COLUMNS (readable by column name)."""
    tags = tuple(row["tags_text"].split()) if row["tags_text"] else ()
    return Entry(
        id=row["id"],
        type=row["type"],
        title=row["title"],
        content=row["content"],
        tags=tags,
        project=row["project"],
        status=row["status"],
        confidence=row["confidence"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        superseded_by=row["superseded_by"],
        access_count=row["access_count"],
        last_accessed=row["last_accessed"],
        created_by=row["created_by"],
        updated_by=row["updated_by"],
    )


def context_from_parts(
    structured: str | None, legacy_text: str | None, keywords: Iterable[str]
) -> EntryContext:
    """An EntryContext from its stored parts: structured JSON text, legacy text, keywords."""
    parsed = json.loads(structured) if structured is not None else None
    return EntryContext(parsed, legacy_text, tuple(keywords))


def contexts_from_rows(
    keyword_rows: Iterable[Sequence[Any]], context_rows: Iterable[Sequence[Any]]
) -> dict[str, EntryContext]:
    """entry id → context, from (entry_id, keyword) rows in keyword order and
    (entry_id, structured, legacy_text) rows; entries with keywords only get a context too."""
    keywords: dict[str, list[str]] = defaultdict(list)
    for entry_id, keyword in keyword_rows:
        keywords[entry_id].append(keyword)
    found: dict[str, EntryContext] = {}
    for entry_id, structured, legacy_text in context_rows:
        found[entry_id] = context_from_parts(structured, legacy_text, keywords.pop(entry_id, []))
    for entry_id, words in keywords.items():
        found[entry_id] = EntryContext(None, None, tuple(words))
    return found


def entry_with_context(row: Any) -> Entry:
    """An Entry from a row of ENTRY_COLUMNS plus structured, legacy_text and keywords (a list)."""
    entry = row_to_entry(row)
    keywords = row["keywords"] or ()
    if row["structured"] is None and row["legacy_text"] is None and not keywords:
        return entry
    context = context_from_parts(row["structured"], row["legacy_text"], keywords)
    return entry._replace(context=context)


def attach_contexts(entries: list[Entry], contexts: Mapping[str, EntryContext]) -> list[Entry]:
    """The entries with their context filled in where they have one."""
    if not contexts:
        return entries
    return [
        entry._replace(context=contexts[entry.id]) if entry.id in contexts else entry
        for entry in entries
    ]


def stored_context(context: EntryContext) -> tuple[str | None, str | None] | None:
    """The (structured JSON text, legacy text) row an entry_context table keeps, or None
    when the context is keywords only."""
    if context.structured is None and context.legacy_text is None:
        return None
    structured = (
        None if context.structured is None else json.dumps(context.structured, ensure_ascii=False)
    )
    return structured, context.legacy_text


def search_columns(context: EntryContext | None) -> tuple[str, str]:
    """(context_keys, context_story): the context's searchable text kept on the entry row."""
    if context is None:
        return "", ""
    return context.search_keys(), context.search_story()


def records_from_rows(
    tag_rows: Iterable[Sequence[Any]],
    contexts: Mapping[str, EntryContext],
    entry_rows: Iterable[Sequence[Any]],
) -> dict[str, EntryRecord]:
    """id → EntryRecord, from (entry_id, tag) rows in tag order and rows of RECORD_COLUMNS."""
    from rekall.core.records import EntryRecord  # export and import only

    tags: dict[str, list[str]] = defaultdict(list)
    for entry_id, tag in tag_rows:
        tags[entry_id].append(tag)
    records: dict[str, EntryRecord] = {}
    for row in entry_rows:
        values = dict(zip(RECORD_COLUMNS, tuple(row), strict=True))
        records[row[0]] = EntryRecord(
            **values, tags=tuple(tags.get(row[0], ())), context=contexts.get(row[0])
        )
    return records


def record_values(record: EntryRecord) -> list[object]:
    """The record's values in RECORD_COLUMNS order."""
    return [getattr(record, name) for name in RECORD_COLUMNS]
