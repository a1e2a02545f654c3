"""`rekall db copy`: move a base between a SQLite file and a PostgreSQL server."""

from __future__ import annotations

import click

from rekall.interfaces.cli import render
from rekall.interfaces.cli.commands_index import progress_bar
from rekall.interfaces.cli.context import get_service


@click.group(epilog="Example:\n\n  rekall db copy --to postgresql://rekall@db.internal/rekall")
def db() -> None:
    """Move a base between the SQLite file and a PostgreSQL server."""


@db.command(
    "copy",
    epilog="""\b
Examples:
  rekall db copy --to postgresql://rekall:PASSWORD@db.internal/rekall
  rekall db copy --from postgresql://rekall@db.internal/rekall --to team-copy.db
""",
)
@click.option("--to", "target", metavar="URL|FILE", help="Where to copy to.")
@click.option(
    "--from",
    "source",
    metavar="URL|FILE",
    help="Where to copy from (default: this base); without --to, into this machine's file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def db_copy(target: str | None, source: str | None, as_json: bool) -> None:
    """Copy entries, tags, links, contexts, review state and vectors; verified, all or nothing.

    Entries are matched by id, so running it again changes nothing. Vectors and the body-piece
    vectors of long entries are copied, not re-embedded. Entries already in the target and not
    in the source are left as they are. Tokens are not copied: create them on the target.
    """
    from rekall import paths
    from rekall.service.copying import copy_base, copy_notices, open_location

    if target is None and source is None:
        raise click.UsageError("give --to URL|FILE, --from URL|FILE, or both")
    ctx = click.get_current_context()
    if source is None:
        source_base = get_service(ctx)
    else:
        source_base = open_location(source)
        ctx.call_on_close(source_base.close)
    target_base = open_location(target or str(paths.db_path()))
    ctx.call_on_close(target_base.close)
    with progress_bar("Embedding") as advance:
        report = copy_base(source_base, target_base, advance)
    if as_json:
        render.print_json({**report.to_dict(), "notices": copy_notices(report)})
        return
    click.echo(
        f"Copied {report.entries} entries from {report.source} to {report.target} in "
        f"{report.seconds:.1f} s: {report.added} added, {report.replaced} replaced, "
        f"{report.unchanged} unchanged; links +{report.links_added}/-{report.links_removed} "
        f"of {report.links}; {report.vectors_copied} vectors copied, {report.vectors_replaced} "
        f"made equal to the source's on unchanged entries, {report.embedded} embedded; "
        f"{report.piece_vectors_copied} body-piece vectors copied; "
        f"verified {', '.join(report.verified)}."
    )
    for notice in copy_notices(report):
        click.echo(notice, err=True)


COMMANDS = [db]
