"""Once a base has had a token, the HTTP server requires one, on loopback too, for good."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rekall.core.errors import ConflictError
from rekall.service import Rekall
from tests.conftest import CliInvoker
from tests.interfaces.test_mcp_stdio import call, free_port, http_server, post
from tests.interfaces.test_tokens import bearer, status_with


def test_a_revoked_name_is_reused_and_an_active_one_refused_on_both_backends(
    any_backend: Rekall,
) -> None:
    tokens = any_backend.tokens
    assert not tokens.required()
    _, first = tokens.create("alice")
    with pytest.raises(ConflictError, match="revoke it first"):
        tokens.create("alice", read_only=True)
    assert tokens.check(first) is not None  # the refused create changed nothing
    tokens.revoke("alice")
    assert tokens.required() and not tokens.any_active()  # revoked: still required
    record, second = tokens.create("alice", read_only=True)
    assert record.read_only and record.revoked_at is None
    assert tokens.check(first) is None  # the leaked one stays refused
    found = tokens.check(second)
    assert found is not None and found.read_only
    assert [(t.name, t.revoked_at) for t in tokens.list()] == [("alice", None)]
    tokens.create("bob")
    tokens.revoke("bob")
    assert tokens.purge() == 1
    assert [t.name for t in tokens.list()] == ["alice"] and tokens.required()
    tokens.revoke("alice")
    assert tokens.purge() == 1
    assert not tokens.required() and tokens.list() == []


def test_reusing_a_revoked_name_and_the_conflict_exit_code(cli: CliInvoker) -> None:
    assert cli("token", "create", "alice").exit_code == 0
    clash = cli("token", "create", "alice")
    assert clash.exit_code == 1  # not a usage error: the base holds an active 'alice'
    assert "rekall token revoke alice" in clash.stderr
    revoked = cli("token", "revoke", "alice")
    assert "rekall token purge" in revoked.stderr  # none active left: says what still holds
    again = cli("token", "create", "alice", "--read-only")
    assert again.exit_code == 0, again.stderr
    listed = json.loads(cli("token", "list", "--json").stdout)
    assert [(t["name"], t["read_only"], t["revoked_at"]) for t in listed] == [("alice", True, None)]
    assert "active" in cli("token", "list").stdout


async def test_revoking_the_last_token_never_reopens_a_loopback_server(
    cli: CliInvoker, tmp_path: Path, backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend_url:
        monkeypatch.setenv("REKALL_DATABASE_URL", backend_url)
    port = free_port()
    with (tmp_path / "first.txt").open("w") as errlog, http_server(port, errlog):
        assert post(port, None) == 200  # a base that never had a token: open on loopback
        secret = cli("token", "create", "tmp").stdout.strip()
        assert post(port, None) == 401
        async with bearer(port, secret) as client:
            await call(client, "add_entry", type="til", title="Written with a token")
        cli("token", "revoke", "tmp")
        assert post(port, None) == 401  # was 200: revoking the last token reopened it
        assert status_with(port, secret) == 401
        cli("token", "purge")
        assert post(port, None) == 401  # a running server never goes from guarded to open
    started = tmp_path / "second.txt"
    cli("token", "create", "tmp")
    cli("token", "revoke", "tmp")
    with started.open("w") as errlog, http_server(port, errlog):
        assert post(port, None) == 401  # restarted with only a revoked token: still guarded
    assert "tokens required, none active" in started.read_text()
    assert cli("token", "purge").exit_code == 0
    with (tmp_path / "third.txt").open("w") as errlog, http_server(port, errlog):
        assert post(port, None) == 200  # purged on purpose: open on loopback again


class SlowFirstRead:
    """Tokens whose first required() read is slow: it began before a token existed and
    answers False after a later read has answered True; later reads answer False, as after
    the tokens were revoked and purged (a stand-in for the base's timing)."""

    def __init__(self) -> None:
        self.calls = 0
        self.later_read_done = threading.Event()

    def required(self) -> bool:
        self.calls += 1
        if self.calls == 1:
            assert self.later_read_done.wait(30)
            return False
        self.later_read_done.set()
        return self.calls == 2

    def check(self, secret: str) -> None:
        return None


async def test_a_late_read_never_lowers_the_guard_of_a_running_server() -> None:
    import anyio

    from rekall.interfaces.mcp.access import TokenGate

    reached: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    tokens = SlowFirstRead()
    gate = TokenGate(app, SimpleNamespace(tokens=tokens), required=False)  # type: ignore[arg-type]
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    def request(path: str) -> dict[str, Any]:
        return {"type": "http", "path": path, "headers": [], "method": "POST"}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async with anyio.create_task_group() as group:
        group.start_soon(gate, request("/early"), receive, send)  # its read is slow
        await anyio.sleep(0.05)
        await gate(request("/later"), receive, send)  # finds the token: 401
    await gate(request("/after"), receive, send)
    # The early request, back from its read, finds the guard raised meanwhile: refused too.
    assert statuses == [401, 401, 401] and reached == [] and gate.required
    assert tokens.calls == 2  # once raised, the guard is not read again


def test_a_base_with_only_revoked_tokens_is_not_served_beyond_loopback(cli: CliInvoker) -> None:
    cli("token", "create", "tmp")
    cli("token", "revoke", "tmp")
    result = cli("mcp", "--http", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.exit_code == 2
    assert "rekall token create" in result.stderr


def test_purge_says_what_it_forgot_and_what_still_holds(cli: CliInvoker) -> None:
    cli("token", "create", "alice")
    cli("token", "create", "bob")
    cli("token", "revoke", "bob")
    kept = cli("token", "purge")
    assert kept.exit_code == 0 and "1 revoked token(s) forgotten" in kept.stderr
    assert "still requires one" in kept.stderr
    assert [t["name"] for t in json.loads(cli("token", "list", "--json").stdout)] == ["alice"]
    cli("token", "revoke", "alice")
    emptied = cli("token", "purge")
    assert emptied.exit_code == 0 and "1 revoked token(s) forgotten" in emptied.stderr
    assert "No token is left" in emptied.stderr
    assert json.loads(cli("token", "list", "--json").stdout) == []
