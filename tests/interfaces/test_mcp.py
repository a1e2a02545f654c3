"""The MCP server through the SDK's in-memory client: every tool, its hints, errors and sizes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, get_args

import pytest
from mcp.client import Client

from rekall.config import SEARCH_MODES
from rekall.core.entries import ENTRY_TYPES, LINK_TYPES, MAX_CONTENT_BYTES
from rekall.interfaces.mcp import params
from rekall.interfaces.mcp.http import LocalOriginOnly, is_local_origin, url
from rekall.interfaces.mcp.results import CONTENT_CHARS, SNIPPET_CHARS
from rekall.interfaces.mcp.server import TOOL_HINTS, build_server
from rekall.service import Rekall
from tests.conftest import CliInvoker
from tests.interfaces.test_cli_refusals import NO_ARCHIVED_LINKS
from tests.service.conftest import fill
from tests.storage.test_refusals import TEAM_TRIGGERS
from tests.test_architecture import heavy_modules_loaded

READ_ONLY = {
    "search_entries",
    "get_entry",
    "find_similar",
    "get_related",
    "list_recent",
    "get_stats",
    "find_duplicates",
    "due_for_review",
    "list_stale",
}
DESTRUCTIVE = {"delete_entry", "update_entry", "unlink_entries", "merge_entries"}


@asynccontextmanager
async def connected(service: Rekall) -> AsyncIterator[Client]:
    """An MCP client talking JSON-RPC to a server on service, in this process."""
    async with Client(build_server(service), mode="legacy") as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The structured result of a tool call that must succeed; its text must say the same."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    assert result.structured_content is not None
    assert json.loads(text) == result.structured_content
    return result.structured_content


async def fail(client: Client, tool: str, **arguments: Any) -> str:
    """The error text of a tool call that must fail."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    text: str = result.content[0].text  # type: ignore[union-attr]
    return text


async def add(client: Client, title: str, content: str = "", **fields: Any) -> str:
    fields.setdefault("type", "bug")
    added = await call(client, "add_entry", title=title, content=content, **fields)
    entry_id: str = added["entry"]["id"]
    return entry_id


# -- listing: names, hints, descriptions, schemas ---------------------------------------------


async def test_every_tool_is_listed_with_its_hints(service: Rekall) -> None:
    async with connected(service) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == set(TOOL_HINTS) and len(tools) == 17
    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None and hints.title
        assert hints.read_only_hint is (name in READ_ONLY), name
        assert hints.destructive_hint is (name in DESTRUCTIVE), name
        assert hints.open_world_hint is False
    assert tools["delete_entry"].annotations.idempotent_hint is True  # type: ignore[union-attr]
    assert tools["add_entry"].annotations.idempotent_hint is False  # type: ignore[union-attr]


async def test_descriptions_say_when_to_use_a_tool_and_what_it_returns(service: Rekall) -> None:
    async with connected(service) as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        description = tool.description or ""
        assert len(description) > 120, tool.name
        assert "use it" in description.lower() and "Returns " in description, tool.name
        assert "\n " not in description, "docstring indentation leaked"
        assert tool.output_schema is not None, f"{tool.name} has no structured output"
    async with connected(service) as client:
        listing = await client.list_tools()
    for tool in listing.tools:
        for prop in tool.input_schema["properties"].values():
            assert prop.get("description"), f"{tool.name} has an undescribed parameter"


async def test_input_schemas_come_from_type_hints(service: Rekall) -> None:
    async with connected(service) as client:
        tools = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}

    def enum(schema: dict[str, Any]) -> list[str]:
        for option in schema.get("anyOf", [schema]):
            if "enum" in option:
                return list(option["enum"])
            if "items" in option:
                return enum(option["items"])
        raise AssertionError(schema)

    search = tools["search_entries"]
    assert search["required"] == ["query"]
    assert enum(search["properties"]["mode"]) == list(SEARCH_MODES)
    assert enum(search["properties"]["types"]) == list(ENTRY_TYPES)
    assert search["properties"]["limit"]["maximum"] == 50
    assert enum(tools["add_entry"]["properties"]["type"]) == list(ENTRY_TYPES)
    assert sorted(tools["add_entry"]["required"]) == ["title", "type"]
    assert enum(tools["link_entries"]["properties"]["link_type"]) == list(LINK_TYPES)
    assert tools["get_stats"].get("properties", {}) == {}


