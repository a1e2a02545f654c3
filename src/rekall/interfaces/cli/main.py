"""The `rekall` command group: global options, error translation, and command registration."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from rekall import __version__
from rekall.core.errors import RekallError, UsageError
from rekall.interfaces.cli.params import harden

EPILOG = """\b
Examples:
  rekall add bug "CORS fails on Safari" -t cors,safari -p webapp -c "Add credentials"
  rekall search "browser blocks cross-origin request"
  rekall search timeout --type bug --mode keyword --json
  rekall show 01JD3K
Data goes to stdout, messages to stderr. NO_COLOR disables colour.
"""


class RekallGroup(click.Group):
    """A click group that turns Rekall errors into 'Error: …' and the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(str(exc), ctx=None) from exc
        except RekallError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


@click.group(
    cls=RekallGroup,
    invoke_without_command=True,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="rekall")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Rekall: your developer knowledge base, found again by keywords and by meaning.

    Run without a command to open the terminal UI.
    """
    if ctx.invoked_subcommand is None:
        from rekall.interfaces.cli.commands_tui import open_tui

        open_tui(ctx)


def register_commands() -> None:
    """Attach every command module's commands to the group."""
    from rekall.interfaces.cli import (
        commands_config,
        commands_data,
        commands_db,
        commands_entries,
        commands_graph,
        commands_index,
        commands_install,
        commands_links,
        commands_mcp,
        commands_merge,
        commands_review,
        commands_search,
        commands_token,
        commands_tui,
    )

    for module in (
        commands_entries,
        commands_links,
        commands_graph,
        commands_merge,
        commands_search,
        commands_review,
        commands_config,
        commands_index,
        commands_data,
        commands_db,
        commands_mcp,
        commands_install,
        commands_token,
        commands_tui,
    ):
        for command in module.COMMANDS:
            harden(command)
            cli.add_command(command)


register_commands()


def main() -> None:
    """Console-script entry point."""
    # Rekall never asks BLAS for more than one thread (a batch runs one worker thread per
    # core instead), and OpenBLAS starting its own thread pool doubles numpy's import time.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cli(prog_name="rekall")
