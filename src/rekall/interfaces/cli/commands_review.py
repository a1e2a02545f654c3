"""Review commands: a spaced-repetition session over due entries, and entries left idle."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from rekall.core.errors import UsageError
from rekall.core.review import DEFAULT_STALE_DAYS, GRADE_MEANINGS, MAX_STALE_DAYS
from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import get_service

if TYPE_CHECKING:
    from rekall.service import Rekall
    from rekall.service.review import ReviewItem, StaleItem

GRADE_HELP = "; ".join(f"{grade} {meaning}" for grade, meaning in GRADE_MEANINGS.items())
PROMPT = "Grade 0-5 (s skip, q quit)"


def stdin_is_terminal() -> bool:
    """Whether someone can answer prompts (a session without one would wait forever)."""
    return sys.stdin.isatty()


def review_to_dict(item: ReviewItem) -> dict[str, Any]:
    """The JSON shape of a due entry and its schedule."""
    data = render.entry_to_dict(item.entry)
    data.pop("content")
    data.update(
        {
            "due_at": item.due_at,
            "review_repetitions": item.state.repetitions,
            "review_interval": item.state.interval,
            "ease_factor": item.state.ease_factor,
        }
    )
    return data


@click.command(
    epilog="""\b
Examples:
  rekall review                      # grade each due entry 0-5 in the terminal
  rekall review --project webapp --limit 10
  rekall review --list --json        # what is due, without a session
  rekall review --grade 01JD3K 4     # record one grade from a script
"""
)
@click.option("-p", "--project", default=None, help="Only entries of this project.")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="At most this many entries.",
)
@click.option("--list", "list_only", is_flag=True, help="Print the due entries; do not ask.")
@click.option(
    "--grade",
    "graded",
    nargs=2,
    type=(str, click.IntRange(0, 5)),
    default=None,
    metavar="ID GRADE",
    help="Grade one entry 0-5 without a session.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (with --list or --grade).")
def review(
    project: str | None,
    limit: int,
    list_only: bool,
    graded: tuple[str, int] | None,
    as_json: bool,
) -> None:
    """Review due entries with spaced repetition (SM-2).

    Each entry is shown; grade how well you remembered it, from 0 (forgot) to 5 (perfect).
    Good grades push the next review further out, poor ones bring it back tomorrow. New
    entries are first due a day after they were written.
    """
    service = get_service()
    if graded is not None:
        item = service.grade_review(graded[0], graded[1])
        print_item(item, as_json)
        return
    if list_only:
        print_queue(service.review_queue(project, limit), as_json)
        return
    if not stdin_is_terminal():
        raise UsageError(
            "a review session needs a terminal to answer in; use 'rekall review --list' to "
            "see what is due, or 'rekall review --grade ID GRADE' from a script"
        )
    run_session(service, service.review_queue(project, limit))


def print_item(item: ReviewItem, as_json: bool) -> None:
    """The schedule after a grade: data on stdout."""
    if as_json:
        render.print_json(review_to_dict(item))
        return
    click.echo(
        f"{item.entry.id}  next review {item.due_at[:10]} (in {item.state.interval} "
        f"day{'s' if item.state.interval != 1 else ''}, ease {item.state.ease_factor:.2f})"
    )


def print_queue(items: list[ReviewItem], as_json: bool) -> None:
    """Due entries, one line each (or JSON)."""
    if as_json:
        render.print_json([review_to_dict(item) for item in items])
        return
    for item in items:
        click.echo(f"{render.entry_line(item.entry)}  due {item.due_at[:10]}")
    if not items:
        click.echo("Nothing is due for review.", err=True)


def ask_grade() -> int | None:
    """A grade 0-5, or None to skip. Raises click.Abort to quit."""
    while True:
        answer = click.prompt(PROMPT, err=True, default="", show_default=False).strip().lower()
        if answer in ("q", "quit"):
            raise click.Abort
        if answer in ("s", "skip"):
            return None
        if answer.isdigit() and 0 <= int(answer) <= 5:
            return int(answer)
        click.echo(f"Type a digit 0-5, s or q. {GRADE_HELP}.", err=True)


def run_session(service: Rekall, items: list[ReviewItem]) -> None:
    """Show each due entry, ask for a grade, and schedule it; q or end of input stops."""
    if not items:
        click.echo("Nothing is due for review. Come back tomorrow.", err=True)
        return
    click.echo(f"{len(items)} due. {GRADE_HELP}.", err=True)
    reviewed = skipped = 0
    for number, item in enumerate(items, start=1):
        click.echo(render.style(f"\n[{number}/{len(items)}]", dim=True))
        render.print_entry(item.entry, service.links(item.entry.id))
        try:
            grade = ask_grade()
        except click.Abort:
            break
        if grade is None:
            skipped += 1
            continue
        done = service.grade_review(item.entry.id, grade)
        reviewed += 1
        click.echo(
            f"Next review in {done.state.interval} day{'s' if done.state.interval != 1 else ''}.",
            err=True,
        )
    left = service.count_due()
    click.echo(f"Reviewed {reviewed}, skipped {skipped}; {left} still due.", err=True)


def stale_to_dict(item: StaleItem) -> dict[str, Any]:
    """The JSON shape of an idle entry and its suggestion."""
    data = render.entry_to_dict(item.entry)
    data.pop("content")
    data.update(
        {
            "idle_days": item.idle_days,
            "links": item.links,
            "suggestion": item.action,
            "reason": item.reason,
        }
    )
    return data


@click.command(
    epilog="""\b
Examples:
  rekall stale                       # entries not opened for 90 days
  rekall stale --days 30 --project webapp --json
"""
)
@click.option(
    "--days",
    type=click.IntRange(1, MAX_STALE_DAYS),
    default=DEFAULT_STALE_DAYS,
    show_default=True,
    help="Idle for at least this many days.",
)
@click.option("-p", "--project", default=None, help="Only entries of this project.")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1, 100_000),
    default=100,
    show_default=True,
    help="At most this many entries.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stale(days: int, project: str | None, limit: int, as_json: bool) -> None:
    """List entries nobody opened for a while, each with a suggestion.

    An entry counts as opened when shown (rekall show, the terminal UI, an assistant's
    get_entry) or reviewed; never-opened entries count from when they were written. The
    suggestion is review, deprecate or link.
    """
    items = get_service().stale_entries(days, project, limit)
    if as_json:
        render.print_json([stale_to_dict(item) for item in items])
        return
    for item in items:
        click.echo(
            f"{render.entry_line(item.entry)}  idle {item.idle_days}d  "
            f"{render.style(item.action, bold=True)}: {item.reason}"
        )
    if not items:
        click.echo(f"No active entry has been idle for {days} days.", err=True)


COMMANDS = [review, stale]
