"""The records MCP tools return: their fields and what each field means to a model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rekall.interfaces.mcp.entry_context import ContextView


class EntrySummary(BaseModel):
    """An entry without its content: enough to decide whether to read it."""

    id: str = Field(description="full entry id; any unique prefix also works as input")
    type: str
    title: str
    tags: list[str]
    project: str | None
    status: str = Field(description="active, or deprecated (outdated; prefer its replacement)")
    updated_at: str


class SearchHit(EntrySummary):
    """One ranked search result."""

    score: float = Field(description="see score_meaning; compare scores within one answer only")
    snippet: str = Field(description="a short extract; matched words are in **bold**")
    matched_by: list[str] = Field(description="which sides found it: keywords, meaning")
    similarity: float | None = Field(
        default=None, description="cosine similarity of meaning, 0-1, when known"
    )
    keyword_rank: int | None = Field(default=None, description="rank in the keyword list")
    semantic_rank: int | None = Field(default=None, description="rank in the meaning list")
    matched: dict[str, list[str]] = Field(
        default_factory=dict,
        description="query words found in this entry, each with the fields (title, tags, "
        "content) it is in",
    )
    keyword_strength: float | None = Field(
        default=None,
        description="0-1: how much of the query's keyword evidence this entry holds (rare "
        "words in title or tags, exact identifiers count most)",
    )


class SearchOutput(BaseModel):
    """Ranked results of a search, with what the scores mean."""

    query: str = Field(description="the query, shortened past 200 characters")
    mode: str = Field(description="the mode actually used (keyword if meaning was unavailable)")
    score_meaning: str
    notices: list[str] = Field(description="anything the user should know about this search")
    results: list[SearchHit]


class SimilarOutput(BaseModel):
    """Entries closest in meaning to one entry."""

    entry_id: str
    entry_title: str
    score_meaning: str
    results: list[SearchHit]


class LinkInfo(BaseModel):
    """A typed link seen from one entry."""

    direction: Literal["outgoing", "incoming"]
    type: str
    other_id: str
    other_title: str
    reason: str | None


class EntryDetail(EntrySummary):
    """A whole entry, its content paged when very long."""

    content: str = Field(description="Markdown content, from content_offset on")
    content_chars: int = Field(description="length of the whole content in characters")
    content_offset: int
    next_offset: int | None = Field(
        description="pass as offset to read the rest; null when the content is complete"
    )
    confidence: int = Field(description="0-5, how sure the author was")
    superseded_by: str | None
    created_at: str
    access_count: int
    links: list[LinkInfo]
    context: ContextView | None = Field(
        default=None, description="the story around the entry: situation, fix, errors, files"
    )


class ChangeOutput(BaseModel):
    """What a write did, and the entry as it now is (or was, when deleted)."""

    action: Literal["added", "updated", "deprecated", "deleted"]
    entry: EntrySummary
    message: str


class AddOutput(ChangeOutput):
    """A new entry, with the existing entries it closely resembles."""

    similar_existing: list[SearchHit] = Field(
        default_factory=list,
        description="existing entries very close in meaning (cosine similarity >= 0.7): "
        "link the new entry to them, or if it repeats one, delete it and update that one",
    )


class LinkOutput(BaseModel):
    """A link that now exists."""

    source_id: str
    target_id: str
    type: str
    reason: str | None
    created_at: str


class UnlinkOutput(BaseModel):
    """How many links were removed between two entries."""

    source_id: str
    target_id: str
    removed: int


class RelatedEntry(EntrySummary):
    """An entry reachable through links."""

    hops: int = Field(description="1 for a direct link, 2 for a link of a link, ...")
    via: list[str] = Field(
        description="the direct links to it, e.g. 'supersedes ->' or '<- related'"
    )


class RelatedOutput(BaseModel):
    """Entries linked to one entry, nearest first."""

    entry_id: str
    results: list[RelatedEntry]


class RecentOutput(BaseModel):
    """Entries in the asked order, newest first unless sorted otherwise."""

    sort: str
    results: list[EntrySummary]


class StatsOutput(BaseModel):
    """The knowledge base at a glance."""

    entries: int
    active: int
    deprecated: int
    entries_by_type: dict[str, int]
    links: int
    entries_without_vector: int = Field(description="not findable by meaning until re-indexed")
    model_loaded: bool
    model_problem: str | None
    vector_backend: str | None
    database: str
    write_generation: int
    rss_mb: float | None = Field(description="memory used by this server process")
