"""Opening the terminal UI (`rekall` alone, or `rekall tui`)."""

from __future__ import annotations

import click


def open_tui(ctx: click.Context) -> None:
    """Open the terminal UI; until it exists, show the help."""
    click.echo(ctx.get_help())


COMMANDS: list[click.Command] = []
