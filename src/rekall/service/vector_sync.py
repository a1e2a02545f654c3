"""Keeping a vector index in step with the database, by write generation, across processes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from rekall.core.errors import StorageError
from rekall.search import lineage as seen
from rekall.search import snapshot
from rekall.storage import embeddings_repo
from rekall.storage.connection import Identity, read_identity
from rekall.storage.database import Database

if TYPE_CHECKING:
    from rekall.search.sqlite_vec_index import SqliteVecIndex as PersistentIndex
    from rekall.search.vectors import VectorIndex
    from rekall.storage.vector_rows import StoredVector

SNAPSHOT_NAME = "vectors"
# Rewrite the snapshot when this many rows changed since it was taken (or more than 2%).
SNAPSHOT_REWRITE_ROWS = 256


def stack(rows: list[StoredVector], dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    """ids and a float32 matrix from stored rows."""
    ids = np.fromiter((row.seq for row in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(row.blob for row in rows), dtype=np.float32)
    return ids, matrix.reshape(len(rows), dimensions)


class VectorSync:
    """An index plus the database state it reflects; refresh() applies what changed since.

    Every write bumps the database's generation and stamps the vectors it writes with it, and
    deleted vectors leave a tombstone with theirs; so whichever process wrote, a reader at
    generation G catches up with two indexed queries instead of a reload, and never serves a
    vector from before an edit. Derived files are trusted only for the database's lineage
    (uid and token, see Identity): a restore, an index rebuild or a detected copy-back changes
    it, and they are rebuilt.
    """

    def __init__(
        self,
        db: Database,
        index: VectorIndex,
        model_id: str,
        dimensions: int,
        snapshot_dir: Path | None,
        seen_dir: Path | None = None,
    ) -> None:
        self.db = db
        self.index = index
        self.model_id = model_id
        self.dimensions = dimensions
        self.snapshot_dir = snapshot_dir
        self.seen_dir = seen_dir or snapshot_dir
        self.generation = -1
        self.lineage = ""
        self.loaded_from = "nothing yet"
        self._snapshot_generation = -1
        self.snapshot_error = ""

    def refresh(self) -> None:
        """Bring the index up to the database's current state."""
        with self.db.read() as conn:
            identity = read_identity(conn)
        if hasattr(self.index, "apply_changes"):
            self._refresh_persistent(identity)
        elif identity.lineage != self.lineage or identity.generation < self.generation:
            if not self._start_from_snapshot(identity):
                self._load_all()
        elif identity.generation != self.generation:
            self._apply_changes()

    def discard_persisted(self) -> None:
        """Forget the on-disk state (snapshot, built generation) so refresh() reloads all."""
        if self.snapshot_dir is not None:
            snapshot.delete_snapshot(self.snapshot_dir, SNAPSHOT_NAME)
        setter = getattr(self.index, "set_built_generation", None)
        if setter is not None:
            setter(None)
        self.generation, self.lineage = -1, ""

    # -- an index on disk (sqlite-vec), shared by every process -----------------------------
    def _refresh_persistent(self, identity: Identity) -> None:
        """Move the shared index to the database's state, by compare-and-set on its own.

        The file's recorded state is the truth, not this process's memory: another process
        may have moved it since. Each write names the state its changes were read from and
        fails if the file moved meanwhile; then the loop reads again.
        """
        for _attempt in range(20):
            lineage, built = self._persistent().built_state()
            if lineage == identity.lineage and built == identity.generation:
                if self.generation < 0:
                    self.loaded_from = "index file"
                self.generation, self.lineage = built, identity.lineage
                return
            if lineage == identity.lineage and built is not None and built < identity.generation:
                done = self._catch_up_persistent((lineage, built))
            else:
                done = self._rebuild_persistent((lineage, built))
            if done:
                return
            with self.db.read() as conn:
                identity = read_identity(conn)
        raise StorageError("the vector index kept changing under this process; try again")

    def _persistent(self) -> PersistentIndex:
        return cast("PersistentIndex", self.index)

    def _catch_up_persistent(self, state: tuple[str | None, int]) -> bool:
        with self.db.read() as conn:
            identity = read_identity(conn)
            changed, removed = embeddings_repo.vectors_changed_since(conn, self.model_id, state[1])
        if identity.lineage != state[0]:
            return False
        ids, matrix = stack(changed, self.dimensions)
        reached = (identity.lineage, identity.generation)
        if not self._persistent().apply_changes(removed, ids, matrix, state, reached):
            return False
        self._reached(identity, "index file" if self.generation < 0 else self.loaded_from)
        return True

    def _rebuild_persistent(self, state: tuple[str | None, int | None]) -> bool:
        with self.db.read() as conn:
            identity = read_identity(conn)
            ids, matrix = self._read_matrix(conn)
        reached = (identity.lineage, identity.generation)
        if not self._persistent().rebuild_if(ids, matrix, state, reached):
            return False
        self._reached(identity, "database")
        return True

    def _reached(self, identity: Identity, source: str) -> None:
        self.generation, self.lineage, self.loaded_from = (
            identity.generation,
            identity.lineage,
            source,
        )
        if self.seen_dir is not None:
            seen.record_seen(self.seen_dir, identity.lineage, identity.generation)

    # -- an index in memory (numpy), with its snapshot file ---------------------------------
    def _stamp(self, lineage: str) -> str:
        return f"{self.model_id}@{lineage}"

    def _start_from_snapshot(self, identity: Identity) -> bool:
        if self.snapshot_dir is None:
            return False
        found = snapshot.peek_generation(self.snapshot_dir, SNAPSHOT_NAME)
        if found is None or found > identity.generation:
            return False
        arrays = snapshot.load_snapshot(
            self.snapshot_dir, SNAPSHOT_NAME, found, self._stamp(identity.lineage), self.dimensions
        )
        if arrays is None:
            return False
        self.index.rebuild(*arrays)
        self.generation, self.lineage = found, identity.lineage
        self._snapshot_generation = found
        self.loaded_from = "snapshot"
        self._apply_changes()
        return True

    def _load_all(self) -> None:
        with self.db.read() as conn:
            identity = read_identity(conn)
            ids, matrix = self._read_matrix(conn)
        self.index.rebuild(ids, matrix)
        self.generation, self.lineage = identity.generation, identity.lineage
        self.loaded_from = "database"
        self._snapshot_generation = -1
        self._save_snapshot(ids, matrix)

    def _read_matrix(self, conn: sqlite3.Connection) -> tuple[np.ndarray, np.ndarray]:
        """All vectors of the model, body pieces included, filled row by row: no second copy
        of the matrix."""
        count = embeddings_repo.count_index_vectors(conn, self.model_id)
        ids = np.empty(count, dtype=np.int64)
        matrix = np.empty((count, self.dimensions), dtype=np.float32)
        for row, stored in enumerate(embeddings_repo.index_vectors(conn, self.model_id)):
            ids[row] = stored.seq
            matrix[row] = np.frombuffer(stored.blob, dtype=np.float32)
        return ids, matrix

    def _apply_changes(self) -> None:
        with self.db.read() as conn:
            identity = read_identity(conn)
            changed, removed = embeddings_repo.vectors_changed_since(
                conn, self.model_id, self.generation
            )
        if identity.lineage != self.lineage:
            self._load_all()  # restored or rebuilt between two reads: start over
            return
        if removed:
            self.index.delete(np.asarray(removed, dtype=np.int64))
        if changed:
            self.index.upsert(*stack(changed, self.dimensions))
        self.generation = identity.generation
        if self._snapshot_is_behind(len(changed) + len(removed)):
            self._save_snapshot(*self._index_arrays())

    def save_if_changed(self) -> None:
        """Write a snapshot of the current index if the saved one is older."""
        if self._snapshot_generation != self.generation and hasattr(self.index, "arrays"):
            self._save_snapshot(*self._index_arrays())

    def _snapshot_is_behind(self, changed_rows: int) -> bool:
        if self.snapshot_dir is None or not hasattr(self.index, "arrays"):
            return False
        threshold = max(SNAPSHOT_REWRITE_ROWS, len(self.index) // 50)
        return self._snapshot_generation < 0 or changed_rows >= threshold

    def _index_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        ids, matrix = self.index.arrays()  # type: ignore[attr-defined]
        return ids, matrix

    def _save_snapshot(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        if self.snapshot_dir is None or not hasattr(self.index, "arrays") or ids.size == 0:
            return
        stamp = self._stamp(self.lineage)
        try:
            snapshot.save_snapshot(
                self.snapshot_dir, SNAPSHOT_NAME, self.generation, stamp, ids, matrix
            )
            self._snapshot_generation = self.generation
        except StorageError as exc:
            # The snapshot only speeds up cold starts: search goes on, and stats tell why.
            self.snapshot_error = str(exc)
            self._snapshot_generation = -1
            return
        seen.record_seen(self.snapshot_dir, self.lineage, self.generation)
        # Search from the mapped file rather than a private copy: the pages are the OS's to
        # reclaim and are shared by every process that maps the same snapshot.
        mapped = snapshot.load_snapshot(
            self.snapshot_dir, SNAPSHOT_NAME, self.generation, stamp, self.dimensions
        )
        if mapped is not None:
            self.index.rebuild(*mapped)
