"""Data commands: export, import, backup, restore and check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rekall.interfaces.cli import render
from rekall.interfaces.cli.commands_index import progress_bar
from rekall.interfaces.cli.context import confirm_or_refuse, get_service

if TYPE_CHECKING:
    from rekall.service.maintenance import Finding
    from rekall.service.transfer import ImportReport

PATH = click.Path(path_type=Path)
# The service checks the strategy too; spelled out here so --help imports nothing more.
STRATEGIES = ("skip", "replace", "merge")


@click.command(
    "export",
    epilog="""\b
Examples:
  rekall export > rekall-export.json
  rekall export --output rekall-export.json
  rekall export --format markdown --output notes/
""",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown"]),
    default="json",
    show_default=True,
    help="json: one lossless, versioned file; markdown: one file per entry.",
)
@click.option(
    "-o", "--output", type=PATH, default=None, help="File (json) or new directory (markdown)."
)
@click.option(
    "--no-vectors",
    is_flag=True,
    help="Leave the vectors out of the JSON (a smaller file; the import embeds again).",
)
def export(fmt: str, output: Path | None, no_vectors: bool) -> None:
    """Write every entry with its tags, links, context and timestamps.

    JSON also carries each entry's vector with its model's fingerprint and its text's hash,
    so an import under the same model reuses it instead of embedding again.
    """
    service = get_service()
    if fmt == "markdown":
        if output is None:
            raise click.UsageError("--format markdown needs --output DIR (a new directory)")
        count = service.export_markdown(output)
        click.echo(f"Exported {count} entries to {output}.", err=True)
        return
    text = service.export_json(output, vectors=not no_vectors)
    if output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"Exported to {output}.", err=True)


@click.command(
    "import",
    epilog="""\b
Examples:
  rekall import rekall-export.json
  rekall import notes/ --strategy merge --dry-run
  rekall import --from-db ~/.rekall/knowledge.db
Entries are matched by id. skip keeps existing entries; replace overwrites them;
merge unites tags and links and keeps the fields updated last.
""",
)
@click.argument("source", metavar="FILE|DIR", type=PATH, required=False)
@click.option(
    "--from-db",
    type=PATH,
    default=None,
    help="Import a knowledge.db of the earlier Rekall 0.3 (opened read-only, never changed).",
)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    default="skip",
    show_default=True,
    help="What to do with entries whose id already exists.",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_(
    source: Path | None, from_db: Path | None, strategy: str, dry_run: bool, as_json: bool
) -> None:
    """Import an export file, a folder of exported Markdown, or an earlier Rekall database."""
    path = source if from_db is None else from_db
    if path is None or (source is not None and from_db is not None):
        raise click.UsageError("give either FILE|DIR or --from-db PATH")
    service = get_service()
    with progress_bar("Embedding") as advance:
        report = service.import_data(path, strategy, dry_run, advance, legacy=from_db is not None)
    for notice in report.notices:
        click.echo(notice, err=True)
    if as_json:
        render.print_json(report.to_dict())
    click.echo(import_summary(report), err=True)


def import_summary(report: ImportReport) -> str:
    """One line saying what an import did (or would do)."""
    head = "Dry run, nothing written; would" if report.dry_run else f"Imported {report.source}:"
    vectors = (
        f"{report.embedded} to embed, {report.vectors_reused} vectors to reuse"
        if report.dry_run
        else f"{report.vectors_reused} vectors reused, {report.embedded} embedded"
    )
    missing = f", {report.without_vector} without a vector" if report.without_vector else ""
    return (
        f"{head} add {report.added}, replace {report.replaced}, merge {report.merged}, "
        f"skip {report.skipped}, leave {report.unchanged} unchanged; links "
        f"+{report.links_added}/-{report.links_removed}; {vectors}{missing}."
    )


@click.command(
    epilog="""\b
Examples:
  rekall backup
  rekall backup ~/backups/rekall-2025-01-31.db
"""
)
@click.argument("path", type=PATH, required=False)
def backup(path: Path | None) -> None:
    """Copy the database safely, even while other Rekall processes write; print its path.

    Without PATH the copy goes beside the database, named with the time. PATH may be a
    new file or an existing directory.
    """
    target = get_service().backup(path)
    click.echo(str(target))


@click.command(epilog="Example:\n\n  rekall restore ~/backups/rekall-2025-01-31.db --yes")
@click.argument("path", type=PATH)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace the database with a backup, after checking the backup is sound.

    The database being replaced is kept beside it; a file that is not a sound Rekall
    database is refused and nothing changes. This also works when the current database
    is corrupt and cannot be opened.
    """
    from rekall import paths
    from rekall.core.errors import UnusableDatabaseError

    if not yes:
        confirm_or_refuse(
            f"Replace the database {paths.db_path()} with {path}? (it is kept beside it)",
            f"refusing to replace the database with {path} without confirmation",
        )
    try:
        report = get_service().restore(path)
    except UnusableDatabaseError as exc:
        from rekall.service.restore import restore_over_unusable

        click.echo(f"{str(exc).split(';')[0]}; moving it aside unchanged.", err=True)
        report = restore_over_unusable(paths.db_path(), path)
    click.echo(
        f"Restored {report.entries} entries from {report.restored_from}. The database it "
        f"replaced is kept at {report.kept_copy}.",
        err=True,
    )


@click.command(
    epilog="""\b
Examples:
  rekall check
  rekall check --repair
On the SQLite file: integrity, keyword index, vectors, links, superseded_by, body pieces.
On PostgreSQL: server, pgvector, indexes, vectors, links, superseded_by, body pieces;
--repair there drops the invalid copies a stopped REINDEX or CREATE INDEX
CONCURRENTLY left, rebuilds an unusable index (REINDEX INDEX CONCURRENTLY:
searches go on; each waits for transactions in progress), then re-embeds missing
and stale vectors and adds body pieces, as rekall index rebuild does.
Exit status 0 when healthy, 1 when problems remain.
"""
)
@click.option(
    "--repair", is_flag=True, help="Rebuild derived data (indexes, vectors); never entries."
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check(repair: bool, as_json: bool) -> None:
    """Check the base: its indexes, vectors, links and superseded_by (see below)."""
    service = get_service()
    with progress_bar("Re-embedding") as advance:
        report = service.check(repair, advance)
    for done in report.repairs:
        # A repair that failed is said as such, never introduced as repaired.
        said = "not repaired" if report.not_done(done) else "repaired"
        click.echo(f"{said}: {done}", err=True)
    if as_json:
        data: dict[str, Any] = {
            "healthy": report.healthy,
            "findings": [vars(finding) for finding in report.findings],
            "repairs": report.repairs,
            # The repairs above that failed, for scripts: each says why it was not done.
            "not_repaired": [done for done in report.repairs if report.not_done(done)],
        }
        render.print_json(data)
    else:
        # As wide as the longest name: PostgreSQL's index names run past the usual 14.
        width = max([14, *(len(finding.name) for finding in report.findings)])
        for finding in report.findings:
            click.echo(f"{_mark(finding)} {finding.name:<{width}} {finding.detail}")
    if not report.healthy:
        sys.exit(1)


def _mark(finding: Finding) -> str:
    """ok, to do (passed, with something to run) or PROBLEM, eight columns wide."""
    if not finding.ok:
        return render.style("PROBLEM ", fg="red", bold=True)
    if finding.todo:
        return render.style("to do   ", fg="yellow")
    return "ok".ljust(8)


COMMANDS = [export, import_, backup, restore, check]
