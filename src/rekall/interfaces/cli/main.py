"""The `rekall` command group: global options, error translation, and command registration."""

from __future__ import annotations

import importlib
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


# Where each command lives. `rekall search` imports its own module only, not all fourteen
# (a quarter of a cold search's own CPU time); tests/interfaces/test_cli.py checks this map.
COMMAND_MODULES = {
    **dict.fromkeys(["add", "show", "edit", "delete", "list", "deprecate"], "commands_entries"),
    **dict.fromkeys(["link", "unlink", "related"], "commands_links"),
    "graph": "commands_graph",
    **dict.fromkeys(["consolidate", "merge"], "commands_merge"),
    **dict.fromkeys(["search", "similar"], "commands_search"),
    **dict.fromkeys(["review", "stale"], "commands_review"),
    "config": "commands_config",
    **dict.fromkeys(["stats", "index", "test", "model"], "commands_index"),
    **dict.fromkeys(["export", "import", "backup", "restore", "check"], "commands_data"),
    "db": "commands_db",
    "mcp": "commands_mcp",
    **dict.fromkeys(["install", "uninstall"], "commands_install"),
    "token": "commands_token",
    "tui": "commands_tui",
}


class RekallGroup(click.Group):
    """A click group that turns Rekall errors into 'Error: …' and the right exit code, and
    imports a command's module only when that command is asked for."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            load_commands(COMMAND_MODULES[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(str(exc), ctx=None) from exc
        except RekallError as exc:
            raise click.ClickException(_refusal(exc, ctx) or str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:
            refused = _refusal(exc, ctx)
            if refused is None:
                raise
            raise click.ClickException(refused) from exc


def _refusal(exc: Exception, ctx: click.Context) -> str | None:
    """What to say when a write was refused by the base and no command named it (a constraint
    or trigger added to the base refusing an add, an edit or a link); None for any other
    error."""
    from rekall.service.refusal_messages import unnamed_refusal

    service = ctx.find_root().meta.get("rekall.service")
    return unnamed_refusal(exc, service.db.location if service is not None else "the base")


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


def load_commands(module_name: str) -> None:
    """Attach the commands of one command module to the group."""
    module = importlib.import_module(f"rekall.interfaces.cli.{module_name}")
    for command in module.COMMANDS:
        if command.name not in cli.commands:
            harden(command)
            cli.add_command(command)


def register_commands() -> None:
    """Attach every command module's commands to the group (for tests and tools that read
    `cli.commands`; `rekall` itself loads them as they are asked for)."""
    for module_name in dict.fromkeys(COMMAND_MODULES.values()):
        load_commands(module_name)


def main() -> None:
    """Console-script entry point."""
    # Rekall never asks BLAS for more than one thread (a batch runs one worker thread per
    # core instead), and OpenBLAS starting its own thread pool doubles numpy's import time.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cli(prog_name="rekall")
