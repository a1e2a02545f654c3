"""SQL for stored vectors: one per entry, with its model id, content hash and generation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from rekall.core.context import embedding_part_of_json
from rekall.core.entries import compose_embedding_text
from rekall.core.pieces import PIECE_ID_SHIFT

if TYPE_CHECKING:
    from rekall.storage.vector_rows import PendingText, StoredVector


def upsert_vectors(
    conn: sqlite3.Connection, rows: Sequence[tuple[int, str, int, str, bytes]], generation: int
) -> None:
    """Store (seq, model_id, dimensions, content_hash, vector bytes) rows at this generation."""
    conn.executemany(
        "INSERT INTO embeddings (entry_seq, model_id, dimensions, content_hash, vector, "
        "generation) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (entry_seq) DO UPDATE SET "
        "model_id = excluded.model_id, dimensions = excluded.dimensions, "
        "content_hash = excluded.content_hash, vector = excluded.vector, "
        "generation = excluded.generation",
        [(*row, generation) for row in rows],
    )


def vectors_for_model(conn: sqlite3.Connection, model_id: str) -> Iterator[StoredVector]:
    """Every stored vector of a model, in seq order."""
    from rekall.storage.vector_rows import StoredVector  # a search builds none

    for row in conn.execute(
        "SELECT entry_seq, vector FROM embeddings WHERE model_id = ? ORDER BY entry_seq",
        (model_id,),
    ):
        yield StoredVector(int(row[0]), bytes(row[1]))


# The vector index holds the entries' vectors and their pieces' under one id each.
_INDEX_ROWS = (
    "SELECT entry_seq AS id, vector, model_id, generation FROM embeddings UNION ALL "
    f"SELECT entry_seq + (piece << {PIECE_ID_SHIFT}), vector, model_id, generation "
    "FROM embedding_pieces"
)


def index_vectors(conn: sqlite3.Connection, model_id: str) -> Iterator[StoredVector]:
    """Every vector of a model the vector index holds: the entries' and their body pieces',
    each under its index id (core/pieces.piece_row_id)."""
    from rekall.storage.vector_rows import StoredVector  # a search builds none

    for row in conn.execute(
        f"SELECT id, vector FROM ({_INDEX_ROWS}) WHERE model_id = ? ORDER BY id", (model_id,)
    ):
        yield StoredVector(int(row[0]), bytes(row[1]))


def count_index_vectors(conn: sqlite3.Connection, model_id: str) -> int:
    """How many rows index_vectors() yields."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM embeddings WHERE model_id = ?) + "
        "(SELECT count(*) FROM embedding_pieces WHERE model_id = ?)",
        (model_id, model_id),
    ).fetchone()
    return int(row[0])


def vectors_changed_since(
    conn: sqlite3.Connection, model_id: str, generation: int
) -> tuple[list[StoredVector], list[int]]:
    """Index vectors written and index ids deleted (or now of another model) after a
    generation, body pieces included."""
    changed: list[tuple[int, bytes]] = []
    removed: list[int] = [
        int(r[0])
        for r in conn.execute(
            "SELECT entry_seq FROM vector_tombstones WHERE generation > ?", (generation,)
        )
    ]
    for row in conn.execute(
        f"SELECT id, vector, model_id FROM ({_INDEX_ROWS}) WHERE generation > ?", (generation,)
    ):
        if row[2] == model_id:
            changed.append((int(row[0]), bytes(row[1])))
        else:
            removed.append(int(row[0]))
    if not changed:
        return [], removed  # a search on a current snapshot: no record class to load
    from rekall.storage.vector_rows import StoredVector

    return [StoredVector(seq, blob) for seq, blob in changed], removed


def texts_with_hashes(
    conn: sqlite3.Connection, model_id: str
) -> Iterator[tuple[PendingText, str | None]]:
    """Every entry's embeddable text with the content hash of its vector for this model."""
    from rekall.storage.vector_rows import PendingText  # a search builds none

    for row in conn.execute(
        "SELECT e.seq, e.title, e.tags_text, e.content, v.content_hash, c.structured "
        "FROM entries e LEFT JOIN embeddings v ON v.entry_seq = e.seq AND v.model_id = ? "
        "LEFT JOIN entry_context c ON c.entry_id = e.id ORDER BY e.seq",
        (model_id,),
    ):
        context = embedding_part_of_json(row[5])
        yield PendingText(int(row[0]), row[1], row[2], row[3], context), row[4]


