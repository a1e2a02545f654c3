"""Schema migrations: fresh creation, upgrade of an old file, atomic failure, refusals."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from rekall.core.entries import EntryFilter
from rekall.core.errors import (
    MigrationError,
    NewerSchemaError,
    StorageError,
    UnusableDatabaseError,
)
from rekall.storage import connection, entries_repo, links_repo
from rekall.storage.connection import connect, read_generation, read_uid
from rekall.storage.database import open_database
from rekall.storage.fts_repo import check_fts
from rekall.storage.migrations import migrate, schema_version
from rekall.storage.schema import MIGRATIONS, SCHEMA_VERSION

FIXTURE_V1 = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1" / "rekall-v1.db"
TABLES = {"meta", "entries", "tags", "links", "entries_fts", "embeddings", "vector_tombstones"}
TRIGGERS = {
    "entries_fts_insert",
    "entries_fts_delete",
    "entries_fts_update",
    "embeddings_tombstone",
}

Fingerprint = Callable[[Path], str]
Dump = Callable[[Path], Sequence[str]]


def names(conn: sqlite3.Connection, kind: str) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = ?", (kind,)).fetchall()
    return {row[0] for row in rows}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_current_db(path: Path) -> None:
    """A database at the current schema holding two entries, closed (WAL checkpointed)."""
    db = open_database(path)
    with db.write() as (conn, _):
        for n in (1, 2):
            conn.execute(
                "INSERT INTO entries (id, type, title, content, created_at, updated_at) "
                "VALUES (?, 'bug', ?, 'body text', 'now', 'now')",
                (f"01TEST{n:020d}", f"entry {n}"),
            )
    db.close()


def test_fresh_database_is_created_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "new" / "rekall.db"
    db = open_database(path)
    try:
        assert db.snapshot_taken is None  # nothing to protect in a new file
        with db.read() as conn:
            assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
            assert names(conn, "table") >= TABLES
            assert names(conn, "trigger") >= TRIGGERS
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert read_generation(conn) == 0
            assert read_uid(conn) > 0
    finally:
        db.close()
    assert list(tmp_path.glob("new/*.bak")) == []


def test_reopening_a_current_database_changes_nothing(
    tmp_path: Path, db_fingerprint: Fingerprint
) -> None:
    path = tmp_path / "rekall.db"
    make_current_db(path)
    before = db_fingerprint(path)
    db = open_database(path)
    assert db.snapshot_taken is None
    db.close()
    assert db_fingerprint(path) == before
    assert list(tmp_path.glob("*.bak")) == []


def test_two_databases_get_different_uids(tmp_path: Path) -> None:
    uids = set()
    for name in ("a.db", "b.db"):
        db = open_database(tmp_path / name)
        with db.read() as conn:
            uids.add(read_uid(conn))
        db.close()
    assert len(uids) == 2


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rekall-v1.db"
    shutil.copyfile(FIXTURE_V1, target)
    return target


def test_fixture_is_at_schema_version_1() -> None:
    conn = sqlite3.connect(f"{FIXTURE_V1.as_uri()}?mode=ro", uri=True)
    try:
        assert schema_version(conn) == 1
        assert "embeddings" not in names(conn, "table")
    finally:
        conn.close()


def test_upgrade_from_v1_keeps_every_entry_tag_link_and_fts_match(v1_copy: Path) -> None:
    db = open_database(v1_copy)
    try:
        with db.read() as conn:
            assert schema_version(conn) == SCHEMA_VERSION
            assert names(conn, "table") >= TABLES
            assert read_generation(conn) == 7
            assert read_uid(conn) == 4_242_424_242
            check_fts(conn)

            cors = entries_repo.fetch_entry(conn, "01HZZ0AAAAAAAAAAAAAAAAAAA1")
            assert (cors.type, cors.title, cors.tags, cors.project, cors.confidence) == (
                "bug",
                "CORS fails on Safari",
                ("cors", "safari"),
                "webapp",
                4,
            )
            assert "credentials: 'include'" in cors.content

            uni = entries_repo.fetch_entry(conn, "01HZZ0AAAAAAAAAAAAAAAAAAA2")
            assert uni.title == "Unicode titles: naïve café 日本語 🚀"
            assert uni.content.startswith("Ünïcödé survives: 日本語 の テキスト, emoji 🚀🔥")
            assert uni.content.endswith("Greek λόγος, RTL שלום.")
            assert uni.tags == ("unicode", "日本語")
            assert uni.project is None

            old = entries_repo.fetch_entry(conn, "01HZZ0AAAAAAAAAAAAAAAAAAA3")
            assert (old.status, old.superseded_by) == ("deprecated", "01HZZ0AAAAAAAAAAAAAAAAAAA4")

            tag_rows = conn.execute("SELECT entry_id, tag FROM tags ORDER BY 1, 2").fetchall()
            assert len(tag_rows) == 9
            assert ("01HZZ0AAAAAAAAAAAAAAAAAAA2", "日本語") in [tuple(r) for r in tag_rows]

            links = links_repo.links_of(conn, "01HZZ0AAAAAAAAAAAAAAAAAAA4")
            assert [(link.source_id, link.target_id, link.type, link.reason) for link in links] == [
                (
                    "01HZZ0AAAAAAAAAAAAAAAAAAA4",
                    "01HZZ0AAAAAAAAAAAAAAAAAAA3",
                    "supersedes",
                    "WAL replaced the journal",
                )
            ]
            assert links_repo.count_links(conn) == 2

            def matches(expression: str) -> list[str]:
                return [
                    row[0]
                    for row in conn.execute(
                        "SELECT e.id FROM entries_fts JOIN entries e ON e.seq = entries_fts.rowid "
                        "WHERE entries_fts MATCH ? ORDER BY e.id",
                        (expression,),
                    )
                ]

            assert matches('"日本語"') == ["01HZZ0AAAAAAAAAAAAAAAAAAA2"]
            assert matches("naive") == ["01HZZ0AAAAAAAAAAAAAAAAAAA2"]  # diacritics folded
            assert matches('"err require esm"') == ["01HZZ0AAAAAAAAAAAAAAAAAAA5"]
            assert matches('"node js"') == ["01HZZ0AAAAAAAAAAAAAAAAAAA5"]
            assert matches("sqlite") == ["01HZZ0AAAAAAAAAAAAAAAAAAA3", "01HZZ0AAAAAAAAAAAAAAAAAAA4"]
            assert matches("webapp") == ["01HZZ0AAAAAAAAAAAAAAAAAAA1", "01HZZ0AAAAAAAAAAAAAAAAAAA5"]
    finally:
        db.close()


def test_upgraded_database_takes_new_writes(v1_copy: Path) -> None:
    db = open_database(v1_copy)
    try:
        with db.write() as (conn, generation):
            assert generation == 8
            conn.execute(
                "INSERT INTO entries (id, type, title, created_at, updated_at) "
                "VALUES ('01HZZ0AAAAAAAAAAAAAAAAAAA6', 'til', 'new after upgrade', 'now', 'now')"
            )
            seq = entries_repo.seq_of(conn, "01HZZ0AAAAAAAAAAAAAAAAAAA6")
            conn.execute(
                "INSERT INTO embeddings (entry_seq, model_id, dimensions, content_hash, vector, "
                "generation) VALUES (?, 'm', 1, 'h', zeroblob(4), ?)",
                (seq, generation),
            )
        with db.read() as conn:
            assert seq > 5
            check_fts(conn)
            assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 6
    finally:
        db.close()


def test_upgrade_writes_a_snapshot_of_the_old_version_beside_the_file(
    v1_copy: Path, logical_dump: Dump
) -> None:
    original = logical_dump(v1_copy)
    db = open_database(v1_copy)
    snapshot = db.snapshot_taken
    db.close()
    assert snapshot is not None
    assert snapshot.parent == v1_copy.parent
    assert snapshot.name.startswith("rekall-v1.db.v1-") and snapshot.suffix == ".bak"
    assert [p.name for p in v1_copy.parent.glob("*.bak")] == [snapshot.name]
    conn = sqlite3.connect(f"{snapshot.as_uri()}?mode=ro", uri=True)
    try:
        assert schema_version(conn) == 1
    finally:
        conn.close()
    assert sorted(logical_dump(snapshot)) == sorted(original)


def failing_step(conn: sqlite3.Connection) -> None:
    """A migration that changes schema and data, then fails."""
    conn.execute("CREATE TABLE half_done (x INTEGER)")
    conn.execute("INSERT INTO half_done VALUES (1)")
    conn.execute("ALTER TABLE entries ADD COLUMN extra TEXT")
    conn.execute("UPDATE entries SET title = 'overwritten'")
    conn.execute("DELETE FROM tags")
    raise RuntimeError("step exploded halfway")


def test_failed_migration_leaves_the_file_byte_for_byte_unchanged(
    tmp_path: Path, db_fingerprint: Fingerprint, logical_dump: Dump
) -> None:
    path = tmp_path / "rekall.db"
    make_current_db(path)
    bytes_before = sha256(path)
    dump_before = logical_dump(path)
    assert sha256(path) == bytes_before  # reading the dump changed nothing

    conn = connect(path)
    try:
        with pytest.raises(MigrationError) as caught:
            migrate(conn, path, (*MIGRATIONS, failing_step))
        # The failed step's work is not visible, even to the connection that ran it.
        assert schema_version(conn) == SCHEMA_VERSION
        assert "half_done" not in names(conn, "table")
    finally:
        conn.close()

    assert not path.with_name(path.name + "-wal").exists()
    assert db_fingerprint(path) == bytes_before
    assert logical_dump(path) == dump_before
    message = str(caught.value)
    assert "step exploded halfway" in message
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert "failing_step" in message
    snapshots = list(tmp_path.glob("rekall.db.v*.bak"))
    assert len(snapshots) == 1
    # The way back is `rekall restore`, which keeps derived files in step, not a file copy.
    assert f"run 'rekall restore {snapshots[0]}'" in message
    # VACUUM INTO may reorder the schema table, so compare as sets of statements.
    assert sorted(logical_dump(snapshots[0])) == sorted(dump_before)


def test_failure_after_committed_steps_reports_the_real_version(v1_copy: Path) -> None:
    """Each step is its own transaction: earlier steps of the run stay, the message says so."""
    conn = connect(v1_copy)
    try:
        with pytest.raises(MigrationError) as caught:
            migrate(conn, v1_copy, (*MIGRATIONS, failing_step))
        assert schema_version(conn) == SCHEMA_VERSION
        assert "embeddings" in names(conn, "table")
        assert "half_done" not in names(conn, "table")
    finally:
        conn.close()
    assert f"is at schema version {SCHEMA_VERSION}" in str(caught.value)
    assert len(list(v1_copy.parent.glob("*.bak"))) == 1


def test_newer_schema_is_refused_and_the_file_left_alone(
    tmp_path: Path, db_fingerprint: Fingerprint
) -> None:
    path = tmp_path / "rekall.db"
    make_current_db(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_fingerprint(path)
    with pytest.raises(NewerSchemaError) as caught:
        open_database(path)
    message = str(caught.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert "upgrade Rekall" in message
    assert str(path) in message
    assert db_fingerprint(path) == before
    assert not path.with_name(path.name + "-wal").exists()  # the connection was closed
    assert list(tmp_path.glob("*.bak")) == []


@pytest.mark.parametrize("size", [100, 4096, 20_000])
def test_corrupt_file_gives_a_clear_error_and_is_not_modified(tmp_path: Path, size: int) -> None:
    path = tmp_path / "rekall.db"
    data = b"definitely not sqlite" + os.urandom(size)  # never a valid header by chance
    path.write_bytes(data)
    with pytest.raises(StorageError) as caught:
        open_database(path)
    message = str(caught.value)
    assert str(path) in message
    assert "not a valid Rekall database or is corrupt" in message
    assert "rekall restore FILE" in message and "move the file away" in message
    # Backups are restored with `rekall restore`; never sent to copy a .bak file back.
    assert "rekall-backup-*.db" in message and ".bak" not in message
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rekall.db"]


def test_empty_file_is_initialised(tmp_path: Path) -> None:
    path = tmp_path / "rekall.db"
    path.write_bytes(b"")
    db = open_database(path)
    with db.read() as conn:
        assert schema_version(conn) == SCHEMA_VERSION
    db.close()


def test_foreign_sqlite_file_is_refused_without_damage(tmp_path: Path, logical_dump: Dump) -> None:
    """Another application's database at user_version 0 is refused before any change."""
    path = tmp_path / "rekall.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE entries (something TEXT); INSERT INTO entries VALUES ('x');")
    conn.close()
    before = logical_dump(path)
    raw = path.read_bytes()
    with pytest.raises(UnusableDatabaseError, match="database of another program"):
        open_database(path)
    assert logical_dump(path) == before and path.read_bytes() == raw


