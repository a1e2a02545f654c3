"""What a stopped REINDEX or CREATE INDEX CONCURRENTLY leaves on PostgreSQL (an invalid
name_ccnew or name_ccold the server keeps up to date on every write) is reported by
`rekall check` and dropped by its repair, unless a build on its table is in progress; the
keyword head index is checked and rebuilt like the others."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from rekall.config import Config
from rekall.core.errors import StorageError
from rekall.service import Rekall
from rekall.service.stats import place_figures
from tests.conftest import CliInvoker
from tests.service.server_indexes import INDEXES, invalidate, schema_of, usable
from tests.service.test_check_vectors import finding

pytestmark = pytest.mark.model


def stop_a_rebuild(url: str, index: str, table: str) -> None:
    """REINDEX INDEX CONCURRENTLY index, as a DBA might, stopped by a lock timeout while a
    writer holds its table: the server leaves index_ccnew beside it."""
    with psycopg.connect(url, autocommit=True) as dba, psycopg.connect(url) as writer:
        writer.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")  # a write under way
        dba.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            dba.execute(f"REINDEX INDEX CONCURRENTLY {index}")


def leftovers(base: Rekall) -> list[str]:
    with base.db.read() as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class WHERE relname ~ '_cc(new|old)[0-9]*$' "
            "AND relnamespace = current_schema()::regnamespace ORDER BY relname"
        ).fetchall()
    return [str(row[0]) for row in rows]


def test_a_copy_left_by_a_stopped_rebuild_is_reported_then_dropped(
    team: Rekall, postgres_url: str
) -> None:
    schema = schema_of(team)
    stop_a_rebuild(postgres_url, "embeddings_hnsw", "embeddings")
    assert leftovers(team) == ["embeddings_hnsw_ccnew"]
    report = team.check()
    assert not report.healthy
    left = finding(team, "index embeddings_hnsw_ccnew")
    assert not left.ok
    drop = f"DROP INDEX CONCURRENTLY {schema}.embeddings_hnsw_ccnew"
    assert left.detail.endswith(f"'rekall check --repair' drops it ({drop})")
    assert finding(team, "index embeddings_hnsw").ok  # the rebuild stopped before its swap
    shown = place_figures(team.db)["indexes"]  # as `rekall stats` shows them
    assert re.search(r"embeddings_hnsw_ccnew \(hnsw m=16, [^)]*, NOT VALID\)", shown)
    assert "entries_head_search (gin gin_pending_list_limit=256, " in shown
    repaired = team.check(repair=True)
    assert repaired.repairs == [
        f"dropped leftover index {schema}.embeddings_hnsw_ccnew",
        "re-embedded 0 entries",
    ]
    assert repaired.healthy, repaired.findings
    assert leftovers(team) == []
    assert usable(team) == dict.fromkeys(INDEXES, True)


def test_a_leftover_is_dropped_before_its_index_is_rebuilt(
    team: Rekall, postgres_url: str, cli: CliInvoker
) -> None:
    schema = schema_of(team)
    stop_a_rebuild(postgres_url, "entries_search", "entries")
    invalidate(team, "entries_search")
    repaired = cli("check", "--repair", env={"REKALL_DATABASE_URL": postgres_url})
    assert repaired.exit_code == 0, repaired.stdout + repaired.stderr
    assert repaired.stderr.index(
        f"dropping leftover index {schema}.entries_search_ccnew"
    ) < repaired.stderr.index(f"repaired: dropped leftover index {schema}.entries_search_ccnew")
    assert repaired.stderr.index(
        f"repaired: dropped leftover index {schema}.entries_search_ccnew\n"
    ) < repaired.stderr.index(f"repaired: rebuilt index {schema}.entries_search\n")
    assert leftovers(team) == []
    assert usable(team) == dict.fromkeys(INDEXES, True)


@pytest.fixture
def build_in_progress(team: Rekall, postgres_url: str) -> Iterator[None]:
    """A CREATE INDEX CONCURRENTLY on embeddings, waiting for a writer to finish."""
    writer = psycopg.connect(postgres_url)
    writer.execute("LOCK TABLE embeddings IN ROW EXCLUSIVE MODE")
    builder = psycopg.connect(postgres_url, autocommit=True)
    thread = threading.Thread(
        target=builder.execute,
        args=("CREATE INDEX CONCURRENTLY embeddings_probe ON embeddings (entry_seq)",),
    )
    thread.start()
    try:
        for _ in range(100):
            with team.db.read() as conn:
                if conn.execute(
                    "SELECT count(*) FROM pg_stat_progress_create_index "
                    "WHERE relid = 'embeddings'::regclass"
                ).fetchone()[0]:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the CREATE INDEX CONCURRENTLY never showed in progress")
        yield
    finally:
        writer.commit()
        thread.join()
        builder.execute("DROP INDEX embeddings_probe")
        builder.close()
        writer.close()


def test_a_leftover_beside_a_build_in_progress_is_left_alone(
    team: Rekall, postgres_url: str, request: pytest.FixtureRequest
) -> None:
    schema = schema_of(team)
    stop_a_rebuild(postgres_url, "embeddings_hnsw", "embeddings")
    request.getfixturevalue("build_in_progress")
    left = finding(team, "index embeddings_hnsw_ccnew")
    assert left.ok and left.todo
    assert "an index build on its table is in progress" in left.detail
    repaired = team.check(repair=True)
    assert repaired.repairs[0] == (
        f"could not drop leftover index {schema}.embeddings_hnsw_ccnew: an index build on "
        "its table is in progress; run 'rekall check --repair' again after it"
    )
    assert leftovers(team) == ["embeddings_hnsw_ccnew"]


def test_a_role_that_may_not_drop_a_leftover_is_told_the_statement(
    team: Rekall, postgres_url: str, member_url: str
) -> None:
    schema = schema_of(team)
    stop_a_rebuild(postgres_url, "embeddings_hnsw", "embeddings")
    member = Rekall(Config(database_url=member_url))
    try:
        report = member.check(repair=True)
    finally:
        member.close()
    drop = f"DROP INDEX CONCURRENTLY {schema}.embeddings_hnsw_ccnew"
    assert report.repairs[0] == (
        f"could not drop leftover index {schema}.embeddings_hnsw_ccnew: only the owner of "
        f"its table may drop it; ask them to run: {drop}"
    )
    assert not report.healthy
    assert leftovers(team) == ["embeddings_hnsw_ccnew"]


def test_an_old_copy_left_after_the_swap_is_not_called_a_failed_rebuild(
    team: Rekall, postgres_url: str
) -> None:
    """A _ccold is what a rebuild stopped after its swap leaves: the index was rebuilt."""
    from rekall.storage.postgres.reindex import _raise_with_leftovers

    schema = schema_of(team)
    with team.db.write() as (conn, _):
        conn.execute("CREATE INDEX embeddings_hnsw_ccold ON embeddings (entry_seq)")
    invalidate(team, "embeddings_hnsw_ccold")
    with (
        psycopg.connect(postgres_url, autocommit=True) as conn,
        pytest.raises(StorageError) as raised,
    ):
        _raise_with_leftovers(conn, "embeddings_hnsw", RuntimeError("lock timeout"))
    assert str(raised.value) == (
        f"could not drop the old copy of index {schema}.embeddings_hnsw after rebuilding it "
        f"(lock timeout): drop it (DROP INDEX CONCURRENTLY {schema}.embeddings_hnsw_ccold), "
        "or run 'rekall check --repair' again"
    )


def test_an_unusable_keyword_head_index_is_reported_and_rebuilt(team: Rekall) -> None:
    schema = schema_of(team)
    invalidate(team, "entries_head_search")
    head = finding(team, "index entries_head_search")
    assert not head.ok
    assert head.detail.startswith("gin gin_pending_list_limit=256, ")
    repaired = team.check(repair=True)
    assert repaired.repairs[0] == f"rebuilt index {schema}.entries_head_search"
    assert repaired.healthy, repaired.findings
    assert usable(team)["entries_head_search"]
    hits = team.search("CORS Safari", mode="keyword", limit=1).results
    assert hits[0].entry.title == "CORS fails on Safari"
