"""How the CLI prints: plain text or JSON on stdout, colour only when wanted."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from rekall.core.context import LABELS, EntryContext
from rekall.core.entries import Entry, Link
from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, SearchResponse, SearchResult


def use_color() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def style(text: str, **kwargs: Any) -> str:
    """click.style when colour is wanted, else the text unchanged."""
    if not use_color():
        return text
    import click

    return click.style(text, **kwargs)


def echo(message: str, err: bool = False) -> None:
    """click.echo. click is imported here, not with this module: `rekall search` prints
    through quick.plain_echo without loading click (see quick.py)."""
    import click

    click.echo(message, err=err)


Echo = Callable[..., None]


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """The JSON shape of an entry."""
    return {
        "id": entry.id,
        "type": entry.type,
        "title": entry.title,
        "content": entry.content,
        "tags": list(entry.tags),
        "project": entry.project,
        "status": entry.status,
        "confidence": entry.confidence,
        "superseded_by": entry.superseded_by,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "access_count": entry.access_count,
        "last_accessed": entry.last_accessed,
        "created_by": entry.created_by,
        "updated_by": entry.updated_by,
        "context": None if entry.context is None else entry.context.fields(),
    }


def link_to_dict(link: Link) -> dict[str, Any]:
    """The JSON shape of a link."""
    return {
        "source": link.source_id,
        "target": link.target_id,
        "type": link.type,
        "reason": link.reason,
        "created_at": link.created_at,
    }


def result_to_dict(result: SearchResult) -> dict[str, Any]:
    """The JSON shape of a search result (snippet markers removed)."""
    data = entry_to_dict(result.entry)
    data.pop("content")
    data.pop("context")
    data.update(
        {
            "score": round(result.score, 6),
            "snippet": plain_snippet(result.snippet),
            "keyword_rank": result.keyword_rank,
            "semantic_rank": result.semantic_rank,
            "similarity": None if result.similarity is None else round(result.similarity, 6),
            "matched": result.matched or {},
            "keyword_strength": None
            if result.keyword_strength is None
            else round(result.keyword_strength, 6),
        }
    )
    return data


def search_response_dict(response: SearchResponse) -> dict[str, Any]:
    """The JSON shape of `rekall search --json`."""
    return {
        "query": response.query,
        "mode": response.mode,
        "score_meaning": response.score_meaning,
        "notices": response.notices,
        "results": [result_to_dict(result) for result in response.results],
    }


def print_json(data: Any, out: Echo = echo) -> None:
    """Pretty JSON on stdout, non-ASCII kept readable."""
    out(json.dumps(data, ensure_ascii=False, indent=2))


def plain_snippet(snippet: str) -> str:
    """A snippet with highlight markers turned into [brackets]."""
    return snippet.replace(HIGHLIGHT_OPEN, "[").replace(HIGHLIGHT_CLOSE, "]")


def styled_snippet(snippet: str) -> str:
    """A one-line snippet with matched words in bold (or [brackets] without colour)."""
    flat = " ".join(snippet.split())
    if not use_color():
        return plain_snippet(flat)
    parts = flat.replace(HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN).split(HIGHLIGHT_OPEN)
    return "".join(
        style(part, bold=True, fg="yellow") if index % 2 else part
        for index, part in enumerate(parts)
    )


def entry_line(entry: Entry) -> str:
    """One line for listings: id, type, title, tags, project, date."""
    tags = style(" #" + " #".join(entry.tags), fg="cyan") if entry.tags else ""
    project = style(f" ({entry.project})", fg="magenta") if entry.project else ""
    deprecated = style(" [deprecated]", fg="red") if entry.status == "deprecated" else ""
    return (
        f"{style(entry.id, dim=True)}  {entry.type:<9} {style(entry.title, bold=True)}"
        f"{deprecated}{tags}{project}  {style(entry.updated_at[:10], dim=True)}"
    )


def print_entry(entry: Entry, links: list[Link]) -> None:
    """The full view of one entry."""
    echo(style(entry.title, bold=True))
    echo(f"id:         {entry.id}")
    echo(f"type:       {entry.type}    status: {entry.status}    confidence: {entry.confidence}/5")
    echo(f"tags:       {', '.join(entry.tags) or '-'}")
    echo(f"project:    {entry.project or '-'}")
    if entry.superseded_by:
        echo(f"superseded by: {entry.superseded_by}")
    echo(
        f"created:    {entry.created_at}    updated: {entry.updated_at}    "
        f"accessed: {entry.access_count}x"
    )
    if entry.created_by or entry.updated_by:
        echo(f"by:         {entry.created_by or '-'}    last changed by: {entry.updated_by or '-'}")
    for link in links:
        arrow = "->" if link.source_id == entry.id else "<-"
        other = link.target_id if link.source_id == entry.id else link.source_id
        reason = f"  ({link.reason})" if link.reason else ""
        echo(f"link:       {arrow} {link.type} {other}{reason}")
    if entry.content:
        echo("")
        echo(entry.content.rstrip("\n"))
    if entry.context is not None:
        print_context(entry.context)


def print_context(context: EntryContext) -> None:
    """The context fields that have a value, each under its label."""
    shown = {name: value for name, value in context.fields().items() if value}
    if not shown:
        return
    echo("")
    echo(style("Context", bold=True))
    for name, value in shown.items():
        label = f"{LABELS[name]}:"
        if isinstance(value, list):
            echo(f"{label:<14}{value[0]}")
            for item in value[1:]:
                echo(f"{'':<14}{item}")
        else:
            lines = value.splitlines() or [""]
            echo(f"{label:<14}{lines[0]}")
            for line in lines[1:]:
                echo(f"{'':<14}{line}")


def print_search(response: SearchResponse, out: Echo = echo) -> None:
    """Ranked results on stdout; what the scores mean on stderr."""
    for rank, result in enumerate(response.results, start=1):
        entry = result.entry
        head = (
            f"{rank:>2}. [{entry.type}] {style(entry.title, bold=True)}"
            f"{style(' [deprecated]', fg='red') if entry.status == 'deprecated' else ''}"
        )
        out(f"{head}  {style(entry.id, dim=True)}  score {result.score:.4g}")
        snippet = styled_snippet(result.snippet) if result.snippet else ""
        if snippet:
            out(f"    {snippet}")
    for notice in response.notices:
        out(notice, err=True)
    count = len(response.results)
    out(
        style(
            f"{response.mode}: {count} result{'s' if count != 1 else ''} in "
            f"{response.elapsed_ms:.0f} ms; score = {response.score_meaning}",
            dim=True,
        ),
        err=True,
    )
