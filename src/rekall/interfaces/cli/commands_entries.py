"""Entry commands: add, show, edit, delete, list, deprecate."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from rekall.core.entries import ENTRY_TYPES
from rekall.core.errors import UsageError
from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import (
    TYPE_CHOICE,
    build_filter,
    content_from,
    get_service,
    stdin_is_terminal,
    with_filters,
)
from rekall.interfaces.cli.context_options import context_changes, with_context_options
from rekall.interfaces.cli.editing import edit_in_editor

if TYPE_CHECKING:
    from rekall.service import Rekall


@with_context_options(replacing=False)
@click.command(
    epilog="""\b
Examples:
  rekall add bug "CORS fails on Safari" -t cors,safari -p webapp -c "Add credentials"
  git diff | rekall add snippet "Patch for the retry loop" -t retry
  rekall add bug "Hydration mismatch on prices" --situation "French users only" \\
    --solution "Pass the request locale" --error "Text content does not match" \\
    --keyword hydration --file components/Price.tsx
"""
)
@click.argument("entry_type", metavar="TYPE")
@click.argument("title")
@click.option("-t", "--tags", multiple=True, help="Tags, comma separated (repeatable).")
@click.option("-p", "--project", default=None, help="Project the entry belongs to.")
@click.option(
    "-c",
    "--content",
    default=None,
    help="Markdown content; read from stdin when piped and not given.",
)
@click.option("--confidence", type=int, default=3, show_default=True, help="How sure you are, 0-5.")
@click.option("--json", "as_json", is_flag=True, help="Print the new entry as JSON.")
def add(
    entry_type: str,
    title: str,
    tags: tuple[str, ...],
    project: str | None,
    content: str | None,
    confidence: int,
    as_json: bool,
    **context_options: Any,
) -> None:
    """Record a new entry and print its id."""
    body = content_from(content)
    service = get_service()
    context = context_changes(context_options)
    entry = service.add(entry_type, title, body, tags, project, confidence, context)
    if as_json:
        render.print_json(render.entry_to_dict(entry))
    else:
        click.echo(entry.id)
    if content is None and not body:
        click.echo(
            f"Saved without content (none given with -c or on stdin); add it with "
            f"'rekall edit {entry.id}'.",
            err=True,
        )
    for match in service.similar_existing(entry.id):
        click.echo(
            f"This looks like {match.entry.id} '{match.entry.title}' "
            f"(similarity {match.similarity or 0:.2f}): link it with 'rekall link {entry.id} "
            f"{match.entry.id}', or if it is a duplicate, 'rekall delete {entry.id}'.",
            err=True,
        )


add.help = f"Record a new entry and print its id.\n\nTYPE is one of: {', '.join(ENTRY_TYPES)}."


@click.command(epilog="Example:\n\n  rekall show 01JD3K")
@click.argument("entry_id")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def show(entry_id: str, as_json: bool) -> None:
    """Show one entry in full (any unique id prefix works)."""
    service = get_service()
    entry = service.get(entry_id)
    links = service.links(entry.id)
    if as_json:
        data = render.entry_to_dict(entry)
        data["links"] = [render.link_to_dict(link) for link in links]
        render.print_json(data)
    else:
        render.print_entry(entry, links)


@with_context_options(replacing=True)
@click.command(
    epilog="""\b
Examples:
  rekall edit 01JD3K --title "CORS fails on Safari 17" -t cors,safari,fetch
  rekall edit 01JD3K --error "ECONNRESET" --error "socket hang up"
  rekall edit 01JD3K            # opens $EDITOR on the entry as Markdown
