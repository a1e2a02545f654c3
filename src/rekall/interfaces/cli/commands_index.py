"""Commands about the base itself: stats, index rebuild, test generate, model status."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import get_service

if TYPE_CHECKING:
    from rekall.service import Rekall
    from rekall.service.generation import GenerationReport


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
    summary = report.summary()
    click.echo(
        f"{summary[:1].upper()}{summary[1:]}; {report.up_to_date} were up to date; "
        f"backend {service.semantic.backend.name if service.semantic.backend else '-'}; "
        f"{seconds:.1f} s{rate(report.embedded, seconds)}.",
        err=True,
    )


@index.command(
    "settings",
    epilog="Examples:\n\n  rekall index settings\n\n"
    "  rekall index settings --m 24 --ef-construction 200 --ef-search 300",
)
@click.option("--m", type=int, default=None, help="Links per node of the HNSW graph (2-100).")
@click.option(
    "--ef-construction", type=int, default=None, help="Candidates while building (4-1000)."
)
@click.option("--ef-search", type=int, default=None, help="Candidates while searching (100-1000).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def index_settings(
    m: int | None, ef_construction: int | None, ef_search: int | None, as_json: bool
) -> None:
    """Show or change a PostgreSQL base's HNSW settings, for every client of the base.

    --m and --ef-construction build both HNSW indexes again beside the old ones (searches go
    on; writes wait until the build is done). --ef-search becomes the database's own
    setting: connections opened from then on use it (restart a long-running rekall mcp or
    TUI to apply it at once; pooled connections are renewed within the hour anyway).
    """
    started: list[float] = []

    def announce() -> None:
        started.append(time.perf_counter())
        click.echo("Building the HNSW indexes again; writes wait until it is done...", err=True)

    settings = get_service().index_settings(m, ef_construction, ef_search, announce)
    if started:
        click.echo(f"Built in {time.perf_counter() - started[0]:.1f} s.", err=True)
    elif m is not None or ef_construction is not None:
        click.echo("The HNSW indexes already have these settings; nothing built.", err=True)
    if as_json:
        render.print_json(settings)
    else:
        print_index_settings(settings)


# Where a session's ef_search came from (PostgreSQL's pg_settings.source), said plainly.
EF_SEARCH_ORIGINS = {
    "rekall": "Rekall's default",
    "database": "set for this database",
    "user": "set for this role",
    "database user": "set for this role in this database",
    "client": "set by the connection's options",
    "configuration file": "set in the server's configuration",
    "command line": "set on the server's command line",
}
HNSW_INDEXES = ("embeddings_hnsw", "embedding_pieces_hnsw")


def print_index_settings(settings: dict[str, Any]) -> None:
    """The settings as `rekall index settings` shows them, one per line."""
    click.echo(f"{'base':<24} PostgreSQL at {settings['location']}")
    for name in HNSW_INDEXES:
        options = settings["indexes"].get(name)
        shown = (
            "missing; --m or --ef-construction builds it"
            if options is None
            else (f"m {options['m']}, ef_construction {options['ef_construction']}")
        )
        click.echo(f"{name:<24} {shown}")
    source = settings["ef_search_source"]
    origin = EF_SEARCH_ORIGINS.get(source, f"set by {source}")
    if settings["ef_search_configured"] != settings["ef_search"] and source != "rekall":
        origin += f" to {settings['ef_search_configured']}, raised to the floor"
    click.echo(f"{'ef_search':<24} {settings['ef_search']} ({origin})")


DEMO_FOLDER = "demo"


def rate(embedded: int, seconds: float) -> str:
    """ ", N entries/s" when anything was embedded: the figure bulk embedding is judged by."""
    return f", {embedded / seconds:.1f} entries/s" if embedded and seconds > 0 else ""


@click.group("test", epilog="Example:\n\n  rekall test generate --count 1000 --seed 7")
def test_group() -> None:
    """Tools for trying Rekall out on a realistic synthetic base."""


@test_group.command(
    "generate",
    epilog="""\b
Examples:
  rekall test generate --count 10000             # into the demo base; yours is untouched
  REKALL_HOME="$(rekall test generate --print-home)" rekall search "docker layer cache"
  rekall test generate --count 500 --into-current   # into the base REKALL_HOME points to
""",
)
@click.option(
    "--count",
    type=click.IntRange(1, 1_000_000),
    default=1000,
    show_default=True,
    help="How many entries to add.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same entries.")
@click.option(
    "--into-current",
    is_flag=True,
    help="Add them to the current base instead of the separate demo base.",
)
@click.option("--print-home", is_flag=True, help="Print the demo base's folder and exit.")
def test_generate(count: int, seed: int, into_current: bool, print_home: bool) -> None:
    """Add COUNT realistic developer entries (embedded, with links) to a demo base.

    The demo base is a separate folder (the data folder's 'demo'), so synthetic entries
    never mix with yours; point REKALL_HOME at it to try searches, or pass --into-current.
    """
    from rekall import paths

    demo_home = paths.data_dir() / DEMO_FOLDER
    if print_home:
        click.echo(str(demo_home))
        return
    if into_current:
        report = _generate(get_service(), count, seed)
        where = "into the current base"
    else:
        from rekall.service import Rekall

        demo = Rekall(db_file=demo_home / paths.DB_FILENAME)
        try:
            report = _generate(demo, count, seed)
        finally:
            demo.close()
        where = f"into the demo base {demo_home} (your own base is untouched)"
    click.echo(
        f"Added {report.entries} entries and {report.links} links "
        f"({report.embedded} embedded) {where} in {report.seconds:.1f} s"
        f"{rate(report.embedded, report.seconds)}.",
        err=True,
    )
    if not into_current:
        click.echo(
            f'Try it: REKALL_HOME="{demo_home}" rekall search "docker layer cache"', err=True
        )


def _generate(service: Rekall, count: int, seed: int) -> GenerationReport:
    with progress_bar("Generating") as advance:
        return service.generate_test_data(count, seed, advance)


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
