"""Many rows into PostgreSQL at once with COPY: no round trip per row, vectors in binary."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

from rekall.storage.postgres.schema_vectors import raise_build_memory

# Below this many rows a plain INSERT costs less than a temporary table and a COPY.
COPY_FROM = 64
# From this many rows, at least as many as the table holds, building the HNSW index afresh
# after the rows are in is several times faster than adding each to it (10,000 vectors on
# 2 busy cores: 3 s against 18 s).
REBUILD_FROM = 1000
VECTOR_REFERENCE = "embeddings_entry_seq_fkey"
INDEX_DEFINITION = (
    "SELECT indexdef FROM pg_indexes WHERE indexname = 'embeddings_hnsw' "
    "AND schemaname = current_schema()"
)
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
STAGE_VECTORS = (
    "CREATE TEMP TABLE incoming_vectors (entry_seq BIGINT, model_id TEXT, dimensions INTEGER, "
    "content_hash TEXT, vector vector) ON COMMIT DROP"
)
MERGE_VECTORS = (
    "INSERT INTO embeddings (entry_seq, model_id, dimensions, content_hash, vector, generation) "
    "SELECT entry_seq, model_id, dimensions, content_hash, vector, %s FROM incoming_vectors "
    "ON CONFLICT (entry_seq) DO UPDATE SET model_id = excluded.model_id, "
    "dimensions = excluded.dimensions, content_hash = excluded.content_hash, "
    "vector = excluded.vector, generation = excluded.generation"
)


def copy_rows(conn: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows (values in columns order) into table, in one stream."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def vector_field(blob: bytes) -> bytes:
    """A float32 vector (little-endian bytes) as a field of a binary COPY: pgvector's binary
    form is the dimension count, an unused int16, then big-endian float32 values."""
    count = len(blob) // 4
    values = struct.pack(f">{count}f", *struct.unpack(f"<{count}f", blob))
    return struct.pack(">ihh", 4 + len(values), count, 0) + values


def vector_stream(rows: Sequence[tuple[int, str, int, str, bytes]]) -> bytes:
    """The binary COPY data of (seq, model_id, dimensions, content_hash, vector) rows."""
    parts = [SIGNATURE]
    for seq, model_id, dimensions, digest, blob in rows:
        model, text = model_id.encode(), digest.encode()
        parts.append(struct.pack(">hiq", 5, 8, seq))
        parts.append(struct.pack(">i", len(model)) + model)
        parts.append(struct.pack(">ii", 4, dimensions))
        parts.append(struct.pack(">i", len(text)) + text)
        parts.append(vector_field(blob))
    parts.append(TRAILER)
    return b"".join(parts)


def copy_vectors(
    conn: Any, rows: Sequence[tuple[int, str, int, str, bytes]], generation: int
) -> None:
    """Upsert many vectors: a binary COPY into a temporary table, then one INSERT from it.

    When the rows outnumber those already stored (a base copied into a new server), the
    HNSW index is dropped and built again in the same transaction; searches of the table
    wait for the commit meanwhile.
    """
    conn.execute(STAGE_VECTORS)
    statement = "COPY incoming_vectors FROM STDIN WITH (FORMAT BINARY)"
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(vector_stream(rows))
    index = _index_to_rebuild(conn, len(rows))
    if index is not None:
        conn.execute("DROP INDEX embeddings_hnsw")
        # CREATE INDEX refuses a table with deferred checks pending: the entries exist
        # already, so the vectors' references are checked as they go in.
        conn.execute(f"SET CONSTRAINTS {VECTOR_REFERENCE} IMMEDIATE")
    conn.execute(MERGE_VECTORS, (generation,))
    if index is not None:
        raise_build_memory(conn)
        conn.execute(index)
    conn.execute("DROP TABLE incoming_vectors")


def _index_to_rebuild(conn: Any, incoming: int) -> str | None:
    """The HNSW index's definition when it is worth building afresh, else None."""
    if incoming < REBUILD_FROM:
        return None
    stored = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM embeddings LIMIT %s) s", (incoming,)
    ).fetchone()
    if int(stored[0]) >= incoming:
        return None
    row = conn.execute(INDEX_DEFINITION).fetchone()
    return None if row is None else str(row[0])


def read_vector(data: bytes) -> bytes:
    """pgvector's binary form (as a binary cursor returns it) → float32 little-endian bytes."""
    count = (len(data) - 4) // 4
    return struct.pack(f"<{count}f", *struct.unpack_from(f">{count}f", data, 4))