def test_literals_match_the_core_vocabulary() -> None:
    assert get_args(params.EntryType) == ENTRY_TYPES
    assert get_args(params.SearchMode) == SEARCH_MODES
    assert get_args(params.LinkType) == LINK_TYPES


# -- entries ---------------------------------------------------------------------------------


@pytest.mark.model
async def test_add_then_get_returns_the_full_entry(service: Rekall) -> None:
    async with connected(service) as client:
        added = await call(
            client,
            "add_entry",
            type="pitfall",
            title="useEffect runs twice in StrictMode",
            content="React 18 mounts, unmounts and remounts in development.",
            tags=["react", "Hooks"],
            project="webapp",
            confidence=4,
        )
        assert added["action"] == "added"
        entry_id = added["entry"]["id"]
        assert added["message"] == f"Added {entry_id}."
        entry = await call(client, "get_entry", id=entry_id[:10].lower())
    assert entry["id"] == entry_id
    assert entry["content"] == "React 18 mounts, unmounts and remounts in development."
    assert (entry["tags"], entry["project"], entry["confidence"]) == (
        ["hooks", "react"],
        "webapp",
        4,
    )
    assert (entry["content_chars"], entry["content_offset"], entry["next_offset"]) == (54, 0, None)
    assert entry["access_count"] == 1 and entry["links"] == []


