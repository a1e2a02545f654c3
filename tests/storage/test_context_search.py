"""The context columns of the keyword index: filled on upgrade, kept in step on every write."""

from __future__ import annotations

import json
from pathlib import Path

from rekall.core.context import EntryContext
from rekall.storage import context_repo
from rekall.storage.connection import connect
from rekall.storage.database import open_database
from rekall.storage.fts_repo import check_fts
from rekall.storage.migrations import migrate, schema_version
from rekall.storage.schema import FTS_COLUMNS, MIGRATIONS, SCHEMA_VERSION, m005_search_context

ENTRY = "01TESTCONTEXT0000000000001"
STRUCTURED = {
    "situation": "Nightly import crashed on a supplier file",
    "solution": "Read it as cp1252",
    "error_messages": ["UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9"],
    "trigger_keywords": ["encoding"],
    "files_modified": ["etl/suppliers/acme.py"],
}


def matches(conn: object, expression: str) -> list[int]:
    return [
        row[0]
        for row in conn.execute(  # type: ignore[attr-defined]
            "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?", (expression,)
        )
    ]


def make_db_before_context_search(path: Path) -> None:
    """A base one version before the context migration, with an entry that has a context."""
    conn = connect(path)
    before = MIGRATIONS[: MIGRATIONS.index(m005_search_context)]
    migrate(conn, path, before)
    with conn:
        conn.execute(
            "INSERT INTO entries (id, type, title, created_at, updated_at) "
            "VALUES (?, 'bug', 'Supplier CSV', 'now', 'now')",
            (ENTRY,),
        )
        conn.execute(
            "INSERT INTO entry_context (entry_id, structured, legacy_text) VALUES (?, ?, 'free')",
            (ENTRY, json.dumps(STRUCTURED)),
        )
        conn.execute("INSERT INTO context_keywords VALUES (?, 'encoding')", (ENTRY,))
    conn.close()


def test_upgrade_indexes_the_context_already_stored(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_db_before_context_search(path)
    db = open_database(path)
    try:
        with db.read() as conn:
            assert schema_version(conn) == SCHEMA_VERSION
            check_fts(conn)
            assert matches(conn, 'context_keys : "0xe9"') == [1]
            assert matches(conn, 'context_keys : "acme"') == [1]
            assert matches(conn, 'context_story : "cp1252"') == [1]
            assert matches(conn, 'context_story : "free"') == [1]
            assert matches(conn, '"supplier"') == [1]
    finally:
        db.close()


def test_writing_and_removing_a_context_moves_the_index(tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.db")
    try:
        with db.write() as (conn, _):
            conn.execute(
                "INSERT INTO entries (id, type, title, created_at, updated_at) "
                "VALUES (?, 'bug', 'Supplier CSV', 'now', 'now')",
                (ENTRY,),
            )
            context_repo.write_context(conn, ENTRY, EntryContext(STRUCTURED, None, ("encoding",)))
        with db.read() as conn:
            assert matches(conn, 'context_keys : "utf" AND context_keys : "codec"') == [1]
            check_fts(conn)
        with db.write() as (conn, _):
            context_repo.write_context(conn, ENTRY, None)
        with db.read() as conn:
            assert matches(conn, '"codec" OR "cp1252" OR "acme"') == []
            check_fts(conn)
        with db.write() as (conn, _):
            context_repo.write_context(conn, ENTRY, EntryContext(STRUCTURED, None, ()))
            conn.execute("DELETE FROM entries WHERE id = ?", (ENTRY,))
        with db.read() as conn:
            check_fts(conn)
            assert matches(conn, '"codec"') == []
    finally:
        db.close()


def test_the_index_has_the_context_columns_last() -> None:
    assert FTS_COLUMNS[-2:] == ("context_keys", "context_story")
