"""Commands that find entries: search (keyword, semantic, hybrid) and similar."""

from __future__ import annotations

import click

from rekall.config import SEARCH_MODES
from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import build_filter, get_service, with_filters

MODE_CHOICE = click.Choice(SEARCH_MODES, case_sensitive=False)


@with_filters(default_status="active")
@click.command(
    epilog="""\b
Examples:
  rekall search "browser blocks cross-origin request"
  rekall search ENOSPC --mode keyword --type bug
  rekall search "retry with backoff" --tag python --project api --json
Scores: keyword = BM25 relevance, semantic = cosine similarity,
hybrid = similarity plus keyword bonus; each is explained on stderr after the results.
"""
)
@click.argument("query")
@click.option(
    "--mode", "-m", type=MODE_CHOICE, default=None, help="hybrid (default), semantic or keyword."
)
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1, 1000),
    default=None,
    help="How many results (default 10).",
)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
def search(
    query: str,
    mode: str | None,
    limit: int | None,
    as_json: bool,
    types: tuple[str, ...],
    tags: tuple[str, ...],
    project: str | None,
    status: str,
) -> None:
    """Search entries by keywords, by meaning, or both."""
    response = get_service().search(query, mode, build_filter(types, tags, project, status), limit)
    if as_json:
        render.print_json(render.search_response_dict(response))
        return
    render.print_search(response)


COMMANDS = [search]


@with_filters(default_status="active")
@click.command(epilog="Example:\n\n  rekall similar 01JD3K --limit 5")
@click.argument("entry_id")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="How many entries.",
)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
def similar(
    entry_id: str,
    limit: int,
    as_json: bool,
    types: tuple[str, ...],
    tags: tuple[str, ...],
    project: str | None,
    status: str,
) -> None:
    """Entries closest in meaning to an entry (itself excluded)."""
    response = get_service().similar(entry_id, limit, build_filter(types, tags, project, status))
    if as_json:
        render.print_json(
            {
                "entry": entry_id,
                "score_meaning": response.score_meaning,
                "results": [render.result_to_dict(result) for result in response.results],
            }
        )
        return
    render.print_search(response)


COMMANDS.append(similar)
