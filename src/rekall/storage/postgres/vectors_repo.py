"""Stored vectors on PostgreSQL: a pgvector column with an HNSW index, searched in SQL."""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import Any

from rekall.core.context import embedding_part_of_json
from rekall.core.entries import compose_embedding_text
from rekall.storage.postgres import bulk
from rekall.storage.postgres.schema_keyword import KEYWORD_INDEXES
from rekall.storage.postgres.vector_param import VectorParam
from rekall.storage.vector_rows import PendingText, StoredVector

# The indexes searches rely on, whose state `rekall check` reports (index_state): the HNSW
# graphs of the vectors and the keyword indexes (GIN) of the words, whole and head.
SEARCH_INDEXES = ("embeddings_hnsw", "embedding_pieces_hnsw", *KEYWORD_INDEXES)


def to_blob(values: Sequence[float]) -> bytes:
    """A real[] read back from PostgreSQL → float32 bytes."""
    return struct.pack(f"<{len(values)}f", *values)


def upsert_vectors(
    conn: Any, rows: Sequence[tuple[int, str, int, str, bytes]], generation: int
) -> None:
    """Store (seq, model_id, dimensions, content_hash, vector bytes) rows at this generation."""
    if not rows:
        return
    if len(rows) >= bulk.COPY_FROM:
        bulk.copy_vectors(conn, bulk.EMBEDDINGS, rows, generation)
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO embeddings (entry_seq, model_id, dimensions, content_hash, vector, "
            "generation) VALUES (%s, %s, %s, %s, %s::vector, %s) ON CONFLICT (entry_seq) DO "
            "UPDATE SET model_id = excluded.model_id, dimensions = excluded.dimensions, "
            "content_hash = excluded.content_hash, vector = excluded.vector, "
            "generation = excluded.generation",
            [(s, m, d, h, VectorParam(v), generation) for s, m, d, h, v in rows],
        )


def delete_vectors(conn: Any, seqs: Sequence[int]) -> None:
    """Drop the vectors of these entries."""
    conn.execute("DELETE FROM embeddings WHERE entry_seq = ANY(%s)", (list(seqs),))


def stored_hash(conn: Any, seq: int, model_id: str | None) -> str | None:
    """The content hash of an entry's vector for this model (None: whatever its model), if
    it has one."""
    row = conn.execute(
        "SELECT content_hash FROM embeddings "
        "WHERE entry_seq = %s AND model_id = coalesce(%s::text, model_id)",
        (seq, model_id),
    ).fetchone()
    return None if row is None else str(row[0])


