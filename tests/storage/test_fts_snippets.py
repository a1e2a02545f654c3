"""Snippets made after ranking, for many shown results at once, on SQLite."""

from __future__ import annotations

import sqlite3

import pytest

from rekall.service import Rekall
from rekall.storage import fts_repo
from rekall.storage.fts_repo import KeywordQuery


@pytest.mark.skipif(
    not hasattr(sqlite3.Connection, "setlimit"), reason="Connection.setlimit needs Python 3.11"
)
def test_snippets_for_more_rows_than_old_sqlite_takes_variables(service: Rekall) -> None:
    # SQLite before 3.32 takes at most 999 variables a statement; a search may show 1,000.
    first = service.add("til", "pgbouncer pool", "the pgbouncer pool sits in front")
    last = service.add("til", "pool sizing", "size the pgbouncer pool per database")
    query = KeywordQuery((("pgbouncer",),))
    with service.db.read() as conn:
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        seqs = [_seq(conn, first.id), *range(10_000, 11_000), _seq(conn, last.id)]
        made = fts_repo.snippets(conn, query, seqs)
    assert sorted(made) == sorted([seqs[0], seqs[-1]])
    assert all("\x02pgbouncer\x03" in snippet for snippet in made.values())


def _seq(conn: sqlite3.Connection, entry_id: str) -> int:
    return int(conn.execute("SELECT seq FROM entries WHERE id = ?", (entry_id,)).fetchone()[0])
