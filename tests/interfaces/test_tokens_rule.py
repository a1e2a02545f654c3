"""Once a base has had a token, the HTTP server requires one, on loopback too, for good."""

from __future__ import annotations

import json
from pathlib import Path

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