def stored_hashes(conn: Any, seqs: Sequence[int], model_id: str) -> dict[int, str]:
    """seq → the content hash of its vector for this model, for those of seqs that have one."""
    rows = conn.execute(
        "SELECT entry_seq, content_hash FROM embeddings "
        "WHERE model_id = %s AND entry_seq = ANY(%s)",
        (model_id, list(seqs)),
    ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


def texts_with_hashes(conn: Any, model_id: str) -> Iterator[tuple[PendingText, str | None]]:
    """Every entry's embeddable text with the content hash of its vector for this model."""
    rows = conn.execute(
        "SELECT e.seq, e.title, e.tags_text, e.content, v.content_hash, c.structured "
        "FROM entries e LEFT JOIN embeddings v ON v.entry_seq = e.seq AND v.model_id = %s "
        "LEFT JOIN entry_context c ON c.entry_id = e.id ORDER BY e.seq",
        (model_id,),
    ).fetchall()
    for row in rows:
        context = embedding_part_of_json(row[5])
        yield PendingText(int(row[0]), row[1], row[2], row[3], context), row[4]


def current_texts(conn: Any, seqs: Sequence[int]) -> dict[int, str]:
    """seq → embeddable text as it is now, for checking a vector still matches its entry."""
    rows = conn.execute(
        "SELECT e.seq, e.title, e.tags_text, e.content, c.structured FROM entries e "
        "LEFT JOIN entry_context c ON c.entry_id = e.id WHERE e.seq = ANY(%s)",
        (list(seqs),),
    ).fetchall()
    return {
        int(r[0]): compose_embedding_text(r[1], r[2].split(), r[3], embedding_part_of_json(r[4]))
        for r in rows
    }


def count_vectors(conn: Any) -> dict[str, int]:
    """Number of stored vectors per model id."""
    rows = conn.execute("SELECT model_id, count(*) FROM embeddings GROUP BY model_id")
    return {str(r[0]): int(r[1]) for r in rows}


def vectors_for_model(conn: Any, model_id: str) -> Iterator[StoredVector]:
    """Every stored vector of a model, in seq order, as float32 bytes."""
    rows = conn.execute(
        "SELECT entry_seq, vector::real[] FROM embeddings WHERE model_id = %s ORDER BY entry_seq",
        (model_id,),
    )
    for row in rows:
        yield StoredVector(int(row[0]), to_blob(row[1]))


def replace_pieces(
    conn: Any,
    seq: int,
    vector: tuple[str, str],
    pieces: Sequence[tuple[str, bytes]],
    generation: int,
) -> None:
    """Make (piece hash, float32 bytes) pieces the body pieces of the entry whose vector is
    (model id, content hash); the database refuses them if that is not its vector now."""
    conn.execute("DELETE FROM embedding_pieces WHERE entry_seq = %s", (seq,))
    if not pieces:
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO embedding_pieces (entry_seq, piece, model_id, dimensions, "
            "content_hash, piece_hash, vector, generation) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s::vector, %s)",
            [
                (seq, number, vector[0], len(blob) // 4, vector[1], digest, VectorParam(blob))
                + (generation,)
                for number, (digest, blob) in enumerate(pieces, start=1)
            ],
        )


def replace_many_pieces(
    conn: Any,
    entries: Sequence[tuple[int, tuple[str, str], Sequence[tuple[str, bytes]]]],
    generation: int,
) -> None:
    """replace_pieces for each (seq, vector, pieces), many at once: one binary COPY, the
    pieces' HNSW index built afresh when they outnumber those stored (bulk.copy_vectors)."""
    rows = [
        (seq, number, vector[0], len(blob) // 4, vector[1], digest, blob)
        for seq, vector, pieces in entries
        for number, (digest, blob) in enumerate(pieces, start=1)
    ]
    if len(rows) < bulk.COPY_FROM:
        for seq, vector, pieces in entries:
            replace_pieces(conn, seq, vector, pieces, generation)
        return
    seqs = [seq for seq, _, _ in entries]
    conn.execute("DELETE FROM embedding_pieces WHERE entry_seq = ANY(%s)", (seqs,))
    bulk.copy_vectors(conn, bulk.PIECES, rows, generation)


def stored_pieces(conn: Any, model_id: str) -> dict[int, list[str]]:
    """seq → the hashes of its body pieces' texts, in order, for vectors of this model."""
    found: dict[int, list[str]] = {}
    for row in conn.execute(
        "SELECT entry_seq, piece_hash FROM embedding_pieces WHERE model_id = %s "
        "ORDER BY entry_seq, piece",
        (model_id,),
    ).fetchall():
        found.setdefault(int(row[0]), []).append(str(row[1]))
    return found


def index_state(conn: Any) -> list[dict[str, Any]]:
    """Rekall's search indexes: name, method, settings as built (an HNSW index's m and
    ef_construction, a GIN index's pending list limit), size and whether PostgreSQL may use
    them."""
    rows = conn.execute(
        "SELECT c.relname, am.amname, pg_relation_size(c.oid), i.indisvalid, i.indisready, "
        "coalesce(array_to_string(c.reloptions, ', '), ''), "
        "quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = ANY(%s) "
        # Only this base's: a database may hold other bases in other schemas.
        "AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "ORDER BY c.relname",
        (list(SEARCH_INDEXES),),
    ).fetchall()
    return [
        {
            "name": r[0],
            "method": r[1],
            "settings": str(r[5]),
            "qualified": str(r[6]),
            "bytes": int(r[2]),
            "valid": bool(r[3] and r[4]),
        }
        for r in rows
    ]