def test_a_corrupt_file_leaves_no_connection_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.13 warns about a connection left to the garbage collector: close it at once."""
    path = tmp_path / "rekall.db"
    path.write_bytes(b"definitely not sqlite" + os.urandom(4096))
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def tracking_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(connection.sqlite3, "connect", tracking_connect)
    with pytest.raises(StorageError, match="corrupt"):
        open_database(path)
    assert opened
    for conn in opened:  # every connection the failed open made is closed
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


@pytest.mark.parametrize(
    ("sql", "params", "index"),
    [
        (
            "SELECT EXISTS (SELECT 1 FROM entries WHERE status < ? OR status > ?)",
            ("active", "active"),
            "entries_status",
        ),
        ("SELECT model_id, count(*) FROM embeddings GROUP BY model_id", (), "embeddings_model"),
    ],
)
def test_questions_of_every_cold_search_read_an_index_not_the_table(
    tmp_path: Path, sql: str, params: tuple[str, ...], index: str
) -> None:
    db = open_database(tmp_path / "rekall.db")
    try:
        with db.read() as conn:
            plan = " ".join(
                str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            )
    finally:
        db.close()
    assert f"COVERING INDEX {index}" in plan


@pytest.mark.parametrize("status", ["active", None])
def test_a_page_of_the_list_walks_the_sort_index_not_a_sort_of_every_entry(
    tmp_path: Path, status: str | None
) -> None:
    db = open_database(tmp_path / "rekall.db")
    statements: list[str] = []
    try:
        with db.read() as conn:
            conn.set_trace_callback(statements.append)
            entries_repo.list_entries(conn, EntryFilter(status=status), "updated", 100)
            conn.set_trace_callback(None)
            [listing] = [sql for sql in statements if "ORDER BY" in sql]
            plan = " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {listing}"))
    finally:
        db.close()
    assert "INDEX entries_updated" in plan and "TEMP B-TREE" not in plan, plan


def test_a_stamped_name_taken_in_the_same_second_gets_a_counter(tmp_path: Path) -> None:
    from rekall.storage.maintenance import first_free_path

    stem = tmp_path / "rekall.db.v3-20261203T101500"
    first = first_free_path(stem, ".bak")
    assert first.name == "rekall.db.v3-20261203T101500.bak"
    first.touch()
    second = first_free_path(stem, ".bak")
    second.touch()
    assert second.name == "rekall.db.v3-20261203T101500-1.bak"
    assert first_free_path(stem, ".bak").name == "rekall.db.v3-20261203T101500-2.bak"
