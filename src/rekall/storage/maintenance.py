"""SQL for keeping a base healthy: backups, integrity checks, restore checks and meta flags."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from rekall.core.errors import ValidationError
from rekall.core.pieces import PIECE_ID_SHIFT
from rekall.storage.connection import read_generation, rotate_token

SQLITE_HEADER = b"SQLite format 3\x00"
PARTIAL_SUFFIX = ".partial"
RESTORE_DIR_PREFIX = ".restore-"
# The tables each schema version must have, beyond those of the versions before it.
REQUIRED_TABLES: dict[int, set[str]] = {
    1: {"meta", "entries", "tags", "links", "entries_fts"},
    2: {"embeddings", "vector_tombstones"},
    3: {"entry_context", "context_keywords", "context_vectors"},
}


def first_free_path(stem: Path, suffix: str) -> Path:
    """stem with suffix, else with -1, -2... before the suffix: the first that does not exist.

    Backups and snapshots are stamped to the second; two in the same second get a counter.
    """
    candidate, counter = stem.with_name(stem.name + suffix), 1
    while candidate.exists():
        candidate = stem.with_name(f"{stem.name}-{counter}{suffix}")
        counter += 1
    return candidate


def backup_to(source: sqlite3.Connection, target: Path) -> None:
    """Write a consistent copy of source's database to target, which appears only when complete.

    The copy is taken in one step inside a read transaction, so writers in other processes
    carry on (WAL) and the copy is one committed state. Raises sqlite3.Error or OSError.
    """
    # The pid in the name tells a later cleanup whether its writer is still running.
    partial = target.with_name(f"{target.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    dest = sqlite3.connect(partial)
    try:
        source.backup(dest)
        # A self-contained file: no -wal needed beside it.
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()
    os.replace(partial, target)


def copy_into(source: sqlite3.Connection, dest: sqlite3.Connection) -> None:
    """Overwrite dest's database with source's, under dest's locks (other connections see it)."""
    source.backup(dest)


def integrity_problems(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """PRAGMA integrity_check: [] when the file is sound, else SQLite's messages."""
    rows = [
        " ".join(str(row[0]).split())
        for row in conn.execute(f"PRAGMA integrity_check({int(limit)})")
    ]
    return [] if rows == ["ok"] else rows


def has_sqlite_header(path: Path) -> bool:
    """True when the file starts like an SQLite database."""
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def check_rekall_schema(conn: sqlite3.Connection, newest: int, name: str) -> int:
    """The schema version of a Rekall database. Raises ValidationError when it is not one."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    entry_columns = {r[1] for r in conn.execute("PRAGMA table_info(entries)")}
    if "context_compressed" in entry_columns or "embedding_type" in _columns(conn, "embeddings"):
        raise ValidationError(
            f"{name} is a database of the earlier Rekall 0.3, not a backup; "
            f"bring its entries in with: rekall import --from-db {name}"
        )
    if version > newest:
        raise ValidationError(
            f"{name} has schema version {version}, newer than this Rekall understands "
            f"({newest}); upgrade Rekall to restore it"
        )
    required = set().union(*(REQUIRED_TABLES.get(v, set()) for v in range(1, version + 1)))
    if version < 1 or not required <= tables or not {"seq", "id"} <= entry_columns:
        missing = ", ".join(sorted(required - tables)) or "the Rekall tables"
        raise ValidationError(f"{name} is not a Rekall database (missing {missing})")
    return version


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def vector_seqs(conn: sqlite3.Connection) -> set[int]:
    """The vector index ids of the stored vectors: the entries' seqs and, in a base that has
    them, their body pieces' ids."""
    seqs = {int(row[0]) for row in conn.execute("SELECT entry_seq FROM embeddings")}
    if "embedding_pieces" in _tables(conn):
        seqs |= {
            int(row[0])
            for row in conn.execute(
                f"SELECT entry_seq + (piece << {PIECE_ID_SHIFT}) FROM embedding_pieces"
            )
        }
    return seqs


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def stamp_as_successor(
    conn: sqlite3.Connection, replaced_generation: int, replaced_vector_seqs: Sequence[int]
) -> None:
    """Make a restored copy invalidate every cache of the database it replaces.

    A new identity, a generation past the replaced one with every vector stamped at it, and
    tombstones for vectors the replaced database had and this one has not: a reader that
    catches up from the old generation then holds exactly this database's vectors.
    """
    generation = max(read_generation(conn), replaced_generation) + 1
    conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (generation,))
    conn.execute("UPDATE meta SET value = abs(random()) WHERE key = 'uid'")
    rotate_token(conn)
    conn.execute("UPDATE embeddings SET generation = ?", (generation,))
    if "embedding_pieces" in _tables(conn):
        conn.execute("UPDATE embedding_pieces SET generation = ?", (generation,))
    present = vector_seqs(conn)
    conn.executemany(
        "INSERT OR REPLACE INTO vector_tombstones (entry_seq, generation) VALUES (?, ?)",
        [(seq, generation) for seq in replaced_vector_seqs if seq not in present],
    )


def orphan_vectors(conn: sqlite3.Connection) -> int:
    """Stored vectors whose entry no longer exists."""
    row = conn.execute(
        "SELECT count(*) FROM embeddings WHERE entry_seq NOT IN (SELECT seq FROM entries)"
    ).fetchone()
    return int(row[0])


def delete_orphan_vectors(conn: sqlite3.Connection) -> None:
    """Drop vectors whose entry no longer exists (derived data only)."""
    conn.execute("DELETE FROM embeddings WHERE entry_seq NOT IN (SELECT seq FROM entries)")


def is_empty(conn: sqlite3.Connection) -> bool:
    """True when the base holds no entry."""
    return conn.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is None


def refresh_statistics(conn: sqlite3.Connection) -> None:
    """Nothing to do: Rekall never runs ANALYZE on SQLite, whose planner then keeps to fixed
    rules that cannot go stale, and its searches read the in-process index and FTS5."""
    del conn


def meta_value(conn: sqlite3.Connection, key: str) -> int | None:
    """A small integer setting kept in the meta table, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else int(row[0])


def set_meta_value(conn: sqlite3.Connection, key: str, value: int) -> None:
    """Set a small integer setting in the meta table."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def match_page_size(source: sqlite3.Connection, dest: sqlite3.Connection) -> None:
    """Give source dest's page size: copying into a WAL database needs equal page sizes."""
    wanted = int(dest.execute("PRAGMA page_size").fetchone()[0])
    if int(source.execute("PRAGMA page_size").fetchone()[0]) == wanted:
        return
    # The page size of a WAL database cannot change; VACUUM applies it in rollback mode.
    source.execute("PRAGMA journal_mode = DELETE")
    source.execute(f"PRAGMA page_size = {wanted}")
    source.execute("VACUUM")
