"""An HNSW build takes at least INDEX_BUILD_MEMORY, and more when the server is set to more."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest


@pytest.mark.parametrize(
    ("server_setting", "during_build"), [("64MB", "512MB"), ("3GB", "3GB"), ("512MB", "512MB")]
)
def test_build_memory_is_the_larger_of_the_floor_and_the_servers_setting(
    postgres_url: str, server_setting: str, during_build: str
) -> None:
    import psycopg

    from rekall.storage.postgres.schema_vectors import raise_build_memory

    with psycopg.connect(postgres_url) as conn:
        # As a team's ALTER DATABASE or ALTER SYSTEM would: the session starts with it.
        conn.execute(f"SET maintenance_work_mem = '{server_setting}'")
        conn.commit()
        with conn.transaction():
            raise_build_memory(conn)
            row = conn.execute("SHOW maintenance_work_mem").fetchone()
            assert row is not None and row[0] == during_build
        row = conn.execute("SHOW maintenance_work_mem").fetchone()
        assert row is not None and row[0] == server_setting  # taken for the build only


def store_many_vectors(db: Any, conn: Any, generation: int, seed: int) -> None:
    """REBUILD_FROM new entries with random unit vectors in one write: enough that the HNSW
    index is built afresh after them."""
    import numpy as np

    from rekall.core.entries import NewEntry
    from rekall.storage.postgres.bulk import REBUILD_FROM

    vectors = np.random.default_rng(seed).normal(size=(REBUILD_FROM, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    seqs = [
        db.repos.entries.insert_entry(conn, f"01JD3K{n:020d}", NewEntry("til", f"t{n}", "b"), "now")
        for n in range(REBUILD_FROM)
    ]
    rows = [(seq, "m", 384, "h", v.tobytes()) for seq, v in zip(seqs, vectors, strict=True)]
    db.repos.vectors.upsert_vectors(conn, rows, generation)


@pytest.mark.parametrize(("server_setting", "during_build"), [("64MB", "512MB"), ("1GB", "1GB")])
def test_a_bulk_copy_rebuilds_the_index_with_the_larger_memory(
    postgres_url: str, server_setting: str, during_build: str
) -> None:

    from rekall.storage.postgres.database import PostgresDatabase

    # The connection's default, as a setting on the server or the database would give it.
    db = PostgresDatabase(postgres_url + quote(f" -cmaintenance_work_mem={server_setting}"))
    try:
        with db.write() as (conn, generation):
            store_many_vectors(db, conn, generation, seed=7)
            used = conn.execute("SHOW maintenance_work_mem").fetchone()
            valid = conn.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'embeddings_hnsw'::regclass"
            ).fetchone()
        assert used is not None and used[0] == during_build  # the index was built again
        assert valid == (True,)
    finally:
        db.close()


def test_a_live_bases_pieces_index_is_never_dropped_for_a_bulk_write(postgres_url: str) -> None:
    import numpy as np

    from rekall.storage.postgres.bulk import REBUILD_FROM
    from rekall.storage.postgres.database import PostgresDatabase

    db = PostgresDatabase(postgres_url)

    def pieces_index() -> int:
        with db.read() as conn:
            row = conn.execute("SELECT 'embedding_pieces_hnsw'::regclass::oid::int").fetchone()
        return int(row[0])

    try:
        with db.write() as (conn, generation):  # a base in use, from before body pieces
            store_many_vectors(db, conn, generation, seed=11)
        before = pieces_index()
        blob = np.ones(384, dtype=np.float32).tobytes()
        with db.write() as (conn, generation):
            seqs = [int(r[0]) for r in conn.execute("SELECT entry_seq FROM embeddings")]
            entries = [(seq, ("m", "h"), [("p1", blob), ("p2", blob)]) for seq in seqs]
            assert 2 * len(entries) >= REBUILD_FROM  # more pieces coming than stored
            db.repos.vectors.replace_many_pieces(conn, entries, generation)
        # Added to the index: searches of this base were not held up by a rebuild.
        assert pieces_index() == before
        with db.read() as conn:
            assert conn.execute("SELECT count(*) FROM embedding_pieces").fetchone()[0] == 2000
    finally:
        db.close()
