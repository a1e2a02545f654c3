"""`rekall consolidate` and `rekall merge`: find lookalike entries, and unite them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from rekall.core.results import SIMILAR_EXISTING_THRESHOLD
from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import TYPE_CHOICE, get_service

if TYPE_CHECKING:
    from rekall.service.duplicates import Cluster, DuplicateReport
    from rekall.service.merging import MergeReport

CONSOLIDATE_EPILOG = f"""\b
Examples:
  rekall consolidate
  rekall consolidate --project webapp --threshold 0.8 --json
\b
Entries at least --threshold similar in meaning (cosine; default {SIMILAR_EXISTING_THRESHOLD},
the same as the notice on add) are grouped around the one most like the others, listed
first: the suggested entry to keep. Each group ends with the merge command to unite it.
Only active entries with a stored vector are compared ('rekall index rebuild' adds missing ones).
"""


@click.command(epilog=CONSOLIDATE_EPILOG)
@click.option(
    "--threshold",
    type=click.FloatRange(0.5, 1.0),
    default=SIMILAR_EXISTING_THRESHOLD,
    show_default=True,
    help="Smallest cosine similarity to count as a lookalike.",
)
@click.option("--type", "types", type=TYPE_CHOICE, multiple=True, help="Only this type.")
@click.option("--project", "-p", default=None, help="Only this project.")
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="Most groups."
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def consolidate(
    threshold: float, types: tuple[str, ...], project: str | None, limit: int, as_json: bool
) -> None:
    """List groups of lookalike entries that could become one (see rekall merge)."""
    from rekall.core.entries import EntryFilter

    report = get_service().find_duplicates(threshold, EntryFilter(types, (), project), limit)
    if as_json:
        render.print_json([_cluster_dict(cluster) for cluster in report.clusters])
    else:
        _print_clusters(report)
    _summarise(report, threshold)


def _merge_command(ids: list[str]) -> str:
    return "rekall merge " + " ".join(ids)


def _cluster_dict(cluster: Cluster) -> dict[str, Any]:
    ids = [entry.id for entry in cluster.entries]
    return {
        "keep": ids[0],
        "entries": [
            {"id": e.id, "type": e.type, "title": e.title, "similarity": round(s, 4)}
            for e, s in zip(cluster.entries, cluster.similarities, strict=True)
        ],
        "merge_command": _merge_command(ids),
    }


def _print_clusters(report: DuplicateReport) -> None:
    for number, cluster in enumerate(report.clusters, start=1):
        ids = [entry.id for entry in cluster.entries]
        click.echo(render.style(f"{number}. {_merge_command(ids)}", bold=True))
        for entry, similarity in zip(cluster.entries, cluster.similarities, strict=True):
            mark = "keep" if entry.id == ids[0] else f"{similarity:.2f}"
            click.echo(f"   {mark:>4}  {render.entry_line(entry)}")


def _summarise(report: DuplicateReport, threshold: float) -> None:
    count = len(report.clusters)
    click.echo(
        f"{count} group{'s' if count != 1 else ''} of lookalikes (cosine >= {threshold:.2f}) "
        f"among {report.compared} active entries",
        err=True,
    )
    if report.without_vector:
        click.echo(
            f"{report.without_vector} active entries have no vector and were not compared; "
            "'rekall index rebuild' embeds them",
            err=True,
        )


MERGE_EPILOG = """\b
Examples:
  rekall merge 01M8 01M9 01MA --dry-run   # show the merged entry; change nothing
  rekall merge 01M8 01M9 01MA             # 01M9 and 01MA deprecated, superseded by 01M8
  rekall merge 01M8 01M9 --delete
\b
KEEP gets the others' content (appended under a separator naming each), their tags,
links (without duplicates or self-links), context, accesses, and the review schedule of
whichever was reviewed last; its text is re-embedded. All of it happens in one
transaction: an interrupted merge leaves nothing half-done.
"""


@click.command(epilog=MERGE_EPILOG)
@click.argument("keep")
@click.argument("others", nargs=-1, required=True)
@click.option("--delete", is_flag=True, help="Delete the others instead of deprecating them.")
@click.option("--dry-run", is_flag=True, help="Show the result; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def merge(keep: str, others: tuple[str, ...], delete: bool, dry_run: bool, as_json: bool) -> None:
    """Unite OTHERS into KEEP: one entry instead of several lookalikes."""
    report = get_service().merge(keep, others, delete, dry_run)
    if as_json:
        render.print_json(_report_dict(report))
    elif dry_run:
        render.print_entry(report.kept, [])
    else:
        click.echo(report.kept.id)
    _tell(report)


def _report_dict(report: MergeReport) -> dict[str, Any]:
    return {
        "kept": render.entry_to_dict(report.kept),
        "merged": [entry.id for entry in report.merged],
        "others": "deleted" if report.deleted else "deprecated",
        "links_moved": report.links_moved,
        "dry_run": report.dry_run,
    }


def _tell(report: MergeReport) -> None:
    count = len(report.merged)
    fate = "deleted" if report.deleted else f"deprecated, superseded by {report.kept.id}"
    verb = "Would merge" if report.dry_run else "Merged"
    subject = ("they" if count != 1 else "it") + (
        " would be" if report.dry_run else (" are" if count != 1 else " is")
    )
    click.echo(
        f"{verb} {count} entr{'ies' if count != 1 else 'y'} into {report.kept.id} "
        f"({report.links_moved} link{'s' if report.links_moved != 1 else ''} moved); "
        f"{subject} {fate}",
        err=True,
    )
    if report.dry_run:
        click.echo("Dry run: nothing was changed.", err=True)


COMMANDS = [consolidate, merge]
