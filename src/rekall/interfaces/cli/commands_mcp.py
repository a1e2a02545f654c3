"""`rekall mcp`: serve the knowledge base to MCP clients over stdio or local HTTP."""

from __future__ import annotations

import click
from click.core import ParameterSource

# Kept in step with rekall.interfaces.mcp.http, which is not imported here: the mcp SDK
# loads only when the command runs, never for `rekall --help`.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 8765

EPILOG = """\b
Examples:
  rekall mcp                       # stdio: what MCP clients start
  rekall mcp --check               # start the server here, list tools, run a search
  rekall mcp --http --port 8765    # streamable HTTP on http://127.0.0.1:8765/mcp
  rekall mcp --http --host 0.0.0.0 # a team server: every request needs a token
On stdio, stdout carries protocol messages only; notices and logs go to stderr.
The embedding model loads on the first search by meaning and unloads after
model_idle_timeout_minutes without use.
"""


@click.command(epilog=EPILOG)
@click.option("--http", "use_http", is_flag=True, help="Serve streamable HTTP instead of stdio.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port for --http.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address for --http; any but loopback (e.g. 0.0.0.0) needs tokens (rekall token).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Start the server in this process, list its tools, run a search, print OK.",
)
@click.pass_context
def mcp(ctx: click.Context, use_http: bool, port: int, host: str, check: bool) -> None:
    """Serve Rekall to MCP clients (editors, coding agents) over stdio.

    Tools: search, read, add, update, deprecate, delete, link and unlink entries,
    similar, related and duplicate entries, merging, recent entries, stats.
    'rekall install CLIENT' adds this server to an MCP client's config.
    """
    explicit = {
        name
        for name in ("port", "host")
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
    }
    if explicit and not use_http:
        options = " and ".join(f"--{name}" for name in sorted(explicit))
        verb = "apply" if len(explicit) > 1 else "applies"
        raise click.UsageError(f"{options} {verb} only with --http")
    if check and use_http:
        raise click.UsageError("--check runs on its own; leave out --http")
    if check:
        from rekall.interfaces.mcp.check import run_check

        for line in run_check():
            click.echo(line)
        click.echo("OK")
    elif use_http:
        from rekall.interfaces.mcp.http import serve_http

        serve_http(host, port)
    else:
        from rekall.interfaces.mcp.stdio import serve_stdio

        serve_stdio()


COMMANDS = [mcp]