def count_vectors(conn: sqlite3.Connection) -> dict[str, int]:
    """Number of stored vectors per model id."""
    return {
        str(r[0]): int(r[1])
        for r in conn.execute("SELECT model_id, count(*) FROM embeddings GROUP BY model_id")
    }


def stored_hash(conn: sqlite3.Connection, seq: int, model_id: str | None) -> str | None:
    """The content hash of an entry's vector for this model (None: whatever its model), if
    it has one."""
    row = conn.execute(
        "SELECT content_hash FROM embeddings "
        "WHERE entry_seq = ? AND model_id = coalesce(?, model_id)",
        (seq, model_id),
    ).fetchone()
    return None if row is None else str(row[0])


def stored_hashes(conn: sqlite3.Connection, seqs: Sequence[int], model_id: str) -> dict[int, str]:
    """seq → the content hash of its vector for this model, for those of seqs that have one."""
    from rekall.storage.rows import chunked, marks  # a search needs neither

    found: dict[int, str] = {}
    for chunk in chunked(seqs):
        found.update(
            (int(r[0]), str(r[1]))
            for r in conn.execute(
                "SELECT entry_seq, content_hash FROM embeddings "
                f"WHERE model_id = ? AND entry_seq IN ({marks(chunk)})",
                (model_id, *chunk),
            )
        )
    return found


def delete_vectors(conn: sqlite3.Connection, seqs: Sequence[int]) -> None:
    """Drop vectors (a tombstone is recorded for each by trigger)."""
    conn.executemany("DELETE FROM embeddings WHERE entry_seq = ?", [(seq,) for seq in seqs])


def current_texts(conn: sqlite3.Connection, seqs: Sequence[int]) -> dict[int, str]:
    """seq → embeddable text as it is now, for checking a vector still matches its entry."""
    texts: dict[int, str] = {}
    for seq in seqs:
        row = conn.execute(
            "SELECT e.title, e.tags_text, e.content, c.structured FROM entries e "
            "LEFT JOIN entry_context c ON c.entry_id = e.id WHERE e.seq = ?",
            (seq,),
        ).fetchone()
        if row is not None:
            context = embedding_part_of_json(row[3])
            texts[seq] = compose_embedding_text(row[0], row[1].split(), row[2], context)
    return texts


def replace_pieces(
    conn: sqlite3.Connection,
    seq: int,
    vector: tuple[str, str],
    pieces: Sequence[tuple[str, bytes]],
    generation: int,
) -> None:
    """Make (piece hash, float32 bytes) pieces the body pieces of the entry whose vector is
    (model id, content hash); the database refuses them if that is not its vector now."""
    conn.execute("DELETE FROM embedding_pieces WHERE entry_seq = ?", (seq,))
    conn.executemany(
        "INSERT INTO embedding_pieces (entry_seq, piece, model_id, dimensions, content_hash, "
        "piece_hash, vector, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (seq, number, *vector[:1], len(blob) // 4, vector[1], digest, blob, generation)
            for number, (digest, blob) in enumerate(pieces, start=1)
        ],
    )


def replace_many_pieces(
    conn: sqlite3.Connection,
    entries: Sequence[tuple[int, tuple[str, str], Sequence[tuple[str, bytes]]]],
    generation: int,
) -> None:
    """replace_pieces for each (seq, vector, pieces): SQLite has no round trip to save."""
    for seq, vector, pieces in entries:
        replace_pieces(conn, seq, vector, pieces, generation)


def stored_pieces(conn: sqlite3.Connection, model_id: str) -> dict[int, list[str]]:
    """seq → the hashes of its body pieces' texts, in order, for vectors of this model."""
    found: dict[int, list[str]] = {}
    for row in conn.execute(
        "SELECT entry_seq, piece_hash FROM embedding_pieces WHERE model_id = ? "
        "ORDER BY entry_seq, piece",
        (model_id,),
    ):
        found.setdefault(int(row[0]), []).append(str(row[1]))
    return found
