"""Tokens: shown once, kept as hashes, required by the HTTP server, read-only enforced."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

from rekall.core.errors import NotFoundError, ValidationError
from rekall.service import Rekall
from tests.conftest import CliInvoker
from tests.interfaces.test_mcp_stdio import call, free_port, http_server, post


def test_a_token_is_printed_once_and_only_its_hash_kept(cli: CliInvoker, db_file: Path) -> None:
    created = cli("token", "create", "alice")
    assert created.exit_code == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("rk_") and len(secret) > 40
    assert "shown only now" in created.stderr
    with closing(sqlite3.connect(db_file)) as conn:
        rows = conn.execute("SELECT * FROM tokens").fetchall()
    assert secret not in repr(rows)
    listed = json.loads(cli("token", "list", "--json").stdout)
    assert [(t["name"], t["read_only"], t["revoked_at"]) for t in listed] == [
        ("alice", False, None)
    ]
    assert secret not in cli("token", "list").stdout
    assert cli("token", "create", "alice").exit_code == 1  # an active token has the name
    assert cli("token", "revoke", "alice").exit_code == 0
    assert json.loads(cli("token", "list", "--json").stdout)[0]["revoked_at"]
    assert cli("token", "revoke", "alice").exit_code == 1  # nothing to revoke: not found


def test_tokens_and_authors_on_both_backends(any_backend: Rekall) -> None:
    assert not any_backend.tokens.any_active()
    record, secret = any_backend.tokens.create("ci-bot", read_only=True)
    assert record.read_only
    assert any_backend.tokens.any_active()
    found = any_backend.tokens.check(secret)
    assert found is not None and found.name == "ci-bot" and found.read_only
    assert any_backend.tokens.check(secret + "x") is None
    with pytest.raises(ValidationError):
        any_backend.tokens.create("bad name!")
    any_backend.tokens.revoke("ci-bot")
    assert any_backend.tokens.check(secret) is None
    with pytest.raises(NotFoundError):
        any_backend.tokens.revoke("ci-bot")

    with any_backend.acting_as("alice"):
        entry = any_backend.add("til", "written by alice")
    with any_backend.acting_as("bob"):
        any_backend.update(entry.id, content="edited by bob")
    stored = any_backend.get(entry.id, record_access=False)
    assert (stored.created_by, stored.updated_by) == ("alice", "bob")


def test_binding_beyond_loopback_needs_a_token(cli: CliInvoker) -> None:
    result = cli("mcp", "--http", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.exit_code == 2
    assert "rekall token create" in result.stderr


def status_with(port: int, secret: str, host: str | None = None) -> int:
    """The HTTP status of an initialize request carrying this bearer token (and Host)."""
    hello = {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "token-test", "version": "1"},
    }
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {secret}",
        **({"Host": host} if host else {}),
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mcp", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


@asynccontextmanager
async def bearer(port: int, secret: str) -> AsyncIterator[Client]:
    """An MCP client of the HTTP server sending this bearer token."""
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        url = f"http://127.0.0.1:{port}/mcp"
        async with Client(streamable_http_client(url, http_client=http)) as client:
            yield client


@pytest.mark.model
async def test_the_http_server_requires_tokens_once_they_exist(
    cli: CliInvoker, tmp_path: Path
) -> None:
    writer = cli("token", "create", "alice").stdout.strip()
    reader = cli("token", "create", "ci-bot", "--read-only").stdout.strip()
    port = free_port()
    with (tmp_path / "stderr.txt").open("w") as errlog, http_server(port, errlog):
        assert post(port, None) == 401  # no token
        async with bearer(port, writer) as client:
            added = await call(client, "add_entry", type="til", title="Tokens guard the server")
        async with bearer(port, reader) as client:
            found = await call(client, "search_entries", query="tokens guard", mode="keyword")
            refused = await client.call_tool("add_entry", {"type": "til", "title": "nope"})
        assert refused.is_error
        assert "read-only" in str(refused.content)
        cli("token", "revoke", "alice")
        assert status_with(port, reader) == 200
        # Behind a TLS reverse proxy the Host is the public name: the token is the guard.
        assert status_with(port, reader, host="rekall.team.example") == 200
        assert status_with(port, writer) == 401  # revoked
        assert status_with(port, "rk_not-a-token") == 401
        assert status_with(port, "") == 401
    assert found["results"][0]["id"] == added["entry"]["id"]
    shown = json.loads(cli("show", added["entry"]["id"], "--json").stdout)
    assert (shown["created_by"], shown["updated_by"]) == ("alice", "alice")
    assert "nope" not in cli("list").stdout
