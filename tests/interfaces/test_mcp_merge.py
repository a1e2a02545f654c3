"""The find_duplicates and merge_entries tools through the SDK's in-memory client."""

from __future__ import annotations

from pathlib import Path

import pytest

from rekall.service import Rekall
from tests.interfaces.test_mcp import add, call, connected, fail
from tests.interfaces.test_mcp_stdio import call as stdio_call
from tests.interfaces.test_mcp_stdio import rekall_mcp

pytestmark = pytest.mark.model


async def test_find_then_merge_a_group_of_lookalikes(service: Rekall) -> None:
    async with connected(service) as client:
        keep = await add(
            client, "CORS fails on Safari", "Send credentials: include.", tags=["cors", "safari"]
        )
        dup = await add(
            client, "Safari blocks cross-origin requests", "Use include.", tags=["cors", "browser"]
        )
        other = await add(client, "Postgres VACUUM reclaims disk space", type="til")
        found = await call(client, "find_duplicates")
        assert found["compared"] == 3 and found["without_vector"] == 0
        [group] = found["groups"]
        assert {e["id"] for e in group["entries"]} == {keep, dup}
        assert group["keep"] == group["entries"][0]["id"]
        assert group["entries"][1]["similarity"] >= 0.7
        assert (await call(client, "find_duplicates", types=["til"]))["groups"] == []

        rehearsal = await call(client, "merge_entries", keep=keep, others=[dup], dry_run=True)
        assert rehearsal["dry_run"] and rehearsal["kept"]["tags"] == ["browser", "cors", "safari"]
        assert (await call(client, "get_entry", id=dup))["status"] == "active"
        merged = await call(client, "merge_entries", keep=keep, others=[dup])
        assert merged["merged"] == [dup] and merged["others"] == "deprecated"
        assert (await call(client, "get_entry", id=dup))["superseded_by"] == keep
        assert "merged from" in (await call(client, "get_entry", id=keep))["content"]

        assert "entry to keep" in await fail(client, "merge_entries", keep=keep, others=[keep])
        assert "no entry" in await fail(client, "merge_entries", keep=keep, others=["ZZZZZZZZ"])
        await fail(client, "merge_entries", keep=keep, others=[])
        deleted = await call(client, "merge_entries", keep=keep, others=[other], delete=True)
        assert deleted["others"] == "deleted"
        assert "no entry" in await fail(client, "get_entry", id=other)


async def test_merge_over_a_real_stdio_server(tmp_path: Path) -> None:
    with (tmp_path / "server.log").open("w") as errlog:
        async with rekall_mcp(errlog) as client:
            ids = []
            for title, tags in (
                ("CORS fails on Safari", ["cors", "safari"]),
                ("Safari blocks cross-origin requests", ["cors", "browser"]),
            ):
                added = await stdio_call(
                    client, "add_entry", type="bug", title=title, content="Use include.", tags=tags
                )
                ids.append(added["entry"]["id"])
            [group] = (await stdio_call(client, "find_duplicates"))["groups"]
            keep = group["keep"]
            others = [entry_id for entry_id in ids if entry_id != keep]
            merged = await stdio_call(client, "merge_entries", keep=keep, others=others)
            assert merged["merged"] == others and not merged["dry_run"]
            assert (await stdio_call(client, "find_duplicates"))["groups"] == []
