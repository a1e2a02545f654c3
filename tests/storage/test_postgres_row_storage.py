"""PostgreSQL keeps the search words in the table's row, where ranking reads them (m009)."""

from __future__ import annotations

import random
import string

from rekall.storage.postgres.database import PostgresDatabase

# Where each entry's search words are: the chunk id in the TOAST table, NULL in the row.
WHERE_STORED = (
    "SELECT title, pg_column_toast_chunk_id(search) IS NULL AS in_row, "
    "pg_column_toast_chunk_id(content) IS NULL AS content_in_row FROM entries ORDER BY seq"
)


def long_body(seed: int) -> str:
    """A body of 300 distinct made-up words: its tsvector (~4 kB) does not compress."""
    rng = random.Random(seed)
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(300))


def test_a_base_of_schema_8_is_upgraded_to_search_words_kept_in_the_row(
    postgres_url: str,
) -> None:
    import psycopg

    from rekall.core.entries import EntryFilter, NewEntry
    from rekall.storage.fts_repo import KeywordQuery
    from rekall.storage.postgres.connection import ensure_vector_extension
    from rekall.storage.postgres.migrations import migrate
    from rekall.storage.postgres.schema import MIGRATIONS

    bodies = [long_body(n) for n in range(3)]
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # a base made before m009
        migrate(conn, postgres_url, MIGRATIONS[:8], lambda c: ensure_vector_extension(c, ""))
        for n, body in enumerate(bodies):
            conn.execute(
                "INSERT INTO entries (id, type, title, content, created_at, updated_at) "
                "VALUES (%s, 'til', %s, %s, 'now', 'now')",
                (f"01JD3K{n:020d}", f"long note {n}", f"{body} retry{n}"),
            )
        before = conn.execute(WHERE_STORED).fetchall()
    assert [row[1] for row in before] == [False, False, False]  # moved out: the old layout
    db = PostgresDatabase(postgres_url)  # upgrades it
    try:
        with db.write() as (conn, _):  # and a row written after the upgrade
            db.repos.entries.insert_entry(
                conn, "01JD3KX", NewEntry("til", "written after", bodies[0]), "now"
            )
        with db.read() as conn:
            after = conn.execute(WHERE_STORED).fetchall()
            hits = db.repos.keyword.search_phrases(
                conn, KeywordQuery((("retry1",),), False, False), EntryFilter(), 10
            )
            totals = conn.execute(
                "SELECT (SELECT value FROM meta WHERE key = 'search_words'), "
                "sum(length(search)) FROM entries"
            ).fetchone()
        assert [row[1] for row in after] == [True, True, True, True]
        assert [hit.seq for hit in hits] == [2]
        assert totals[0] == totals[1] > 1200
    finally:
        db.close()
