"""MCP and context: the schema clients show, context in and out, prompts, and review tools,
through the SDK's in-memory client and Rekall's own stdio layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp_types
import pytest
from mcp.client import Client

from rekall.interfaces.mcp.server import TOOL_HINTS, build_server
from rekall.interfaces.mcp.stdio import build_session
from rekall.service import Rekall
from tests.interfaces.test_mcp import call, connected, fail
from tests.interfaces.test_mcp_stdio import call as stdio_call
from tests.interfaces.test_mcp_stdio import cli as stdio_cli
from tests.interfaces.test_mcp_stdio import rekall_mcp
from tests.interfaces.test_mcp_stdio_protocol import request, sdk_dump

pytestmark = pytest.mark.model

ERROR = "psycopg.OperationalError: SSL SYSCALL error: EOF detected"
CONTEXT = {
    "situation": "Nightly report job died after 20 minutes against the replica",
    "solution": "Enable TCP keepalives on the connection and lower the idle timeout",
    "what_failed": "Raising statement_timeout",
    "error_messages": [ERROR],
    "trigger_keywords": ["keepalive", "replica"],
    "files_modified": ["reports/db.py"],
}


def context_schema(tools: list[Any], tool: str) -> dict[str, Any]:
    """The JSON schema of a tool's context argument, its $ref resolved."""
    (found,) = [t for t in tools if t.name == tool]
    schema = found.input_schema
    option = schema["properties"]["context"]["anyOf"][0]
    name = option["$ref"].rsplit("/", 1)[-1]
    resolved: dict[str, Any] = schema["$defs"][name]
    return resolved


async def test_add_and_update_show_the_context_schema(service: Rekall) -> None:
    async with connected(service) as client:
        tools = (await client.list_tools()).tools
    for tool in ("add_entry", "update_entry"):
        schema = context_schema(tools, tool)
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == set(CONTEXT) | {"conversation_excerpt"}
        errors = schema["properties"]["error_messages"]["anyOf"][0]
        assert "verbatim" in schema["properties"]["error_messages"]["description"]
        assert errors["maxItems"] == 50 and errors["items"]["maxLength"] == 2000
        assert schema["properties"]["situation"]["anyOf"][0]["maxLength"] == 20_000


async def test_an_entry_added_with_context_is_found_by_its_error_first(service: Rekall) -> None:
    async with connected(service) as client:
        await call(
            client,
            "add_entry",
            type="til",
            title="SSL connections to Postgres",
            content="sslmode=require; an SSL error means the server closed the socket.",
        )
        added = await call(
            client,
            "add_entry",
            type="bug",
            title="Report job dies mid-run",
            content="Idle connection cut by the load balancer.",
            context=CONTEXT,
        )
        entry_id = added["entry"]["id"]
        for mode in ("keyword", "hybrid"):
            found = await call(client, "search_entries", query=ERROR, mode=mode)
            assert found["results"][0]["id"] == entry_id, mode
        detail = await call(client, "get_entry", id=entry_id)
        assert detail["context"] == {
            **CONTEXT,
            "conversation_excerpt": None,
            "notes": None,
        }
        updated = await call(
            client,
            "update_entry",
            id=entry_id,
            context={"error_messages": ["server closed the connection unexpectedly"]},
        )
        assert "context.error_messages" in updated["message"]
        detail = await call(client, "get_entry", id=entry_id)
        assert detail["context"]["error_messages"] == ["server closed the connection unexpectedly"]
        assert detail["context"]["situation"] == CONTEXT["situation"]


@pytest.mark.parametrize(
    ("context", "fragment"),
    [
        ({"mood": "tired"}, "mood"),
        ({"error_messages": ["x" * 2001]}, "2000"),
        ({"files_modified": "not a list"}, "files_modified"),
    ],
)
async def test_bad_context_is_a_tool_error_that_changes_nothing(
    service: Rekall, context: dict[str, Any], fragment: str
) -> None:
    async with connected(service) as client:
        text = await fail(client, "add_entry", type="bug", title="t", context=context)
        assert fragment in text
    assert service.list_entries() == []


async def test_review_tools_have_the_right_hints(service: Rekall) -> None:
    async with connected(service) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in ("due_for_review", "list_stale"):
        hints = tools[name].annotations
        assert hints is not None and hints.read_only_hint and not hints.destructive_hint
    grade = tools["grade_review"].annotations
    assert grade is not None and not grade.read_only_hint and not grade.destructive_hint
    assert not grade.idempotent_hint  # grading twice moves the schedule twice
    assert {"due_for_review", "grade_review", "list_stale"} <= set(TOOL_HINTS)


