"""Opening the terminal UI (`rekall` alone, or `rekall tui`)."""

from __future__ import annotations

import sys

import click

from rekall.config import SEARCH_MODES
from rekall.core.errors import UsageError


def interactive() -> bool:
    """True when both stdin and stdout are a terminal a full-screen app can use."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def open_tui(ctx: click.Context, mode: str | None = None) -> None:
    """Run the terminal UI until the user quits; without a terminal, show the help instead.

    textual is imported only here, so `rekall --help` and the other commands never load it.
    """
    if not interactive():
        click.echo(ctx.get_help())
        return
    from rekall.interfaces.tui.app import run_tui

    run_tui(mode)


@click.command(
    epilog="""\b
Examples:
  rekall tui
  rekall tui --mode keyword
  rekall                    # the same, without a command
Press ? in the app for every key; ctrl+q quits.
"""
)
@click.option(
    "--mode",
    type=click.Choice(SEARCH_MODES),
    default=None,
    help="Search mode to start in (default: the configured default_mode, usually hybrid).",
)
def tui(mode: str | None) -> None:
    """Browse, search and edit entries in a terminal UI."""
    if not interactive():
        raise UsageError("the terminal UI needs an interactive terminal (stdin and stdout)")
    from rekall.interfaces.tui.app import run_tui

    run_tui(mode)


COMMANDS: list[click.Command] = [tui]
