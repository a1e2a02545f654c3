"""`rekall check --repair` on PostgreSQL rebuilds an index the server may not use (as a
failed CREATE INDEX CONCURRENTLY leaves one) while searches go on; a role that may not
rebuild it is told the statement to ask for, and nothing changes."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from rekall.config import Config
from rekall.service import Rekall
from tests.conftest import CliInvoker
from tests.service.server_indexes import INDEXES, invalidate, schema_of, usable
from tests.service.test_check_vectors import finding

pytestmark = pytest.mark.model


def test_repair_rebuilds_unusable_indexes_and_searches_go_on(team: Rekall) -> None:
    schema = schema_of(team)
    invalidate(team, "embeddings_hnsw", "entries_search")
    report = team.check()
    assert not report.healthy
    hnsw = finding(team, "index embeddings_hnsw")
    assert not hnsw.ok
    assert hnsw.detail.endswith(
        f"not usable: 'rekall check --repair' rebuilds it "
        f"(REINDEX INDEX CONCURRENTLY {schema}.embeddings_hnsw)"
    )
    repaired = team.check(repair=True)
    assert repaired.healthy, repaired.findings
    assert repaired.repairs == [
        f"rebuilt index {schema}.embeddings_hnsw",
        f"rebuilt index {schema}.entries_search",
        "re-embedded 0 entries",
    ]
    assert usable(team) == dict.fromkeys(INDEXES, True)
    assert finding(team, "index embeddings_hnsw").ok
    for mode in ("semantic", "keyword", "hybrid"):
        hits = team.search("CORS Safari", mode=mode, limit=1).results
        assert hits[0].entry.title == "CORS fails on Safari", mode


def test_the_cli_repairs_an_unusable_index(
    team: Rekall, cli: CliInvoker, postgres_url: str
) -> None:
    schema = schema_of(team)
    invalidate(team, "embedding_pieces_hnsw")
    env = {"REKALL_DATABASE_URL": postgres_url}
    checked = cli("check", env=env)
    assert checked.exit_code == 1
    assert re.search(r"^PROBLEM +index embedding_pieces_hnsw .*not usable", checked.stdout, re.M)
    repaired = cli("check", "--repair", env=env)
    assert repaired.exit_code == 0, repaired.stdout
    waits = "(waits for transactions in progress)…"
    notice = f"rebuilding index {schema}.embedding_pieces_hnsw {waits}"
    assert repaired.stderr.index(notice) < repaired.stderr.index(
        f"repaired: rebuilt index {schema}.embedding_pieces_hnsw\n"
    )
    assert "rebuilding" not in repaired.stdout
    assert re.search(r"^ok +index embedding_pieces_hnsw ", repaired.stdout, re.M)
    assert usable(team) == dict.fromkeys(INDEXES, True)


def test_the_rebuild_has_its_memory_and_no_timeout_on_its_own_connection(
    team: Rekall, postgres_url: str
) -> None:
    """REINDEX CONCURRENTLY runs outside a transaction, where SET LOCAL does nothing: the
    build's settings are the session's, on a connection closed after it."""
    import psycopg

    from rekall.storage.postgres.reindex import rebuild_index

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("SET statement_timeout = '5s'")  # as a server or role may set it
        assert rebuild_index(conn, "embeddings_hnsw") == f"{schema_of(team)}.embeddings_hnsw"
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "0"
        assert conn.execute("SHOW maintenance_work_mem").fetchone()[0] == "512MB"


def test_a_stopped_rebuild_names_the_copy_it_left_to_drop(team: Rekall, postgres_url: str) -> None:
    """A REINDEX CONCURRENTLY the server stops (here a lock_timeout, while a writer holds the
    table) leaves an unfinished copy of the index beside it: the repair says how to drop it."""
    import psycopg

    schema = schema_of(team)
    invalidate(team, "embeddings_hnsw")
    impatient = postgres_url.replace("options=", "options=" + quote("-clock_timeout=300ms "))
    base = Rekall(Config(database_url=impatient))
    try:
        with psycopg.connect(postgres_url) as writer:
            writer.execute("LOCK TABLE embeddings IN ROW EXCLUSIVE MODE")  # a write under way
            report = base.check(repair=True)
    finally:
        base.close()
    copy = f"{schema}.embeddings_hnsw_ccnew"
    assert report.repairs[0] == (
        f"could not rebuild index {schema}.embeddings_hnsw: the server stopped the rebuild "
        "(canceling statement due to lock timeout), leaving an unfinished copy beside the "
        f"index: drop it (DROP INDEX CONCURRENTLY {copy}), or run 'rekall check --repair' "
        "again, which drops it first"
    )
    with team.db.write() as (conn, _):
        conn.execute(f"DROP INDEX {copy}")
    repaired = team.check(repair=True)
    assert repaired.healthy, repaired.findings
    assert repaired.repairs[0] == f"rebuilt index {schema}.embeddings_hnsw"


def test_a_role_that_may_not_rebuild_is_told_what_to_ask_for(team: Rekall, member_url: str) -> None:
    schema = schema_of(team)
    invalidate(team, "embeddings_hnsw")
    member = Rekall(Config(database_url=member_url))
    try:
        report = member.check(repair=True)
    finally:
        member.close()
    assert not report.healthy
    statement = f"REINDEX INDEX CONCURRENTLY {schema}.embeddings_hnsw"
    assert report.repairs[0] == (
        f"could not rebuild index {schema}.embeddings_hnsw: only the owner of its table "
        "(on PostgreSQL 17 or newer, also a role granted MAINTAIN on it) may rebuild it; "
        f"ask them to run: {statement}"
    )
    assert not finding(team, "index embeddings_hnsw").ok
    assert usable(team) == {**dict.fromkeys(INDEXES, True), "embeddings_hnsw": False}
    with team.db.read() as conn:  # nothing left beside it by a refused rebuild
        names = conn.execute(
            "SELECT relname FROM pg_class WHERE relname LIKE 'embeddings_hnsw%%' "
            "AND relnamespace = current_schema()::regnamespace"
        ).fetchall()
    assert [row[0] for row in names] == ["embeddings_hnsw"]


def test_the_cli_says_a_failed_repair_was_not_done(
    team: Rekall, member_url: str, cli: CliInvoker
) -> None:
    schema = schema_of(team)
    invalidate(team, "embeddings_hnsw")
    result = cli("check", "--repair", "--json", env={"REKALL_DATABASE_URL": member_url})
    assert result.exit_code == 1
    assert f"not repaired: could not rebuild index {schema}.embeddings_hnsw: " in result.stderr
    assert "repaired: could not" not in result.stderr.replace("not repaired: could not", "")
    data = json.loads(result.stdout)  # the notices stay off stdout
    assert data["healthy"] is False
    assert [repair.split(":")[0] for repair in data["not_repaired"]] == [
        f"could not rebuild index {schema}.embeddings_hnsw"
    ]
    assert data["not_repaired"][0] in data["repairs"]
