"""`rekall token`: bearer tokens for `rekall mcp --http` (created, listed, revoked)."""

from __future__ import annotations

import click

from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import get_service


@click.group(epilog="Example:\n\n  rekall token create alice\n  rekall token revoke alice")
def token() -> None:
    """Tokens that MCP clients send to `rekall mcp --http` (Authorization: Bearer TOKEN)."""


@token.command("create", epilog="Example:\n\n  rekall token create ci-bot --read-only")
@click.argument("name")
@click.option("--read-only", is_flag=True, help="Allow only the read tools (search, get, …).")
def token_create(name: str, read_only: bool) -> None:
    """Create a token named NAME and print it: it is shown only this once.

    NAME is recorded as the author of every entry written with the token.
    """
    record, secret = get_service().tokens.create(name, read_only)
    click.echo(secret)
    rights = "read-only" if record.read_only else "read-write"
    click.echo(
        f"Token '{record.name}' ({rights}) created; it is shown only now, so store it in the "
        "client's config. Only its hash is kept.",
        err=True,
    )


@token.command("list", epilog="Example:\n\n  rekall token list --json")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def token_list(as_json: bool) -> None:
    """Every token: name, rights, when created, whether revoked (never the token itself)."""
    records = get_service().tokens.list()
    if as_json:
        render.print_json(
            [
                {
                    "name": r.name,
                    "read_only": r.read_only,
                    "created_at": r.created_at,
                    "revoked_at": r.revoked_at,
                }
                for r in records
            ]
        )
        return
    if not records:
        click.echo("No tokens; create one with: rekall token create NAME", err=True)
    for r in records:
        state = f"revoked {r.revoked_at[:10]}" if r.revoked_at else "active"
        rights = "read-only" if r.read_only else "read-write"
        click.echo(f"{r.name:<24} {rights:<10} created {r.created_at[:10]}  {state}")


@token.command("revoke", epilog="Example:\n\n  rekall token revoke alice")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke the token named NAME: requests carrying it get 401 from now on."""
    get_service().tokens.revoke(name)
    click.echo(f"Token '{name}' revoked.", err=True)


COMMANDS = [token]
