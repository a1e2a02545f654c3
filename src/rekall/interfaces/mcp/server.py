"""Building the MCP server: every tool with its hints, Rekall errors turned into tool errors."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from rekall import __version__
from rekall.core.errors import NotFoundError, RekallError
from rekall.interfaces.mcp.tools_read import ReadTools
from rekall.interfaces.mcp.tools_write import WriteTools
from rekall.service import Rekall

INSTRUCTIONS = """\
Rekall is the user's local developer knowledge base: bugs and their fixes, patterns, \
decisions, pitfalls, configs, references, snippets and TILs, searchable by keywords and by \
meaning. Search it (search_entries) before solving a problem from scratch or when an error \
looks familiar; read a promising hit in full with get_entry. When a bug is solved or a \
decision is made, record it (add_entry) or improve the entry that already covers it \
(update_entry). Entries are found again by their title and words, so write titles the way \
someone would search for them."""


@dataclass(frozen=True)
class Hints:
    """What a client may assume about a tool (MCP tool annotations)."""

    title: str
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False

    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            title=self.title,
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=False,
        )


READ = {
    "search_entries": Hints("Search the knowledge base", read_only=True),
    "get_entry": Hints("Read an entry", read_only=True),
    "find_similar": Hints("Find similar entries", read_only=True),
    "get_related": Hints("List linked entries", read_only=True),
    "list_recent": Hints("List recent entries", read_only=True),
    "get_stats": Hints("Knowledge base statistics", read_only=True),
}
WRITE = {
    "add_entry": Hints("Add an entry"),
    "update_entry": Hints("Update an entry", destructive=True, idempotent=True),
    "deprecate_entry": Hints("Deprecate an entry", idempotent=True),
    "delete_entry": Hints("Delete an entry", destructive=True, idempotent=True),
    "link_entries": Hints("Link two entries", idempotent=True),
    "unlink_entries": Hints("Unlink two entries", destructive=True, idempotent=True),
}
TOOL_HINTS = {**READ, **WRITE}


def as_tool(method: Callable[..., BaseModel]) -> Callable[..., CallToolResult]:
    """Wrap a tool method: compact JSON text beside the structured result, errors as tool errors.

    The SDK would indent the JSON text, a third more tokens for the model. A RekallError
    reaches the model as a tool error carrying its message. Any other exception is a bug: the
    SDK logs its traceback to stderr, answers with a generic tool error and keeps serving.
    """

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> CallToolResult:
        try:
            result = method(*args, **kwargs)
        except RekallError as exc:
            raise ToolError(error_text(exc)) from exc
        return CallToolResult(
            content=[TextContent(type="text", text=result.model_dump_json())],
            structured_content=result.model_dump(mode="json"),
        )

    return call


def error_text(exc: RekallError) -> str:
    """The error's message, with how to find ids when it points at the CLI for them."""
    text = str(exc)
    if isinstance(exc, NotFoundError) and "rekall list" in text:
        return f"{text}. Find ids with search_entries or list_recent."
    return text


def describe(method: Callable[..., Any]) -> str:
    """A tool's description from its docstring: paragraphs unwrapped, indentation removed."""
    paragraphs = inspect.cleandoc(method.__doc__ or "").split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


def build_server(service: Rekall) -> MCPServer:
    """An MCP server whose tools call service; the caller closes the service.

    The SDK logs to stderr; WARNING keeps a failed tool call (already answered to the
    client) out of the user's logs.
    """
    from rekall.interfaces.mcp.access import TokenRights

    server: MCPServer = MCPServer(
        "rekall",
        title="Rekall",
        description="Local-first developer knowledge base, searchable by keywords and meaning",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
        middleware=[TokenRights(service, frozenset(WRITE))],
    )
    for tools, hints in ((ReadTools(service), READ), (WriteTools(service), WRITE)):
        for name, hint in hints.items():
            method = getattr(tools, name)
            server.add_tool(
                as_tool(method),
                name=name,
                description=describe(method),
                annotations=hint.annotations(),
                structured_output=True,
            )
    return server


def tell_stderr(message: str) -> None:
    """Notices for the user go to stderr: on stdio, stdout carries protocol messages only."""
    print(message, file=sys.stderr, flush=True)


def open_service() -> Rekall:
    """The long-lived facade a server runs on: the model unloads after idling."""
    return Rekall(long_lived=True, notify=tell_stderr)


def serve_stdio() -> None:
    """Serve over stdin/stdout until the client closes stdin. Raises RekallError on open."""
    service = open_service()
    try:
        build_server(service).run("stdio")
    finally:
        service.close()
