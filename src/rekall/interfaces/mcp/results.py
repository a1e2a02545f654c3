"""The facade's results shaped into the records MCP tools return, small enough for a model."""

from __future__ import annotations

from typing import Any

from rekall.core.entries import Entry, Link
from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, SearchResponse, SearchResult
from rekall.interfaces.mcp.entry_context import context_view
from rekall.interfaces.mcp.outputs import (
    AddOutput,
    EntryDetail,
    EntrySummary,
    LinkInfo,
    LinkOutput,
    SearchHit,
    SearchOutput,
    StatsOutput,
)

# Bounds that keep every answer small enough for a model's context window.
SNIPPET_CHARS = 240
CONTENT_CHARS = 20_000
# The query is echoed so a client can tell replies apart, not to send a paste back twice.
QUERY_ECHO_CHARS = 200
MAX_LINKS_SHOWN = 50


def summary(entry: Entry) -> EntrySummary:
    """The summary of an entry."""
    return EntrySummary(**summary_fields(entry))


def summary_fields(entry: Entry) -> dict[str, Any]:
    """The fields every entry record shares."""
    return {
        "id": entry.id,
        "type": entry.type,
        "title": entry.title,
        "tags": list(entry.tags),
        "project": entry.project,
        "status": entry.status,
        "updated_at": entry.updated_at,
    }


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed to single spaces, cut at limit characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def snippet_text(snippet: str) -> str:
    """A snippet with the highlight markers as Markdown bold, bounded in length."""
    marked = snippet.replace(HIGHLIGHT_OPEN, "**").replace(HIGHLIGHT_CLOSE, "**")
    return shorten(marked, SNIPPET_CHARS)


def search_hit(result: SearchResult) -> SearchHit:
    """One result as the model sees it."""
    sides = [
        side
        for side, rank in (("keywords", result.keyword_rank), ("meaning", result.semantic_rank))
        if rank is not None
    ]
    similarity = None if result.similarity is None else round(result.similarity, 4)
    return SearchHit(
        **summary_fields(result.entry),
        # Significant digits, not decimals: BM25 scores in a small base are ~1e-6.
        score=float(f"{result.score:.4g}"),
        snippet=snippet_text(result.snippet),
        matched_by=sides,
        similarity=similarity,
        keyword_rank=result.keyword_rank,
        semantic_rank=result.semantic_rank,
        matched=result.matched or {},
        keyword_strength=None
        if result.keyword_strength is None
        else round(result.keyword_strength, 4),
    )


def add_output(entry: Entry, matches: list[SearchResult]) -> AddOutput:
    """An added entry, and what it looks like (if anything) in the base."""
    message = f"Added {entry.id}."
    if matches:
        names = ", ".join(f"{m.entry.id} '{shorten(m.entry.title, 80)}'" for m in matches)
        message += (
            f" It looks like {names}: link them with link_entries, or if it is a duplicate, "
            "delete it and update the existing entry."
        )
    return AddOutput(
        action="added",
        entry=summary(entry),
        message=message,
        similar_existing=[search_hit(match) for match in matches],
    )


def search_output(response: SearchResponse) -> SearchOutput:
    """A search response as the model sees it."""
    return SearchOutput(
        query=shorten(response.query, QUERY_ECHO_CHARS),
        mode=response.mode,
        score_meaning=response.score_meaning,
        notices=list(response.notices),
        results=[search_hit(result) for result in response.results],
    )


def entry_detail(
    entry: Entry, links: list[LinkInfo], offset: int = 0, max_chars: int = CONTENT_CHARS
) -> EntryDetail:
    """The whole entry, its content from offset on and at most max_chars of it."""
    total = len(entry.content)
    start = min(max(offset, 0), total)
    end = min(start + max_chars, total)
    return EntryDetail(
        **summary_fields(entry),
        content=entry.content[start:end],
        content_chars=total,
        content_offset=start,
        next_offset=end if end < total else None,
        confidence=entry.confidence,
        superseded_by=entry.superseded_by,
        created_at=entry.created_at,
        access_count=entry.access_count,
        links=links[:MAX_LINKS_SHOWN],
        context=context_view(entry.context),
    )


def link_info(entry_id: str, link: Link, other_title: str) -> LinkInfo:
    """A link as seen from entry_id."""
    outgoing = link.source_id == entry_id
    return LinkInfo(
        direction="outgoing" if outgoing else "incoming",
        type=link.type,
        other_id=link.target_id if outgoing else link.source_id,
        other_title=other_title,
        reason=link.reason,
    )


def link_output(link: Link) -> LinkOutput:
    """A created link."""
    return LinkOutput(
        source_id=link.source_id,
        target_id=link.target_id,
        type=link.type,
        reason=link.reason,
        created_at=link.created_at,
    )


def stats_output(figures: dict[str, Any]) -> StatsOutput:
    """The facade's stats, trimmed to what helps a model (and a user) decide."""
    return StatsOutput(
        entries=figures["entries"],
        active=figures["active"],
        deprecated=figures["deprecated"],
        entries_by_type=figures["entries_by_type"],
        links=figures["links"],
        entries_without_vector=figures["entries_without_vector"],
        model_loaded=figures["model_loaded"],
        model_problem=figures.get("model_problem"),
        vector_backend=figures.get("backend"),
        database=figures["database"],
        write_generation=figures["write_generation"],
        rss_mb=figures.get("rss_mb"),
    )
