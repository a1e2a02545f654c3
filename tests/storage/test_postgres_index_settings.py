"""A server base's HNSW settings: shown, rebuilt with new m and ef_construction, ef_search set
for the database, bad values refused with nothing changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import numpy as np
import pytest

from rekall.core.entries import NewEntry
from rekall.core.errors import StorageError, ValidationError
from rekall.service.index_tuning import index_settings
from rekall.storage.postgres.database import PostgresDatabase


@pytest.fixture
def db(postgres_url: str) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase(postgres_url)
    try:
        yield database
    finally:
        database.close()


def options_of(db: PostgresDatabase) -> dict[str, list[str]]:
    """Each HNSW index's options as PostgreSQL stores them, and whether both are usable."""
    with db.read() as conn:
        rows = conn.execute(
            "SELECT c.relname, c.reloptions, i.indisvalid FROM pg_class c "
            "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname LIKE 'embedding%%hnsw%%' "
            "AND c.relnamespace = current_schema()::regnamespace"
        ).fetchall()
    assert all(row[2] for row in rows)
    return {str(row[0]): sorted(row[1]) for row in rows}


def session_ef_search(db: PostgresDatabase) -> int:
    return int(db.query(lambda conn: conn.execute("SHOW hnsw.ef_search").fetchone()[0]))


def test_a_new_base_shows_rekalls_settings(db: PostgresDatabase) -> None:
    settings = index_settings(db)
    assert settings["indexes"] == {
        "embeddings_hnsw": {"m": 16, "ef_construction": 128},
        "embedding_pieces_hnsw": {"m": 16, "ef_construction": 128},
    }
    assert (settings["ef_search"], settings["ef_search_source"]) == (200, "rekall")
    assert session_ef_search(db) == 200


def test_new_m_and_ef_construction_rebuild_both_indexes(db: PostgresDatabase) -> None:
    settings = index_settings(db, m=24, ef_construction=200)
    wanted = {"m": 24, "ef_construction": 200}
    assert settings["indexes"] == {"embeddings_hnsw": wanted, "embedding_pieces_hnsw": wanted}
    stored = ["ef_construction=200", "m=24"]
    assert options_of(db) == {"embeddings_hnsw": stored, "embedding_pieces_hnsw": stored}
    # One given alone keeps the other's value.
    index_settings(db, m=20)
    assert options_of(db)["embeddings_hnsw"] == ["ef_construction=200", "m=20"]


def test_a_bulk_write_builds_the_index_again_with_the_teams_settings(
    db: PostgresDatabase,
) -> None:
    from rekall.storage.postgres.bulk import REBUILD_FROM

    index_settings(db, m=24, ef_construction=200)
    vectors = np.random.default_rng(3).normal(size=(REBUILD_FROM, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with db.write() as (conn, generation):
        seqs = [
            db.repos.entries.insert_entry(
                conn, f"01JD3K{n:020d}", NewEntry("til", f"t{n}", "b"), "now"
            )
            for n in range(REBUILD_FROM)
        ]
        rows = [(seq, "m", 384, "h", v.tobytes()) for seq, v in zip(seqs, vectors, strict=True)]
        db.repos.vectors.upsert_vectors(conn, rows, generation)
    assert options_of(db)["embeddings_hnsw"] == ["ef_construction=200", "m=24"]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"m": 1}, "--m must be between 2 and 100"),
        ({"ef_construction": 2000}, "--ef-construction must be between 4 and 1000"),
        ({"ef_search": 40}, "--ef-search must be between 100 and 1000"),
        ({"m": 80, "ef_search": 300}, "ef_construction (128) must be at least twice m (80)"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(
    db: PostgresDatabase, changes: dict[str, int], named: str
) -> None:
    before = options_of(db)
    with pytest.raises(ValidationError, match=re.escape(named)):
        index_settings(db, **changes)
    assert options_of(db) == before
    fresh = PostgresDatabase(db.url)
    try:
        assert session_ef_search(fresh) == 200  # ef_search was not set either
    finally:
        fresh.close()


def test_ef_search_set_for_the_database_reaches_new_connections(
    db: PostgresDatabase, postgres_server: str
) -> None:
    import psycopg

    try:
        settings = index_settings(db, ef_search=300)
        assert (settings["ef_search"], settings["ef_search_source"]) == (300, "database")
        other = PostgresDatabase(db.url)  # another client of the base
        try:
            assert session_ef_search(other) == 300
            assert index_settings(other)["ef_search_source"] == "database"
        finally:
            other.close()
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute("ALTER DATABASE postgres RESET hnsw.ef_search")


def test_ef_search_configured_outside_rekall_is_kept_above_the_floor(postgres_url: str) -> None:
    for configured, used in (("400", 400), ("40", 100)):
        # As a role's or the server's own setting would: the session starts with it.
        db = PostgresDatabase(postgres_url + quote(f" -chnsw.ef_search={configured}"))
        try:
            assert session_ef_search(db) == used
            assert index_settings(db)["ef_search"] == used
        finally:
            db.close()


def test_sqlite_has_nothing_to_tune(service: object) -> None:
    from rekall.service import Rekall

    assert isinstance(service, Rekall)
    with pytest.raises(StorageError, match="nothing to tune"):
        service.index_settings(m=24)
