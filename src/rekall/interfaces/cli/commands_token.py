"""`rekall token`: bearer tokens for `rekall mcp --http` (created, listed, revoked, purged)."""

from __future__ import annotations

import click

from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import get_service

EPILOG = """\b
Examples:
  rekall token create alice
  rekall token revoke alice
  rekall token create alice     # a new token for alice; the revoked one stays refused
Once the base has had a token, even a revoked one, `rekall mcp --http` requires one on
every request, on 127.0.0.1 too; `rekall token purge` removes revoked tokens so that, with
none active, a loopback server started afterwards runs open.
"""


@click.group(epilog=EPILOG)
def token() -> None:
    """Tokens that MCP clients send to `rekall mcp --http` (Authorization: Bearer TOKEN)."""


@token.command("create", epilog="Example:\n\n  rekall token create ci-bot --read-only")
@click.argument("name")
@click.option("--read-only", is_flag=True, help="Allow only the read tools (search, get, …).")
def token_create(name: str, read_only: bool) -> None:
    """Create a token named NAME and print it: it is shown only this once.

    NAME is recorded as the author of every entry written with the token. A revoked
    token's name may be reused (the revoked token stays refused); an active one's may not.
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
    tokens = get_service().tokens
    tokens.revoke(name)
    click.echo(f"Token '{name}' revoked.", err=True)
    if not tokens.any_active():
        click.echo(
            "No active token is left; `rekall mcp --http` still requires one on every request. "
            "Create one, or run 'rekall token purge' to serve 127.0.0.1 without tokens again.",
            err=True,
        )


@token.command("purge", epilog="Example:\n\n  rekall token purge")
def token_purge() -> None:
    """Forget revoked tokens. With no active token left, `rekall mcp --http` on 127.0.0.1
    then runs without tokens from its next start (a running server keeps requiring them).
    """
    tokens = get_service().tokens
    purged = tokens.purge()
    click.echo(f"{purged} revoked token(s) forgotten.", err=True)
    if tokens.any_active():
        click.echo("Active tokens remain: the HTTP server still requires one.", err=True)
    else:
        click.echo(
            "No token is left: a loopback HTTP server started from now on is open to every "
            "program on this machine (and to anyone a reverse proxy forwards).",
            err=True,
        )


COMMANDS = [token]
