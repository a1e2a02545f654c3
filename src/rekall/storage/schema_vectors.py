"""The migrations that create the vector tables: entry vectors and their body pieces."""

from __future__ import annotations

import sqlite3

from rekall.core.pieces import PIECE_ID_SHIFT
from rekall.storage.sql_script import joined_script, run_script


def m002_create_embeddings(conn: sqlite3.Connection) -> None:
    """Stored vectors keyed by entry, with model id and content hash, plus deletion records."""
    run_script(
        conn,
        """
        CREATE TABLE embeddings (
            entry_seq INTEGER PRIMARY KEY REFERENCES entries(seq) ON DELETE CASCADE,
            model_id TEXT NOT NULL,
            dimensions INTEGER NOT NULL CHECK (dimensions > 0),
            content_hash TEXT NOT NULL,
            vector BLOB NOT NULL CHECK (length(vector) = dimensions * 4),
            generation INTEGER NOT NULL
        );
        CREATE INDEX embeddings_generation ON embeddings(generation);

        -- A reader that cached the vectors at generation G applies the rows and
        -- deletions newer than G instead of reloading everything.
        CREATE TABLE vector_tombstones (
            entry_seq INTEGER PRIMARY KEY,
            generation INTEGER NOT NULL
        );
        CREATE TRIGGER embeddings_tombstone AFTER DELETE ON embeddings BEGIN
            INSERT OR REPLACE INTO vector_tombstones (entry_seq, generation)
            VALUES (old.entry_seq, (SELECT value FROM meta WHERE key = 'generation'));
        END;
        """,
    )


def m009_add_embedding_pieces(conn: sqlite3.Connection) -> None:
    """Vectors for the body pieces of long entries (core/pieces.py), bound to the entry's vector.

    A piece is derived from the entry's embedded text exactly as the entry's vector is, so it
    may exist only beside that vector, for the same model and text: it is refused otherwise,
    and dropped with the vector or when the vector changes. Existing bases start with none;
    `rekall index rebuild` embeds them.
    """
    run_script(
        conn,
        joined_script(_m009_pieces_table_sql(), _m009_pieces_triggers_sql(), blank_lines=False),
    )


def _m009_pieces_table_sql() -> str:
    return """\
        CREATE TABLE embedding_pieces (
            entry_seq INTEGER NOT NULL REFERENCES embeddings(entry_seq) ON DELETE CASCADE,
            piece INTEGER NOT NULL CHECK (piece BETWEEN 1 AND 65535),
            model_id TEXT NOT NULL,
            dimensions INTEGER NOT NULL CHECK (dimensions > 0),
            content_hash TEXT NOT NULL,
            piece_hash TEXT NOT NULL,
            vector BLOB NOT NULL CHECK (length(vector) = dimensions * 4),
            generation INTEGER NOT NULL,
            PRIMARY KEY (entry_seq, piece)
        );
        CREATE INDEX embedding_pieces_generation ON embedding_pieces(generation);
        CREATE INDEX embedding_pieces_model ON embedding_pieces(model_id);"""


def _m009_pieces_triggers_sql() -> str:
    """Triggers: a piece must match its entry's vector, goes when that vector changes, and
    leaves a tombstone for readers of the vector index."""
    return f"""\
        CREATE TRIGGER embedding_pieces_match BEFORE INSERT ON embedding_pieces
        WHEN NOT EXISTS (SELECT 1 FROM embeddings WHERE entry_seq = new.entry_seq
                         AND model_id = new.model_id AND content_hash = new.content_hash)
        BEGIN
            SELECT RAISE(ABORT, 'a piece vector must match its entry''s vector');
        END;
        CREATE TRIGGER embeddings_drop_pieces AFTER UPDATE OF model_id, content_hash
        ON embeddings WHEN old.model_id <> new.model_id OR old.content_hash <> new.content_hash
        BEGIN
            DELETE FROM embedding_pieces WHERE entry_seq = new.entry_seq;
        END;
        -- Its id in the vector index, as core/pieces.piece_row_id makes it.
        CREATE TRIGGER embedding_pieces_tombstone AFTER DELETE ON embedding_pieces BEGIN
            INSERT OR REPLACE INTO vector_tombstones (entry_seq, generation)
            VALUES (old.entry_seq + (old.piece << {PIECE_ID_SHIFT}),
                    (SELECT value FROM meta WHERE key = 'generation'));
        END;"""
