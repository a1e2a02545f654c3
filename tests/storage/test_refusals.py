"""A write the database refuses is one error on both backends, in the database's words;
nothing else is taken for one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rekall.core.entries import NewEntry
from rekall.core.errors import RefusedWriteError, StorageError
from rekall.service import Rekall
from rekall.storage import schema_rules
from rekall.storage.refusals import refusals_named

NOW = "2026-01-01T00:00:00+00:00"
REASONS = {
    "sqlite": "UNIQUE constraint failed: entries.id",
    "postgres": 'duplicate key value violates unique constraint "entries_id_key"',
}
KEYS = {"sqlite": "entries.id", "postgres": "entries_id_key"}
# A team's rule on its base: no title may say "runbook", as a trigger each backend raises from.
TEAM_TRIGGERS = {
    "sqlite": "CREATE TRIGGER no_runbooks BEFORE INSERT ON entries "
    "WHEN lower(new.title) LIKE '%runbook%' "
    "BEGIN SELECT RAISE(ABORT, 'runbooks live in the wiki'); END",
    # A plain RAISE EXCEPTION: SQLSTATE P0001, not an integrity error.
    "postgres": "CREATE FUNCTION no_runbooks() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF lower(NEW.title) LIKE '%runbook%' THEN "
    "RAISE EXCEPTION 'runbooks live in the wiki'; END IF; RETURN NEW; END $$; "
    "CREATE TRIGGER no_runbooks BEFORE INSERT ON entries "
    "FOR EACH ROW EXECUTE FUNCTION no_runbooks()",
}


def test_a_duplicate_id_is_refused_in_the_databases_first_line(any_backend: Rekall) -> None:
    db = any_backend.db
    with db.write() as (conn, _):
        db.repos.entries.insert_entry(conn, "01HELD", NewEntry("bug", "CORS fails"), NOW)
    before = db.generation()
    with (
        pytest.raises(RefusedWriteError) as raised,
        refusals_named(db),
        db.write() as (conn, _),
    ):
        db.repos.entries.insert_entry(conn, "01NEW", NewEntry("bug", "kept out"), NOW)
        db.repos.entries.insert_entry(conn, "01HELD", NewEntry("bug", "same id"), NOW)
    assert raised.value.reason == REASONS[db.kind]
    assert (raised.value.rule, raised.value.own) == (KEYS[db.kind], True)  # Rekall's own key
    assert str(raised.value) == (
        f"{db.location} refused the write ({REASONS[db.kind]}); nothing was written"
    )
    assert db.generation() == before
    with db.read() as conn:
        assert [str(row[0]) for row in conn.execute("SELECT id FROM entries")] == ["01HELD"]


def test_other_errors_pass_as_they_are(any_backend: Rekall) -> None:
    failure = StorageError("the disk is full")
    with pytest.raises(StorageError) as raised, refusals_named(any_backend.db):
        raise failure
    assert raised.value is failure
    with pytest.raises(ValueError, match="not a refusal"), refusals_named(any_backend.db):
        raise ValueError("not a refusal")


def test_a_teams_trigger_is_a_refusal_named_as_not_rekalls(any_backend: Rekall) -> None:
    db = any_backend.db
    with db.write() as (conn, _):
        conn.execute(TEAM_TRIGGERS[db.kind])
    before = db.generation()
    with (
        pytest.raises(RefusedWriteError) as raised,
        refusals_named(db),
        db.write() as (conn, _),
    ):
        db.repos.entries.insert_entry(conn, "01NEW", NewEntry("bug", "Deploy runbook"), NOW)
    assert raised.value.reason == "runbooks live in the wiki"
    # PostgreSQL names the trigger's function; sqlite3 gives only the trigger's words.
    rule = "no_runbooks" if db.kind == "postgres" else None
    assert (raised.value.rule, raised.value.own) == (rule, False)
    assert db.generation() == before


def test_rekalls_own_postgres_rules_are_known_by_name(postgres_url: str) -> None:
    """The list of Rekall's constraints and trigger functions is the one a new base holds."""
    from rekall.storage.postgres.database import PostgresDatabase

    db = PostgresDatabase(postgres_url)
    try:
        with db.read() as conn:
            rows = conn.execute(
                "SELECT conname, conrelid::regclass::text FROM pg_constraint "
                "WHERE connamespace = current_schema()::regnamespace"
            ).fetchall()
            functions = conn.execute(
                "SELECT proname FROM pg_proc JOIN pg_language ON pg_language.oid = prolang "
                "WHERE pronamespace = current_schema()::regnamespace AND lanname = 'plpgsql'"
            ).fetchall()  # pgvector's functions are in C and SQL
    finally:
        db.close()
    named = {str(name) for name, _ in rows if not str(name).endswith("_not_null")}
    assert named == schema_rules.POSTGRES_CONSTRAINTS
    assert {str(table) for _, table in rows} == schema_rules.POSTGRES_TABLES
    assert {str(row[0]) for row in functions} == schema_rules.POSTGRES_FUNCTIONS


def test_rekalls_own_sqlite_unique_keys_are_known(tmp_path: Path) -> None:
    """Every unique index of a new SQLite base, in the words SQLite uses when it is broken."""
    base = Rekall(db_file=tmp_path / "rekall.db")
    base.close()
    conn = sqlite3.connect(tmp_path / "rekall.db")
    tables = [
        str(row[0])
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(row[0]).startswith("entries_fts_")  # FTS5's own tables, written by it
    ]
    keys = set()
    for table in tables:
        for index in conn.execute(f"PRAGMA index_list('{table}')").fetchall():
            if index[2]:  # unique
                columns = conn.execute(f"PRAGMA index_info('{index[1]}')").fetchall()
                keys.add(", ".join(f"{table}.{column[2]}" for column in columns))
    conn.close()
    assert keys and keys <= schema_rules.SQLITE_UNIQUE_KEYS


def test_a_trigger_raise_with_a_code_of_its_own_is_a_refusal(postgres_url: str) -> None:
    """A PL/pgSQL RAISE is told by the server routine that raised it, whatever SQLSTATE the
    team gave it: here one of no class PostgreSQL uses."""
    from rekall.storage.postgres.database import PostgresDatabase

    db = PostgresDatabase(postgres_url)
    try:
        with db.write() as (conn, _):
            conn.execute(
                TEAM_TRIGGERS["postgres"].replace("wiki';", "wiki' USING ERRCODE = 'RK001';")
            )
        before = db.generation()
        with pytest.raises(RefusedWriteError) as raised, db.write() as (conn, _):
            db.repos.entries.insert_entry(conn, "01NEW", NewEntry("bug", "Deploy runbook"), NOW)
        assert db.generation() == before
    finally:
        db.close()
    assert raised.value.reason == "runbooks live in the wiki"
    assert (raised.value.rule, raised.value.own) == ("no_runbooks", False)
