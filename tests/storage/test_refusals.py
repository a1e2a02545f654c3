"""A write the database refuses is one error on both backends, in the database's words;
nothing else is taken for one."""

from __future__ import annotations

import pytest

from rekall.core.entries import NewEntry
from rekall.core.errors import RefusedWriteError, StorageError
from rekall.service import Rekall
from rekall.storage.refusals import refusals_named

NOW = "2026-01-01T00:00:00+00:00"
REASONS = {
    "sqlite": "UNIQUE constraint failed: entries.id",
    "postgres": 'duplicate key value violates unique constraint "entries_id_key"',
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
