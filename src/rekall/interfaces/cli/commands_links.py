"""Commands for relations between entries: link, unlink, related."""

from __future__ import annotations

import click

from rekall.core.entries import LINK_TYPES
from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import get_service

LINK_CHOICE = click.Choice(LINK_TYPES, case_sensitive=False)


@click.command(
    epilog="""\b
Examples:
  rekall link 01JD3K 01JF9Q --type related --reason "same root cause"
  rekall link 01JF9Q 01JD3K --type supersedes
"""
)
@click.argument("source")
@click.argument("target")
@click.option(
    "--type",
    "link_type",
    type=LINK_CHOICE,
    default="related",
    show_default=True,
    help="Relation from SOURCE to TARGET.",
)
@click.option("--reason", default=None, help="Why they are linked.")
def link(source: str, target: str, link_type: str, reason: str | None) -> None:
    """Link SOURCE to TARGET with a typed relation."""
    made = get_service().link(source, target, link_type, reason)
    click.echo(f"Linked {made.source_id} -{made.type}-> {made.target_id}", err=True)


@click.command(epilog="Example:\n\n  rekall unlink 01JD3K 01JF9Q")
@click.argument("first")
@click.argument("second")
@click.option(
    "--type",
    "link_type",
    type=LINK_CHOICE,
    default=None,
    help="Only links of this type (default: all).",
)
def unlink(first: str, second: str, link_type: str | None) -> None:
    """Remove the links between two entries."""
    removed = get_service().unlink(first, second, link_type)
    click.echo(f"Removed {removed} link{'s' if removed != 1 else ''}", err=True)


@click.command(epilog="Example:\n\n  rekall related 01JD3K --depth 2")
@click.argument("entry_id")
@click.option(
    "--depth",
    type=click.IntRange(1, 10),
    default=1,
    show_default=True,
    help="How many link hops to follow.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def related(entry_id: str, depth: int, as_json: bool) -> None:
    """Entries linked to an entry, up to DEPTH hops away."""
    found = get_service().related(entry_id, depth)
    if as_json:
        render.print_json([{**render.entry_to_dict(e), "hops": hops} for e, hops in found])
        return
    for entry, hops in found:
        click.echo(f"{hops}  {render.entry_line(entry)}")
    if not found:
        click.echo("No linked entries.", err=True)


COMMANDS = [link, unlink, related]