async def test_due_grade_and_stale_through_the_client() -> None:
    now = ["2025-01-01T00:00:00.000000+00:00"]
    service = Rekall(clock=lambda: now[0])
    try:
        old = service.add("til", "Old entry", "body").id
        service.add("til", "Another old entry", "body")
        now[0] = "2025-06-01T00:00:00.000000+00:00"
        async with connected(service) as client:
            due = await call(client, "due_for_review", limit=1)
            assert due["due"] == 2 and len(due["results"]) == 1
            graded = await call(client, "grade_review", id=old, grade=5)
            assert graded["entry"]["repetitions"] == 1 and graded["entry"]["due_at"] > "2025-06-01"
            assert (await call(client, "due_for_review"))["due"] == 1
            stale = await call(client, "list_stale", days=30)
            assert [item["title"] for item in stale["results"]] == ["Another old entry"]
            assert stale["results"][0]["action"] in ("review", "deprecate", "link")
            assert "less than or equal to 5" in await fail(client, "grade_review", id=old, grade=9)
    finally:
        service.close()


# -- prompts ---------------------------------------------------------------------------------


async def test_prompts_are_listed_and_rendered_alike_by_both_servers(service: Rekall) -> None:
    session = build_session(service)
    async with Client(build_server(service), mode="legacy") as client:
        listed = sdk_dump(await client.list_prompts())
        rendered = sdk_dump(await client.get_prompt("search_first", {"error": ERROR}))
        recorded = sdk_dump(await client.get_prompt("record_solution", {}))
    assert request(session, "prompts/list")["result"]["prompts"] == listed["prompts"]
    mcp_types.ListPromptsResult.model_validate(listed)
    names = {prompt["name"]: prompt for prompt in listed["prompts"]}
    assert set(names) == {"record_solution", "search_first"}
    assert names["search_first"]["arguments"][0] == {
        "name": "error",
        "description": "the error message or symptom, as it appeared",
        "required": True,
    }
    own = request(session, "prompts/get", {"name": "search_first", "arguments": {"error": ERROR}})
    for key in ("description", "messages"):
        assert own["result"][key] == rendered[key], key
    mcp_types.GetPromptResult.model_validate(own["result"])
    text = rendered["messages"][0]["content"]["text"]
    assert ERROR in text and "search_entries" in text
    recorded_text = recorded["messages"][0]["content"]["text"]
    assert "error_messages" in recorded_text and "add_entry" in recorded_text


def test_a_prompt_without_its_required_argument_is_an_invalid_request(service: Rekall) -> None:
    session = build_session(service)
    missing = request(session, "prompts/get", {"name": "search_first", "arguments": {}})
    unknown = request(session, "prompts/get", {"name": "nope"})
    assert missing["error"]["code"] == unknown["error"]["code"] == -32602
    assert "Unknown prompt: nope" in json.dumps(unknown)


# -- a real `rekall mcp` process -------------------------------------------------------------


async def test_a_stdio_client_records_context_and_a_later_search_finds_it(tmp_path: Path) -> None:
    with (tmp_path / "stderr.txt").open("w") as errlog:
        async with rekall_mcp(errlog) as client:
            prompts = {prompt.name for prompt in (await client.list_prompts()).prompts}
            assert prompts == {"record_solution", "search_first"}
            await stdio_call(
                client,
                "add_entry",
                type="til",
                title="SSL and Postgres",
                content="An SSL SYSCALL error: the socket was closed (EOF).",
            )
            added = await stdio_call(
                client,
                "add_entry",
                type="bug",
                title="Report job dies",
                content="The balancer cut idle connections.",
                context=CONTEXT,
            )
        entry_id = added["entry"]["id"]
        async with rekall_mcp(errlog) as client:  # a later session, another process
            for mode in ("keyword", "hybrid"):
                found = await stdio_call(client, "search_entries", query=ERROR, mode=mode)
                assert found["results"][0]["id"] == entry_id, mode
            detail = await stdio_call(client, "get_entry", id=entry_id)
            assert detail["context"]["files_modified"] == ["reports/db.py"]
    searched = stdio_cli("search", ERROR, "--mode", "keyword", "--json")
    assert json.loads(searched.stdout)["results"][0]["id"] == entry_id