@pytest.mark.model
async def test_long_content_comes_in_pages(service: Rekall) -> None:
    content = "".join(f"line {n:05d} of a long runbook\n" for n in range(3000))
    async with connected(service) as client:
        entry_id = await add(client, "A long runbook", content, type="reference")
        pages = [await call(client, "get_entry", id=entry_id)]
        while pages[-1]["next_offset"] is not None:
            pages.append(
                await call(client, "get_entry", id=entry_id, offset=pages[-1]["next_offset"])
            )
        small = await call(client, "get_entry", id=entry_id, max_chars=500)
    assert len(pages) == -(-len(content) // CONTENT_CHARS) == 5
    assert "".join(page["content"] for page in pages) == content
    assert all(page["content_chars"] == len(content) for page in pages)
    assert (len(small["content"]), small["next_offset"]) == (500, 500)
    assert pages[-1]["access_count"] == 1, "only the first page counts as an access"


@pytest.mark.model
async def test_update_changes_only_the_given_fields(service: Rekall) -> None:
    async with connected(service) as client:
        entry_id = await add(client, "Postgres max_connections", "Raise it.", tags=["postgres"])
        updated = await call(
            client,
            "update_entry",
            id=entry_id,
            title="Postgres max_connections too low",
            tags=["postgres", "pgbouncer"],
            confidence=5,
        )
        entry = await call(client, "get_entry", id=entry_id)
        cleared = await call(client, "update_entry", id=entry_id, project="")
        nothing = await fail(client, "update_entry", id=entry_id)
    assert updated["action"] == "updated"
    assert updated["message"] == "Updated title, tags, confidence."
    assert entry["title"] == "Postgres max_connections too low"
    assert (entry["content"], entry["type"]) == ("Raise it.", "bug")
    assert entry["tags"] == ["pgbouncer", "postgres"] and entry["confidence"] == 5
    assert cleared["entry"]["project"] is None
    assert "nothing to change" in nothing


@pytest.mark.model
async def test_update_is_found_by_its_new_words(service: Rekall) -> None:
    async with connected(service) as client:
        entry_id = await add(client, "Slow build", "Cache misses everywhere.")
        await call(client, "update_entry", id=entry_id, content="Enable ccache for the C++ build.")
        found = await call(client, "search_entries", query="ccache", mode="keyword")
        gone = await call(client, "search_entries", query="misses", mode="keyword")
    assert [hit["id"] for hit in found["results"]] == [entry_id]
    assert gone["results"] == []


@pytest.mark.model
async def test_deprecate_hides_the_entry_and_links_its_replacement(service: Rekall) -> None:
    async with connected(service) as client:
        old = await add(client, "Use npm ci in Docker builds", "npm ci is reproducible")
        new = await add(client, "Use pnpm install --frozen-lockfile in Docker", "pnpm is faster")
        done = await call(client, "deprecate_entry", id=old, superseded_by=new[:12])
        hidden = await call(client, "search_entries", query="Docker", mode="keyword")
        everything = await call(
            client, "search_entries", query="Docker", mode="keyword", status="all"
        )
        related = await call(client, "get_related", id=new)
    assert done["action"] == "deprecated" and done["entry"]["status"] == "deprecated"
    assert done["message"] == f"Deprecated {old}, superseded by {new}."
    assert [hit["id"] for hit in hidden["results"]] == [new]
    assert {hit["id"] for hit in everything["results"]} == {old, new}
    assert [(item["id"], item["via"]) for item in related["results"]] == [(old, ["supersedes ->"])]


@pytest.mark.model
async def test_delete_removes_the_entry_and_says_what_was_deleted(service: Rekall) -> None:
    async with connected(service) as client:
        entry_id = await add(client, "Temporary note")
        deleted = await call(client, "delete_entry", id=entry_id)
        again = await fail(client, "delete_entry", id=entry_id)
        listed = await call(client, "list_recent")
    assert deleted["action"] == "deleted" and deleted["entry"]["title"] == "Temporary note"
    assert f"no entry id starts with '{entry_id}'" in again
    assert "Find ids with search_entries or list_recent." in again
    assert listed["results"] == []


@pytest.mark.model
async def test_link_related_and_unlink(service: Rekall) -> None:
    async with connected(service) as client:
        a = await add(client, "Retry with exponential backoff", type="pattern")
        b = await add(client, "HTTP 429 from the payments API")
        c = await add(client, "Rate limits of the payments API", type="reference")
        link = await call(
            client,
            "link_entries",
            source_id=b,
            target_id=a,
            link_type="derived_from",
            reason="the fix applies the pattern",
        )
        await call(client, "link_entries", source_id=c, target_id=b)
        duplicate = await fail(
            client, "link_entries", source_id=b, target_id=a, link_type="derived_from"
        )
        near = await call(client, "get_related", id=b)
        far = await call(client, "get_related", id=a, depth=2)
        entry = await call(client, "get_entry", id=b)
        removed = await call(client, "unlink_entries", source_id=a, target_id=b)
        none_left = await fail(client, "unlink_entries", source_id=a, target_id=b)
        after = await call(client, "get_related", id=b)
    assert (link["source_id"], link["target_id"], link["type"]) == (b, a, "derived_from")
    assert link["reason"] == "the fix applies the pattern"
    assert "already linked" in duplicate
    assert {(item["id"], item["hops"], tuple(item["via"])) for item in near["results"]} == {
        (a, 1, ("derived_from ->",)),
        (c, 1, ("<- related",)),
    }
    assert [(item["id"], item["hops"]) for item in far["results"]] == [(b, 1), (c, 2)]
    assert {(link["direction"], link["type"], link["other_id"]) for link in entry["links"]} == {
        ("outgoing", "derived_from", a),
        ("incoming", "related", c),
    }
    assert {link["other_title"] for link in entry["links"]} == {
        "Retry with exponential backoff",
        "Rate limits of the payments API",
    }
    assert removed == {"source_id": a, "target_id": b, "removed": 1}
    assert "no link between" in none_left
    assert [item["id"] for item in after["results"]] == [c]


# -- search, similar, recent, stats ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
@pytest.mark.model
async def test_search_finds_entries_in_every_mode(service: Rekall, mode: str) -> None:
    ids = fill(service)
    async with connected(service) as client:
        query = "Safari cookies" if mode == "keyword" else "browser blocks cross-site cookies"
        found = await call(client, "search_entries", query=query, mode=mode, limit=3)
    top = found["results"][0]
    assert top["id"] == ids["CORS fails on Safari"]
    assert found["mode"] == mode and found["notices"] == []
    assert found["score_meaning"].split()[0] in ("BM25", "cosine", "fused")
    assert set(top) >= {"id", "title", "type", "tags", "project", "status", "score", "snippet"}
    assert "content" not in top
    assert len(found["results"]) <= 3
    if mode == "keyword":
        assert top["matched_by"] == ["keywords"] and "**Safari**" in top["snippet"]
        assert "title" in top["matched"]["Safari"] and top["keyword_rank"] == 1
    else:
        assert "meaning" in top["matched_by"] and 0 < top["similarity"] <= 1


async def test_tiny_keyword_scores_are_not_rounded_to_zero(service: Rekall) -> None:
    # In a base of two entries BM25 scores are ~1e-6: rounding to decimals made them all 0.0.
    async with connected(service) as client:
        first = await add(client, "Webhook retries", "webhook webhook webhook retries")
        await add(client, "Webhook docs", "a page about one webhook and many other words here")
        found = await call(client, "search_entries", query="webhook", mode="keyword")
    scores = [hit["score"] for hit in found["results"]]
    assert found["results"][0]["id"] == first
    assert all(score > 0 for score in scores) and scores == sorted(scores, reverse=True)
    assert scores[0] > scores[1]


@pytest.mark.model
async def test_search_filters_apply(service: Rekall) -> None:
    ids = fill(service)
    async with connected(service) as client:
        bugs = await call(client, "search_entries", query="crashes", types=["bug"], limit=50)
        webapp = await call(client, "search_entries", query="linux", project="webapp", limit=50)
        tagged = await call(client, "search_entries", query="python retry", tags=["Retry"])
    assert {hit["type"] for hit in bugs["results"]} == {"bug"}
    assert {hit["project"] for hit in webapp["results"]} == {"webapp"}
    assert [hit["id"] for hit in tagged["results"]] == [
        ids["Retry with exponential backoff in Python"]
    ]


@pytest.mark.model
async def test_search_output_stays_small(service: Rekall) -> None:
    body = "timeout " + "word " * 12_000  # 60 KB per entry
    async with connected(service) as client:
        for n in range(12):
            await add(
                client, f"Timeout number {n} " + "x" * 250, body, tags=[f"t{i}" for i in range(20)]
            )
        found = await call(client, "search_entries", query="timeout", mode="keyword", limit=50)
        result = await client.call_tool("search_entries", {"query": "timeout", "limit": 50})
    assert len(found["results"]) == 12
    assert all(len(hit["snippet"]) <= SNIPPET_CHARS for hit in found["results"])
    text = result.content[0].text  # type: ignore[union-attr]
    assert len(text) < 12 * 1200, "search answers carry snippets, never whole contents"


@pytest.mark.model
async def test_find_similar_excludes_the_entry_itself(service: Rekall) -> None:
    ids = fill(service)
    cors = ids["CORS fails on Safari"]
    async with connected(service) as client:
        similar = await call(client, "find_similar", id=cors, limit=3)
        bugs = await call(client, "find_similar", id=cors, types=["bug"])
    assert similar["entry_id"] == cors and similar["entry_title"] == "CORS fails on Safari"
    assert "cosine" in similar["score_meaning"]
    assert cors not in [hit["id"] for hit in similar["results"]]
    assert len(similar["results"]) == 3
    scores = [hit["score"] for hit in similar["results"]]
    assert scores == sorted(scores, reverse=True)
    assert [hit["title"] for hit in bugs["results"]] == ["ENOSPC: file watchers limit reached"]


@pytest.mark.model
async def test_list_recent_sorts_and_filters(service: Rekall) -> None:
    ids = fill(service)
    async with connected(service) as client:
        recent = await call(client, "list_recent", limit=2)
        created = await call(client, "list_recent", sort="created", types=["bug"])
        webapp = await call(client, "list_recent", project="webapp", limit=50)
    titles = list(ids)
    assert [item["title"] for item in recent["results"]] == titles[::-1][:2]
    assert created["sort"] == "created"
    assert [item["title"] for item in created["results"]] == [
        "ENOSPC: file watchers limit reached",
        "CORS fails on Safari",
    ]
    assert len(webapp["results"]) == 3
    assert all("content" not in item for item in recent["results"])


@pytest.mark.model
async def test_get_stats(service: Rekall) -> None:
    fill(service)
    async with connected(service) as client:
        stats = await call(client, "get_stats")
    assert (stats["entries"], stats["active"], stats["deprecated"], stats["links"]) == (6, 6, 0, 0)
    assert stats["entries_by_type"]["bug"] == 2
    assert stats["entries_without_vector"] == 0
    assert stats["model_loaded"] is True and stats["model_problem"] is None
    assert stats["database"].endswith("rekall.db") and stats["rss_mb"] > 0


# -- errors ----------------------------------------------------------------------------------

BAD_CALLS = [
    ("get_entry", {"id": "01ZZZZZZZZ"}, "no entry id starts with '01ZZZZZZZZ'"),
    ("get_entry", {"id": "not an id!"}, "is not an entry id"),
    ("get_entry", {}, "Field required"),
    ("search_entries", {"query": "   "}, "the query is empty"),
    ("search_entries", {"query": "x", "limit": "many"}, "valid integer"),
    ("search_entries", {"query": "x", "limit": 500}, "less than or equal to 50"),
    ("search_entries", {"query": "x", "mode": "fuzzy"}, "'hybrid', 'semantic' or 'keyword'"),
    ("search_entries", {"query": ["a", "b"]}, "valid string"),
    ("add_entry", {"type": "bugs", "title": "t"}, "'bug', 'pattern'"),
    ("add_entry", {"type": "bug", "title": "  "}, "the title is empty"),
    ("add_entry", {"type": "bug", "title": "t", "confidence": 9}, "less than or equal to 5"),
    ("add_entry", {"type": "bug", "title": "t", "tags": ["two words"]}, "invalid tag 'two words'"),
    (
        "add_entry",
        {"type": "bug", "title": "big", "content": "x" * (MAX_CONTENT_BYTES + 1)},
        "the content is 1,000,001 bytes; the limit is 1,000,000 bytes",
    ),
    ("link_entries", {"source_id": "SELF", "target_id": "SELF"}, "cannot be linked to itself"),
    ("get_related", {"id": "SELF", "depth": 4}, "less than or equal to 3"),
    ("no_such_tool", {}, "Unknown tool"),
]


@pytest.mark.parametrize(("tool", "arguments", "message"), BAD_CALLS, ids=lambda v: str(v)[:30])
@pytest.mark.model
async def test_bad_input_is_a_tool_error_the_model_can_act_on(
    service: Rekall, tool: str, arguments: dict[str, Any], message: str
) -> None:
    async with connected(service) as client:
        entry_id = await add(client, "An entry to point at")
        arguments = {k: entry_id if v == "SELF" else v for k, v in arguments.items()}
        text = await fail(client, tool, **arguments)
        assert message in text
        still = await call(client, "get_entry", id=entry_id)  # the server keeps serving
    assert still["title"] == "An entry to point at"


@pytest.mark.model
async def test_an_oversized_query_is_refused_and_a_long_one_not_echoed(service: Rekall) -> None:
    async with connected(service) as client:
        await add(client, "Retry with backoff", "jitter the delay")
        refused = await fail(client, "search_entries", query="retry " * 3_000)
        answered = await call(client, "search_entries", query="retry " * 1_500, mode="keyword")
    assert "the query has 18,000 characters; the limit is 10,000" in refused
    assert "retry retry" not in refused
    assert len(answered["results"]) == 1 and len(answered["query"]) <= 200


@pytest.mark.parametrize("tool", ["list_recent", "search_entries"])
@pytest.mark.parametrize("field", ["project", "tags"])
async def test_undecodable_filter_text_is_refused_not_a_crash(
    service: Rekall, tool: str, field: str
) -> None:
    # A lone surrogate is what a client sends for bytes that were not UTF-8.
    arguments: dict[str, Any] = (
        {"mode": "keyword", "query": "x"} if tool == "search_entries" else {}
    )
    arguments[field] = ["\udc80"] if field == "tags" else "\udc80"
    async with connected(service) as client:
        await add(client, "An entry to filter")
        text = await fail(client, tool, **arguments)
    # An unexpected exception reads "Error executing tool NAME" and nothing more.
    assert text.endswith(f"the {field.rstrip('s')} is not valid UTF-8 text"), text


async def test_a_deprecation_ring_is_refused(service: Rekall) -> None:
    async with connected(service) as client:
        old = await add(client, "Old way")
        new = await add(client, "New way")
        await call(client, "deprecate_entry", id=old, superseded_by=new)
        text = await fail(client, "deprecate_entry", id=new, superseded_by=old)
    assert f"({new} -> {old} -> {new})" in text and "would make a ring" in text
    assert service.get(new).status == "active"


@pytest.mark.model
async def test_ambiguous_prefix_lists_the_candidates(service: Rekall) -> None:
    async with connected(service) as client:
        first = await add(client, "First")
        second = await add(client, "Second")
        common = next(i for i in range(26) if first[i] != second[i])
        text = await fail(client, "get_entry", id=first[:common])
    assert "matches 2 entries" in text and first in text and second in text


@pytest.mark.model
async def test_an_unexpected_failure_does_not_stop_the_server(
    service: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail")

    async with connected(service) as client:
        monkeypatch.setattr(service, "list_entries", broken)
        text = await fail(client, "list_recent")
        monkeypatch.undo()
        recent = await call(client, "list_recent")
    assert text == "Error executing tool list_recent"
    assert recent["results"] == []


# -- the command -----------------------------------------------------------------------------


@pytest.mark.model
def test_check_option_prints_ok(cli: CliInvoker) -> None:
    assert cli("add", "bug", "Flaky error in CI", "-c", "retry the job").exit_code == 0
    result = cli("mcp", "--check")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tools: 17 (search_entries, get_entry")
    assert "(1 entries)" in lines[1]
    assert lines[2].startswith("search 'error': 1 results, hybrid mode")
    assert lines[-1] == "OK"


def test_the_command_help_loads_no_mcp_code() -> None:
    assert heavy_modules_loaded("mcp", "--help") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "9000"], "--port applies only with --http"),
        (["--host", "::1", "--port", "9000"], "--host and --port apply only with --http"),
        (["--http", "--check"], "--check runs on its own"),
        (["--http", "--host", "0.0.0.0"], "needs tokens: create one with 'rekall token create"),
    ],
)
def test_command_options_are_checked(cli: CliInvoker, args: list[str], message: str) -> None:
    result = cli("mcp", *args)
    assert result.exit_code == 2
    assert message in result.stderr


