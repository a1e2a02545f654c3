"""`rekall mcp --check`: start the server in this process and ask it what a client would."""

from __future__ import annotations

import time
from typing import Any

import anyio
from mcp.client import Client
from mcp.server.mcpserver import MCPServer

from rekall.core.errors import RekallError
from rekall.interfaces.mcp.server import TOOL_HINTS, build_server, open_service

CHECK_QUERY = "error"


async def call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool's structured result. Raises RekallError when the tool answers with an error."""
    result = await client.call_tool(name, arguments)
    text = " ".join(getattr(block, "text", "") for block in result.content)
    if result.is_error or result.structured_content is None:
        raise RekallError(f"{name} failed: {text}")
    structured: dict[str, Any] = result.structured_content
    return structured


async def ask(server: MCPServer) -> list[str]:
    """List the tools, read the stats and run one search over the MCP protocol."""
    lines = []
    async with Client(server, mode="legacy") as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        missing = sorted(set(TOOL_HINTS) - set(names))
        if missing:
            raise RekallError(f"tools missing: {', '.join(missing)}")
        lines.append(f"tools: {len(names)} ({', '.join(names)})")
        stats = await call(client, "get_stats", {})
        lines.append(f"database: {stats['database']} ({stats['entries']:,} entries)")
        started = time.perf_counter()
        found = await call(client, "search_entries", {"query": CHECK_QUERY, "limit": 3})
        elapsed = (time.perf_counter() - started) * 1000
        lines.append(
            f"search '{CHECK_QUERY}': {len(found['results'])} results, {found['mode']} mode, "
            f"{elapsed:.0f} ms"
        )
        lines.extend(f"notice: {notice}" for notice in found["notices"])
    return lines


def run_check() -> list[str]:
    """The check's report lines. Raises RekallError when the server cannot answer."""
    service = open_service()
    try:
        return anyio.run(ask, build_server(service))
    finally:
        service.close()
