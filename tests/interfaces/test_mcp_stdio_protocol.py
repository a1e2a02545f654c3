"""Rekall's own stdio protocol layer against the SDK server: same tools, same answers, valid
messages by the SDK's types, and none of the SDK's weight in the serving process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import mcp_types
import pytest
from mcp.client import Client

from rekall.interfaces.mcp.server import build_server
from rekall.interfaces.mcp.stdio import (
    PROTOCOL_VERSIONS,
    Session,
    build_session,
    initialize_result,
    serve_lines,
)
from rekall.service import Rekall
from tests.service.conftest import fill

pytestmark = pytest.mark.model

HEAVY_SDK = ["anyio", "httpx2", "mcp", "mcp_types", "opentelemetry", "starlette", "uvicorn"]


def request(session: Session, method: str, params: Any = None, request_id: int = 1) -> Any:
    """The answer to one request; every answer must be a JSON-RPC 2.0 response to it."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    answer = session.answer(json.loads(json.dumps(message)))
    assert answer is not None and answer["jsonrpc"] == "2.0" and answer["id"] == request_id
    return json.loads(json.dumps(answer))


def sdk_dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def test_tools_are_listed_exactly_as_the_sdk_server_lists_them(service: Rekall) -> None:
    async with Client(build_server(service), mode="legacy") as client:
        expected = sdk_dump(await client.list_tools())["tools"]
    listed = request(build_session(service), "tools/list")["result"]
    assert listed["tools"] == expected
    mcp_types.ListToolsResult.model_validate(listed)


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("search_entries", {"query": "cors safari", "mode": "keyword", "limit": 3}),
        ("search_entries", {"query": "cors", "types": '["bug"]', "mode": "keyword"}),
        ("list_recent", {"limit": 2}),
        ("get_entry", {"id": "zzzzzz"}),
        ("get_entry", {"id": 5}),
        ("search_entries", {"query": "x", "limit": 500}),
        ("no_such_tool", {}),
    ],
)
async def test_tool_calls_answer_as_the_sdk_server_does(
    service: Rekall, tool: str, arguments: dict[str, Any]
) -> None:
    fill(service)
    async with Client(build_server(service), mode="legacy") as client:
        expected = sdk_dump(await client.call_tool(tool, arguments))
    answer = request(build_session(service), "tools/call", {"name": tool, "arguments": arguments})
    result = answer["result"]
    mcp_types.CallToolResult.model_validate(result)
    for key in ("content", "structuredContent"):
        assert result.get(key) == expected.get(key), key
    assert result["isError"] is expected["isError"]


@pytest.mark.parametrize("version", [*PROTOCOL_VERSIONS, "1999-01-01"])
def test_the_handshake_agrees_on_a_revision_the_client_knows(version: str) -> None:
    result = initialize_result(version)
    mcp_types.InitializeResult.model_validate(result)
    assert result["protocolVersion"] == (version if version in PROTOCOL_VERSIONS else "2025-11-25")
    assert result["serverInfo"]["name"] == "rekall" and "search_entries" in result["instructions"]


def test_malformed_messages_get_json_rpc_errors_and_notifications_none(service: Rekall) -> None:
    session = build_session(service)
    unknown = request(session, "server/discover", {})
    bad_params = request(session, "tools/list", ["not", "an", "object"])
    bad_arguments = request(session, "tools/call", {"name": "get_stats", "arguments": [1]})
    assert unknown["error"] == {
        "code": -32601,
        "message": "Method not found",
        "data": "server/discover",
    }
    assert bad_params["error"]["code"] == -32602
    assert bad_arguments["error"]["code"] == -32602
    assert session.answer({"jsonrpc": "2.0", "method": "notifications/initialized"}) is None
    assert session.answer({"jsonrpc": "2.0", "id": 9, "result": {}}) is None
    assert session.answer([1, 2])["error"]["code"] == -32600  # type: ignore[index]
    assert request(session, "ping")["result"] == {}
    assert request(session, "resources/list")["result"] == {"resources": []}


def test_lines_in_lines_out_with_a_parse_error_for_garbage(service: Rekall) -> None:
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        "this is not json",
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_stats"}},
    ]
    wire_in = io.BytesIO(
        b"\n".join(
            line.encode() if isinstance(line, str) else json.dumps(line).encode() for line in lines
        )
        + b"\n\n"
    )
    wire_out = io.BytesIO()
    serve_lines(build_session(service), wire_in, wire_out)
    answers = [json.loads(line) for line in wire_out.getvalue().splitlines()]
    assert [answer["id"] for answer in answers] == [1, None, 2]
    assert answers[1]["error"]["code"] == -32700
    assert answers[2]["result"]["structuredContent"]["entries"] == 0


SERVE_WITHOUT_SDK = """
import io, json, sys
from rekall.interfaces.mcp.stdio import build_session, open_service, serve_lines
messages = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
     "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
     "params": {"name": "search_entries", "arguments": {"query": "x", "mode": "keyword"}}},
]
out = io.BytesIO()
service = open_service()
wire_in = io.BytesIO(b"\\n".join(json.dumps(m).encode() for m in messages))
serve_lines(build_session(service), wire_in, out)
service.close()
loaded = {m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1]))
print(json.dumps([len(out.getvalue().splitlines()), sorted(loaded)]))
"""


def test_serving_stdio_loads_none_of_the_sdk() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_SDK, json.dumps(HEAVY_SDK)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [3, []]
