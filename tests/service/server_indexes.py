"""Helpers for the tests of PostgreSQL's search indexes: their schema, their state."""

from __future__ import annotations

from rekall.service import Rekall

INDEXES = ("embeddings_hnsw", "embedding_pieces_hnsw", "entries_head_search", "entries_search")


def schema_of(base: Rekall) -> str:
    return str(base.db.query(lambda conn: conn.execute("SELECT current_schema()").fetchone()[0]))


def invalidate(base: Rekall, *names: str) -> None:
    """Mark indexes unusable, as a failed CREATE INDEX CONCURRENTLY leaves one (the test
    server's superuser may write pg_index)."""
    with base.db.write() as (conn, _):
        for name in names:
            conn.execute(
                "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", (name,)
            )


def usable(base: Rekall) -> dict[str, bool]:
    with base.db.read() as conn:
        rows = conn.execute(
            "SELECT c.relname, i.indisvalid AND i.indisready FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ANY(%s) "
            "AND c.relnamespace = current_schema()::regnamespace",
            (list(INDEXES),),
        ).fetchall()
    return {str(row[0]): bool(row[1]) for row in rows}
