"""Commands about the base itself: stats, index rebuild, test generate, model status."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import get_service


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback (done, total) drawing a bar on stderr."""
    state: dict[str, Any] = {}

    def advance(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(
                length=total, label=label, file=sys.stderr, show_pos=True, show_eta=True
            ).__enter__()
            state["done"] = 0
        state["bar"].update(done - state["done"])
        state["done"] = done

    try:
        yield advance
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


@click.command(epilog="Example:\n\n  rekall stats --memory --json")
@click.option("--memory", is_flag=True, help="Include current and peak RSS of this process.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(memory: bool, as_json: bool) -> None:
    """Counts, database size, model, vector backend, cache and memory."""
    service = get_service()
    figures = service.stats(memory=memory)
    if as_json:
        render.print_json(figures)
        return
    for key, value in figures.items():
        if value is not None and value != {}:
            click.echo(f"{key:<28} {value}")


@click.group(epilog="Example:\n\n  rekall index rebuild --backend sqlite-vec")
def index() -> None:
    """Maintain the vector index."""


@index.command("rebuild", epilog="Example:\n\n  rekall index rebuild")
@click.option(
    "--backend",
    type=click.Choice(["auto", "numpy", "sqlite-vec"]),
    default=None,
    help="Vector backend to build (default: the configured one).",
)
def index_rebuild(backend: str | None) -> None:
    """Embed entries whose vector is missing or stale, then rebuild the index."""
    service = get_service()
    started = time.perf_counter()
    with progress_bar("Embedding") as advance:
        report = service.rebuild_index(advance, backend=backend)
    seconds = time.perf_counter() - started
    click.echo(
        f"Embedded {report.embedded} entries; {report.up_to_date} were up to date; "
        f"backend {service.semantic.backend.name if service.semantic.backend else '-'}; "
        f"{seconds:.1f} s{rate(report.embedded, seconds)}.",
        err=True,
    )


def rate(embedded: int, seconds: float) -> str:
    """ ", N entries/s" when anything was embedded: the figure bulk embedding is judged by."""
    return f", {embedded / seconds:.1f} entries/s" if embedded and seconds > 0 else ""


@click.group("test", epilog="Example:\n\n  rekall test generate --count 1000 --seed 7")
def test_group() -> None:
    """Tools for trying Rekall out on a realistic synthetic base."""


@test_group.command("generate", epilog="Example:\n\n  rekall test generate --count 10000")
@click.option(
    "--count",
    type=click.IntRange(1, 1_000_000),
    default=1000,
    show_default=True,
    help="How many entries to add.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same entries.")
def test_generate(count: int, seed: int) -> None:
    """Add COUNT realistic developer entries (embedded, with links) to the base."""
    service = get_service()
    with progress_bar("Generating") as advance:
        report = service.generate_test_data(count, seed, advance)
    click.echo(
        f"Added {report.entries} entries and {report.links} links "
        f"({report.embedded} embedded) in {report.seconds:.1f} s"
        f"{rate(report.embedded, report.seconds)}.",
        err=True,
    )


@click.group(epilog="Example:\n\n  rekall model status")
def model() -> None:
    """The embedding model: where it is and whether it is usable."""


@model.command("status", epilog="Example:\n\n  rekall model status --json")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def model_status(as_json: bool) -> None:
    """Where the model was found (or how to get it), and whether it loads."""
    service = get_service()
    status = service.model_status()
    if as_json:
        render.print_json(status)
    else:
        for key, value in status.items():
            click.echo(f"{key:<14} {value}")
    if not status["available"]:
        sys.exit(1)


COMMANDS = [stats, index, test_group, model]
