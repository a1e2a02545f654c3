"""`rekall install` and `rekall uninstall`: Rekall's MCP server in an AI client's config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rekall.core.errors import RekallError
from rekall.interfaces.cli import render

if TYPE_CHECKING:
    from rekall.service.install import ClientState, ConfigChange

# The names of rekall.service.clients.CLIENTS (a test keeps them equal): importing the service
# here would load the whole facade for `rekall --help`.
CLIENT_NAMES = ("claude-code", "claude-desktop", "cursor", "windsurf", "vscode", "zed")
CLIENT_CHOICE = click.Choice(CLIENT_NAMES, case_sensitive=False)

INSTALL_EPILOG = """\b
Examples:
  rekall install --list                  # which clients are here, and Rekall's state in each
  rekall install claude-code             # ~/.claude.json (user scope)
  rekall install cursor --project        # .cursor/mcp.json in this folder
  rekall install zed --dry-run           # print the diff, write nothing
\b
The file is backed up beside itself (NAME.rekall-backup-DATE) before it is changed; other
servers, keys and comments are left exactly as they were. Running it again changes nothing.
"""


def _project(project: bool) -> Path | None:
    return Path.cwd() if project else None


# A dry run's summary must not read as done: "Installed Rekall…" becomes "would install Rekall…".
_WOULD = {"Installed": "would install", "Updated": "would update", "Removed": "would remove"}


def _conditional(summary: str) -> str:
    verb, _, rest = summary.partition(" ")
    return f"{_WOULD[verb]} {rest}" if verb in _WOULD else summary


def _report(change: ConfigChange, dry_run: bool) -> None:
    from rekall.service import install as installer

    if dry_run:
        click.echo(change.diff(), nl=False)
        click.echo(f"Dry run, nothing written: {_conditional(change.summary)}", err=True)
        return
    backup = installer.apply(change)
    click.echo(change.summary, err=True)
    if backup is not None:
        click.echo(f"Backup: {backup}", err=True)


@click.command(epilog=INSTALL_EPILOG)
@click.argument("client", type=CLIENT_CHOICE, required=False)
@click.option("--project", is_flag=True, help="The client's project file in this folder.")
@click.option("--dry-run", is_flag=True, help="Print the change as a diff; write nothing.")
@click.option("--list", "show_list", is_flag=True, help="Show every client and Rekall's state.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print as JSON.")
@click.option(
    "--command",
    "command_path",
    default=None,
    metavar="PATH",
    help="The rekall executable to register (default: the one running).",
)
def install(
    client: str | None,
    project: bool,
    dry_run: bool,
    show_list: bool,
    as_json: bool,
    command_path: str | None,
) -> None:
    """Add Rekall's MCP server to an AI client's config (claude-code, claude-desktop, cursor,
    windsurf, vscode, zed)."""
    if show_list:
        if client or project or dry_run:
            raise click.UsageError("--list runs on its own; leave out the client and options")
        _print_states(as_json, command_path)
        return
    if client is None:
        raise click.UsageError(f"name a client ({', '.join(CLIENT_NAMES)}) or use --list")
    if as_json:
        raise click.UsageError("--json applies only with --list")
    from rekall.service import install as installer

    command = installer.rekall_executable(command_path)
    _report(installer.plan_install(client.lower(), _project(project), command), dry_run)


@click.command(
    epilog="""\b
Examples:
  rekall uninstall claude-code
  rekall uninstall cursor --project --dry-run
"""
)
@click.argument("client", type=CLIENT_CHOICE)
@click.option("--project", is_flag=True, help="The client's project file in this folder.")
@click.option("--dry-run", is_flag=True, help="Print the change as a diff; write nothing.")
def uninstall(client: str, project: bool, dry_run: bool) -> None:
    """Remove Rekall's MCP server from an AI client's config (other servers stay)."""
    from rekall.service import install as installer

    _report(installer.plan_uninstall(client.lower(), _project(project)), dry_run)


def _print_states(as_json: bool, command_path: str | None) -> None:
    from rekall.service import install as installer

    try:
        command: str | None = installer.rekall_executable(command_path)
    except RekallError:
        command = None
    states = installer.client_states(Path.cwd(), command)
    if as_json:
        render.print_json([_state_dict(state) for state in states])
        return
    for state in states:
        found = "found" if state.found else "not found"
        click.echo(
            f"{state.client.name:<15}{state.scope:<9}{found:<11}{state.state:<27}{state.path}"
        )


def _state_dict(state: ClientState) -> dict[str, Any]:
    return {
        "client": state.client.name,
        "scope": state.scope,
        "found": state.found,
        "state": state.state,
        "path": str(state.path),
    }


COMMANDS = [install, uninstall]
