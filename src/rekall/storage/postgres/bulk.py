"""Many rows into PostgreSQL at once with COPY: no round trip per row, vectors in binary."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rekall.storage.postgres.schema_vectors import prepare_index_build
from rekall.storage.postgres.vector_param import binary_vector

# Below this many rows a plain INSERT costs less than a temporary table and a COPY.
COPY_FROM = 64
# From this many rows, at least as many as the table holds, building the HNSW index afresh
# after the rows are in is several times faster than adding each to it (10,000 vectors on
# 2 busy cores: 3 s against 18 s).
REBUILD_FROM = 1000
# Rows per piece of a COPY stream (~1.6 KB each for a vector of 384 dimensions).
STREAM_ROWS = 10_000
INDEX_DEFINITION = (
    "SELECT indexdef FROM pg_indexes WHERE indexname = %s AND schemaname = current_schema()"
)
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)


def bigint_field(value: int) -> bytes:
    return struct.pack(">iq", 8, value)


def integer_field(value: int) -> bytes:
    return struct.pack(">ii", 4, value)


def text_field(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">i", len(data)) + data


def vector_field(blob: bytes) -> bytes:
    """A float32 vector (little-endian bytes) as a field of a binary COPY: its length, then
    pgvector's binary form (vector_param.binary_vector)."""
    value = binary_vector(blob)
    return struct.pack(">i", len(value)) + value


@dataclass(frozen=True)
class VectorTable:
    """A table of vectors with an HNSW index, as a bulk write fills it: its columns (but the
    generation, the write's) with each one's binary COPY encoder, how rows already stored
    meet incoming ones, and the deferred reference CREATE INDEX cannot build beside."""

    table: str
    index: str
    columns: tuple[tuple[str, str, Callable[[Any], bytes]], ...]
    on_conflict: str = ""
    deferred_reference: str | None = None

    def stage(self) -> str:
        columns = ", ".join(f"{name} {kind}" for name, kind, _ in self.columns)
        return f"CREATE TEMP TABLE incoming_{self.table} ({columns}) ON COMMIT DROP"

    def merge(self) -> str:
        names = ", ".join(name for name, _, _ in self.columns)
        return (
            f"INSERT INTO {self.table} ({names}, generation) "
            f"SELECT {names}, %s FROM incoming_{self.table} {self.on_conflict}"
        )


EMBEDDINGS = VectorTable(
    "embeddings",
    "embeddings_hnsw",
    (
        ("entry_seq", "BIGINT", bigint_field),
        ("model_id", "TEXT", text_field),
        ("dimensions", "INTEGER", integer_field),
        ("content_hash", "TEXT", text_field),
        ("vector", "vector", vector_field),
    ),
    on_conflict="ON CONFLICT (entry_seq) DO UPDATE SET model_id = excluded.model_id, "
    "dimensions = excluded.dimensions, content_hash = excluded.content_hash, "
    "vector = excluded.vector, generation = excluded.generation",
    deferred_reference="embeddings_entry_seq_fkey",
)
# Rows of entries whose pieces were deleted first: none is there to conflict with.
PIECES = VectorTable(
    "embedding_pieces",
    "embedding_pieces_hnsw",
    (
        ("entry_seq", "BIGINT", bigint_field),
        ("piece", "INTEGER", integer_field),
        ("model_id", "TEXT", text_field),
        ("dimensions", "INTEGER", integer_field),
        ("content_hash", "TEXT", text_field),
        ("piece_hash", "TEXT", text_field),
        ("vector", "vector", vector_field),
    ),
)


def copy_rows(conn: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows (values in columns order) into table, in one stream."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def binary_stream(target: VectorTable, rows: Sequence[Sequence[Any]]) -> Iterator[bytes]:
    """The binary COPY data of rows holding target's columns in order, in pieces of
    STREAM_ROWS rows: a large base's stream is never held whole beside its rows."""
    encoders = [encode for _, _, encode in target.columns]
    header = struct.pack(">h", len(encoders))
    yield SIGNATURE
    for start in range(0, len(rows), STREAM_ROWS):
        parts = []
        for row in rows[start : start + STREAM_ROWS]:
            parts.append(header)
            parts.extend(encode(value) for encode, value in zip(encoders, row, strict=True))
        yield b"".join(parts)
    yield TRAILER


def copy_vectors(
    conn: Any, target: VectorTable, rows: Sequence[Sequence[Any]], generation: int
) -> None:
    """Write many rows into target at this generation: a binary COPY into a temporary table,
    then one INSERT from it.

    When the rows outnumber those stored and the base was new (a base copied into a new
    server: _index_to_rebuild), the HNSW index is dropped and built again in the same
    transaction; searches of the table wait for the commit meanwhile.
    """
    conn.execute(target.stage())
    statement = f"COPY incoming_{target.table} FROM STDIN WITH (FORMAT BINARY)"
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for part in binary_stream(target, rows):
            copy.write(part)
    index = _index_to_rebuild(conn, target, len(rows), generation)
    if index is not None:
        conn.execute(f"DROP INDEX {target.index}")
        if target.deferred_reference is not None:
            # CREATE INDEX refuses a table with deferred checks pending: the entries exist
            # already, so the vectors' references are checked as they go in.
            conn.execute(f"SET CONSTRAINTS {target.deferred_reference} IMMEDIATE")
    conn.execute(target.merge(), (generation,))
    if index is not None:
        prepare_index_build(conn)
        conn.execute(index)
    conn.execute(f"DROP TABLE incoming_{target.table}")


def _index_to_rebuild(conn: Any, target: VectorTable, incoming: int, generation: int) -> str | None:
    """The HNSW index's definition when it is worth building afresh, else None: many rows
    coming, more than the table holds, into a base new or nearly so (fewer than REBUILD_FROM
    entry vectors before this write). A base in use keeps its index, which its searches go
    on using: rows are added to it instead, more slowly."""
    if incoming < REBUILD_FROM:
        return None
    stored, before = conn.execute(
        f"SELECT (SELECT count(*) FROM (SELECT 1 FROM {target.table} LIMIT %s) s), "
        "(SELECT count(*) FROM (SELECT 1 FROM embeddings WHERE generation <> %s LIMIT %s) b)",
        (incoming, generation, REBUILD_FROM),
    ).fetchone()
    if int(stored) >= incoming or int(before) >= REBUILD_FROM:
        return None
    row = conn.execute(INDEX_DEFINITION, (target.index,)).fetchone()
    return None if row is None else str(row[0])


def read_vector(data: bytes) -> bytes:
    """pgvector's binary form (as a binary cursor returns it) → float32 little-endian bytes."""
    count = (len(data) - 4) // 4
    return struct.pack(f"<{count}f", *struct.unpack_from(f">{count}f", data, 4))
