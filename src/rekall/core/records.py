"""Full entry records for export and import: every stored field, context and links included."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rekall.core.context import EntryContext, embedding_part
from rekall.core.entries import compose_embedding_text
from rekall.core.fields import ENTRY_FIELDS as ENTRY_FIELDS

if TYPE_CHECKING:
    from rekall.core.export_vectors import ExportVectors


@dataclass(frozen=True)
class EntryRecord:
    """One entry with every field Rekall stores, as exported and imported."""

    id: str
    type: str
    title: str
    content: str
    tags: tuple[str, ...]
    project: str | None
    status: str
    confidence: int
    superseded_by: str | None
    created_at: str
    updated_at: str
    access_count: int = 0
    last_accessed: str | None = None
    memory_type: str | None = None
    consolidation_score: float | None = None
    next_review: str | None = None
    review_interval: int | None = None
    ease_factor: float | None = None
    review_repetitions: int = 0
    centrality_score: float | None = None
    created_by: str | None = None  # the token name (or user) that created the entry
    updated_by: str | None = None  # … and that last changed it
    context: EntryContext | None = field(default=None)

    def embedding_text(self) -> str:
        """The text whose meaning is embedded, exactly as for entries added directly."""
        return compose_embedding_text(
            self.title, self.tags, self.content, embedding_part(self.context)
        )


@dataclass(frozen=True)
class LinkRecord:
    """A typed, directed link: source → target."""

    source: str
    target: str
    type: str
    reason: str | None
    created_at: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.type)


@dataclass(frozen=True)
class ExportDocument:
    """A whole export: entries, the links between them, and the vectors it carries."""

    entries: tuple[EntryRecord, ...]
    links: tuple[LinkRecord, ...]
    vectors: ExportVectors | None = None


# Written only when known: entries from before authors were recorded export as they did.
OMITTED_WHEN_NONE = frozenset({"created_by", "updated_by"})
LINK_FIELDS = ("source", "target", "type", "reason", "created_at")


def context_to_dict(context: EntryContext | None) -> dict[str, Any] | None:
    """The export shape of a context (None when there is none)."""
    if context is None or context.is_empty:
        return None
    return {
        "structured": context.structured,
        "legacy_text": context.legacy_text,
        "keywords": list(context.keywords),
    }


def record_to_dict(record: EntryRecord) -> dict[str, Any]:
    """The export shape of an entry, fields in ENTRY_FIELDS order."""
    data: dict[str, Any] = {}
    for name in ENTRY_FIELDS:
        value = getattr(record, name)
        if value is None and name in OMITTED_WHEN_NONE:
            continue
        if name == "tags":
            value = list(value)
        elif name == "context":
            value = context_to_dict(value)
        data[name] = value
    return data


def link_to_dict(link: LinkRecord) -> dict[str, Any]:
    """The export shape of a link."""
    return {name: getattr(link, name) for name in LINK_FIELDS}