# -- HTTP origin check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "local"),
    [
        ("http://localhost:3000", True),
        ("http://127.0.0.1", True),
        ("https://localhost", True),
        ("http://[::1]:8080", True),
        ("https://evil.example", False),
        ("http://localhost.evil.example", False),
        ("http://localhost:80@evil.example", False),
        ("http://127.0.0.1.nip.io", False),
        ("null", False),
        ("file://", False),
        ("http://localhost:99999", False),
        ("ws://localhost:3000", False),
    ],
)
def test_only_local_origins_are_local(origin: str, local: bool) -> None:
    assert is_local_origin(origin) is local


async def test_a_foreign_origin_is_refused_before_the_app(service: Rekall) -> None:
    reached: list[str] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    guard = LocalOriginOnly(app)
    for origin in (b"https://evil.example", b"http://localhost:5173", None):
        headers = [(b"origin", origin)] if origin else []
        scope = {"type": "http", "path": "/mcp", "headers": headers, "method": "POST"}
        await guard(scope, receive, send)
    assert reached == ["/mcp", "/mcp"]
    assert sent[0]["status"] == 403
    assert b"is not local" in sent[1]["body"]
    assert url("::1", 8765) == "http://[::1]:8765/mcp"


# -- remembering: lookalikes on add, and which tools count as reading ------------------------