"""
)
@click.argument("entry_id")
@click.option("--title", default=None, help="New title.")
@click.option("--type", "entry_type", type=TYPE_CHOICE, default=None, help="New type.")
@click.option("-t", "--tags", multiple=True, help="Replace the tags (comma separated).")
@click.option("-p", "--project", default=None, help="New project ('' to clear).")
@click.option("-c", "--content", default=None, help="New content ('-' reads stdin).")
@click.option("--confidence", type=int, default=None, help="New confidence, 0-5.")
def edit(
    entry_id: str,
    title: str | None,
    entry_type: str | None,
    tags: tuple[str, ...],
    project: str | None,
    content: str | None,
    confidence: int | None,
    **context_options: Any,
) -> None:
    """Change an entry; with no option, edit it in $EDITOR."""
    service = get_service()
    changes: dict[str, object] = {
        name: value
        for name, value in (
            ("title", title),
            ("type", entry_type),
            ("project", project),
            ("content", content_from(None) if content == "-" else content),
            ("confidence", confidence),
        )
        if value is not None
    }
    if tags:
        changes["tags"] = tags
    if context := context_changes(context_options):
        changes["context"] = context
    if not changes:
        changes = _changes_in_editor(service, entry_id)
        if not changes:
            click.echo("No changes.", err=True)
            return
    entry = service.update(entry_id, **changes)
    click.echo(f"Updated {entry.id}", err=True)


def _changes_in_editor(service: Rekall, entry_id: str) -> dict[str, Any]:
    """The changes made to the entry in $EDITOR. Raises UsageError when stdin is not a
    terminal, so no editor can run."""
    entry = service.get(entry_id, record_access=False)
    if not stdin_is_terminal():
        raise UsageError(
            "no change given and stdin is not a terminal, so $EDITOR cannot run; "
            "pass --title, --content (- reads stdin), --tags, --type, --project, "
            "--confidence, or a context option (--situation, --solution, --error, "
            "--keyword, --file, ...)"
        )
    return edit_in_editor(entry)


@click.command(epilog="Example:\n\n  rekall delete 01JD3K --yes")
@click.argument("entry_id")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(entry_id: str, yes: bool) -> None:
    """Delete an entry with its tags, links and vector."""
    service = get_service()
    entry = service.get(entry_id, record_access=False)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                f"refusing to delete {entry.id} without confirmation: stdin is not a terminal; "
                "pass --yes"
            )
        click.confirm(f"Delete {entry.id} '{entry.title}'?", abort=True, err=True)
    service.delete(entry.id)
    click.echo(f"Deleted {entry.id} '{entry.title}'", err=True)


@with_filters(default_status="all")
@click.command(
    "list",
    epilog="""\b
Examples:
  rekall list --type bug --project webapp --sort created --limit 50
  rekall list --tag docker --json
""",
)
@click.option(
    "--sort",
    type=click.Choice(["updated", "created", "title", "type", "accessed", "confidence"]),
    default="updated",
    show_default=True,
    help="Sort order.",
)
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1, 100_000),
    default=20,
    show_default=True,
    help="How many entries.",
)
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many first.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def list_command(
    sort: str,
    limit: int,
    offset: int,
    as_json: bool,
    types: tuple[str, ...],
    tags: tuple[str, ...],
    project: str | None,
    status: str,
) -> None:
    """List entries, newest first, with filters."""
    entries = get_service().list_entries(
        build_filter(types, tags, project, status), sort, limit, offset
    )
    if as_json:
        render.print_json([render.entry_to_dict(entry) for entry in entries])
        return
    for entry in entries:
        click.echo(render.entry_line(entry))
    if not entries:
        click.echo('No entries. Add one with: rekall add TYPE "TITLE"', err=True)


@click.command(epilog="Example:\n\n  rekall deprecate 01JD3K --superseded-by 01JF9Q")
@click.argument("entry_id")
@click.option("--superseded-by", default=None, help="Id of the entry that replaces it.")
def deprecate(entry_id: str, superseded_by: str | None) -> None:
    """Mark an entry deprecated (kept, but out of default search results)."""
    entry = get_service().deprecate(entry_id, superseded_by)
    extra = f", superseded by {entry.superseded_by}" if entry.superseded_by else ""
    click.echo(f"Deprecated {entry.id}{extra}", err=True)


COMMANDS = [add, show, edit, delete, list_command, deprecate]
