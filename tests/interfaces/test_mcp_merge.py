"""The find_duplicates and merge_entries tools through the SDK's in-memory client."""

from __future__ import annotations

import pytest

from rekall.service import Rekall
from tests.interfaces.test_mcp import add, call, connected, fail

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