@pytest.mark.model
async def test_add_offers_existing_lookalikes(service: Rekall) -> None:
    async with connected(service) as client:
        first = await add(
            client,
            "Default list argument shared between calls",
            "Never use a mutable default like []; default to None and build a new list inside.",
            tags=["python", "pitfall"],
        )
        added = await call(
            client,
            "add_entry",
            type="pitfall",
            title="Python mutable default argument pitfall",
            content="def f(x=[]) shares the list across calls; use None and create it inside.",
            tags=["python"],
        )
        alone = await call(client, "add_entry", type="til", title="nginx 413 too large")
    [match] = added["similar_existing"]
    assert match["id"] == first and match["similarity"] >= 0.7
    assert f"It looks like {first}" in added["message"] and "link_entries" in added["message"]
    assert alone["similar_existing"] == [] and alone["message"].endswith(".")


@pytest.mark.model
async def test_get_entry_records_an_access_and_search_tools_do_not(service: Rekall) -> None:
    async with connected(service) as client:
        entry_id = await add(client, "Docker layer caching", "Copy requirements first.")
        other = await add(client, "Docker build context too large", "Use .dockerignore.")
        await call(client, "search_entries", query="docker")
        await call(client, "find_similar", id=entry_id)
        await call(client, "list_recent")
        await call(client, "get_related", id=entry_id)
        assert service.get(entry_id, record_access=False).access_count == 0
        await call(client, "get_entry", id=entry_id)
    assert service.get(entry_id, record_access=False).access_count == 1
    assert service.get(other, record_access=False).access_count == 0


# -- writes a rule of the base refuses ---------------------------------------------------------


async def test_a_write_a_rule_of_the_base_refuses_is_named_as_the_cli_names_it(
    any_backend: Rekall,
) -> None:
    db = any_backend.db
    with db.write() as (conn, _):
        conn.execute(TEAM_TRIGGERS[db.kind])
        conn.execute(NO_ARCHIVED_LINKS[db.kind])
    async with connected(any_backend) as client:
        runbook = await fail(client, "add_entry", type="reference", title="Deploy runbook")
        live = await add(client, "Deploy notes")
        archived = await add(client, "Old deploy notes (archived)")
        before = db.generation()
        link = await fail(client, "link_entries", source_id=live, target_id=archived)
    for text, reason in ((runbook, "runbooks live in the wiki"), (link, "no links to archived")):
        assert f"{db.location} refused the write ({reason}" in text, text
        assert "A rule added to the base" in text and "change that rule" in text
    assert "already linked" not in link
    assert db.generation() == before
    assert {entry.title for entry in any_backend.list_entries()} == {
        "Deploy notes",
        "Old deploy notes (archived)",
    }
    with db.read() as conn:
        assert db.repos.links.count_links(conn) == 0
