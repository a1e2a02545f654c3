"""The PostgreSQL schema's vector side: HNSW index settings, their build memory, the
migrations that (re)build them, and the body pieces' vectors."""

from __future__ import annotations

from typing import Any

from rekall.storage.sql_script import joined_script

DIMENSIONS = 384

# HNSW settings: m (links per node) as pgvector's default, more candidates while building.
# A team may build its indexes with others (rekall index settings): a later migration that
# builds an index again must take the index's own definition (pg_indexes.indexdef, as
# bulk.py does), not these.
HNSW_INDEX = (
    "CREATE INDEX embeddings_hnsw ON embeddings USING hnsw (vector vector_cosine_ops) "
    "WITH (m = 16, ef_construction = 128)"
)
PIECES_HNSW_INDEX = (
    "CREATE INDEX embedding_pieces_hnsw ON embedding_pieces "
    "USING hnsw (vector vector_cosine_ops) WITH (m = 16, ef_construction = 128)"
)
# An HNSW build is several times faster when the whole graph fits in this memory (100,000
# vectors take ~200 MB); it is taken for the build only.
INDEX_BUILD_MEMORY = "512MB"


def raise_build_memory(conn: Any, session: bool = False) -> None:
    """For the rest of the transaction (session: of the connection), maintenance_work_mem of
    INDEX_BUILD_MEMORY, or the server's own setting when that is larger: a 1M graph (~2 GB)
    needs more than the floor, and a team that sets more on its server (ALTER SYSTEM, ALTER
    DATABASE) must get it."""
    conn.execute(
        "SELECT set_config('maintenance_work_mem', (greatest("
        "pg_size_bytes(current_setting('maintenance_work_mem')), pg_size_bytes(%s)) / 1024)"
        "::text || 'kB', %s)",
        (INDEX_BUILD_MEMORY, not session),
    )


def prepare_index_build(conn: Any, session: bool = False) -> None:
    """For the rest of the transaction, what a large HNSW build needs: its memory
    (raise_build_memory) and no statement timeout, as a large base's build takes longer
    than a server's usual one. session: for the rest of the connection instead, for a build
    that cannot run inside a transaction (REINDEX CONCURRENTLY), on a connection of its own
    that is closed after it."""
    raise_build_memory(conn, session)
    conn.execute("SET statement_timeout = 0" if session else "SET LOCAL statement_timeout = 0")


def m004_build_hnsw_with_more_candidates(conn: Any) -> None:
    """The HNSW index built again with ef_construction 128 (pgvector's default is 64).

    At 100,000 vectors, recall@10 against exact search at ef_search 100 went from 0.962 to
    0.982 (benchmarks/bench_hnsw_recall.py); the build takes about twice as long.
    """
    raise_build_memory(conn)
    conn.execute(f"DROP INDEX embeddings_hnsw; {HNSW_INDEX}")


def m006_add_embedding_pieces(conn: Any) -> None:
    """Vectors for the body pieces of long entries (core/pieces.py), bound to the entry's vector.

    A piece is derived from the entry's embedded text exactly as the entry's vector is, so it
    may exist only beside that vector, for the same model and text: it is refused otherwise,
    and dropped with the vector or when the vector changes. Existing bases start with none;
    `rekall index rebuild` embeds them.
    """
    conn.execute(
        joined_script(_m006_pieces_table_sql(), _m006_pieces_triggers_sql(), blank_lines=False)
    )


def _m006_pieces_table_sql() -> str:
    return f"""\
        CREATE TABLE embedding_pieces (
            entry_seq BIGINT NOT NULL REFERENCES embeddings(entry_seq) ON DELETE CASCADE,
            piece INTEGER NOT NULL CHECK (piece BETWEEN 1 AND 65535),
            model_id TEXT NOT NULL,
            dimensions INTEGER NOT NULL CHECK (dimensions = {DIMENSIONS}),
            content_hash TEXT NOT NULL,
            piece_hash TEXT NOT NULL,
            vector vector({DIMENSIONS}) NOT NULL,
            generation BIGINT NOT NULL,
            PRIMARY KEY (entry_seq, piece)
        );
        {PIECES_HNSW_INDEX};"""


def _m006_pieces_triggers_sql() -> str:
    """Triggers: a piece must match its entry's vector, and goes when that vector changes."""
    return """\
        CREATE FUNCTION rekall_piece_matches() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM embeddings WHERE entry_seq = NEW.entry_seq
                           AND model_id = NEW.model_id AND content_hash = NEW.content_hash) THEN
                RAISE EXCEPTION 'a piece vector must match its entry''s vector'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END
        $$;
        CREATE TRIGGER embedding_pieces_match BEFORE INSERT ON embedding_pieces
            FOR EACH ROW EXECUTE FUNCTION rekall_piece_matches();
        CREATE FUNCTION rekall_drop_pieces() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM embedding_pieces WHERE entry_seq = NEW.entry_seq;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER embeddings_drop_pieces AFTER UPDATE OF model_id, content_hash
            ON embeddings FOR EACH ROW
            WHEN (OLD.model_id <> NEW.model_id OR OLD.content_hash <> NEW.content_hash)
            EXECUTE FUNCTION rekall_drop_pieces();"""
