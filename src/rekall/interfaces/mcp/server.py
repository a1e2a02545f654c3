"""The MCP tools with their hints, and the SDK server built on them (HTTP and --check).

The SDK is imported only inside build_server: the stdio server (rekall.interfaces.mcp.stdio)
serves the same tools without loading it.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from rekall import __version__
from rekall.core.errors import NotFoundError, RekallError, StorageError, ValidationError
from rekall.interfaces.mcp.prompts import PROMPTS
from rekall.interfaces.mcp.tools_merge import MergeTools
from rekall.interfaces.mcp.tools_read import ReadTools
from rekall.interfaces.mcp.tools_review import ReviewTools
from rekall.interfaces.mcp.tools_write import WriteTools
from rekall.service import Rekall
from rekall.service.refusal_messages import unnamed_refusal

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp_types import CallToolResult, ToolAnnotations

TITLE = "Rekall"
DESCRIPTION = "Local-first developer knowledge base, searchable by keywords and meaning"
INSTRUCTIONS = """\
Rekall is the user's local developer knowledge base: bugs and their fixes, patterns, \
decisions, pitfalls, configs, references, snippets and TILs, searchable by keywords and by \
meaning. Search it (search_entries) before solving a problem from scratch or when an error \
looks familiar; read a promising hit in full with get_entry. When a bug is solved or a \
decision is made, record it (add_entry) or improve the entry that already covers it \
(update_entry), with its context: the exact error messages, the files touched, the situation \
and the fix. Entries are found again by their title, words and recorded errors, so write \
titles the way someone would search for them."""


@dataclass(frozen=True)
class Hints:
    """What a client may assume about a tool (MCP tool annotations)."""

    title: str
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False

    def annotations(self) -> ToolAnnotations:
        from mcp_types import ToolAnnotations

        return ToolAnnotations.model_validate(self.wire())

    def wire(self) -> dict[str, Any]:
        """The annotations as they appear in a tools/list answer."""
        return {
            "title": self.title,
            "readOnlyHint": self.read_only,
            "destructiveHint": self.destructive,
            "idempotentHint": self.idempotent,
            "openWorldHint": False,
        }


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
MERGE = {
    "find_duplicates": Hints("Find lookalike entries", read_only=True),
    "merge_entries": Hints("Merge lookalike entries", destructive=True),
}
REVIEW = {
    "due_for_review": Hints("Entries due for review", read_only=True),
    "grade_review": Hints("Grade a review"),
    "list_stale": Hints("Entries left idle", read_only=True),
}
TOOL_HINTS = {**READ, **WRITE, **MERGE, **REVIEW}
# What a read-only token may call: an allow-list, so that a tool added without a hint is
# refused to it rather than let through.
READ_TOOLS = frozenset(name for name, hint in TOOL_HINTS.items() if hint.read_only)


def as_tool(method: Callable[..., BaseModel]) -> Callable[..., CallToolResult]:
    """Wrap a tool method: compact JSON text beside the structured result, errors as tool errors.

    The SDK would indent the JSON text, a third more tokens for the model. A RekallError
    reaches the model as a tool error carrying its message. Any other exception is a bug: the
    SDK logs its traceback to stderr, answers with a generic tool error and keeps serving.
    """
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp_types import CallToolResult, TextContent

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
    if isinstance(exc, (NotFoundError, ValidationError)) and "rekall list" in text:
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
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.prompts import Prompt

    from rekall.interfaces.mcp.access import TokenRights

    server: MCPServer = MCPServer(
        "rekall",
        title=TITLE,
        description=DESCRIPTION,
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
        middleware=[TokenRights(service, READ_TOOLS)],
    )
    for name, method, hint in tool_methods(service):
        server.add_tool(
            as_tool(method),
            name=name,
            description=describe(method),
            annotations=hint.annotations(),
            structured_output=True,
        )
    for spec in PROMPTS:
        server.add_prompt(
            Prompt.from_function(
                spec.render, name=spec.name, title=spec.title, description=spec.description
            )
        )
    return server


def tool_methods(service: Rekall) -> list[tuple[str, Callable[..., BaseModel], Hints]]:
    """Every tool as (name, bound method, hints), in the order clients list them."""
    found: list[tuple[str, Callable[..., BaseModel], Hints]] = []
    toolsets = (
        (ReadTools(service), READ),
        (WriteTools(service), WRITE),
        (MergeTools(service), MERGE),
        (ReviewTools(service), REVIEW),
    )
    for tools, hints in toolsets:
        found.extend(
            (name, refusals_told(getattr(tools, name), service), hint)
            for name, hint in hints.items()
        )
    return found


def refusals_told(method: Callable[..., BaseModel], service: Rekall) -> Callable[..., BaseModel]:
    """method, with a write the base refused and no tool named (a constraint or trigger added
    to the base) raised as a RekallError saying what the CLI says of it: both servers then
    answer it as a tool error, not as a failure of the server."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> BaseModel:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            told = unnamed_refusal(exc, service.db.location)
            if told is None:
                raise
            raise StorageError(told) from exc

    return call


def tell_stderr(message: str) -> None:
    """Notices for the user go to stderr: on stdio, stdout carries protocol messages only."""
    print(message, file=sys.stderr, flush=True)


def open_service() -> Rekall:
    """The long-lived facade a server runs on: the model unloads after idling."""
    return Rekall(long_lived=True, notify=tell_stderr)
