"""Keeping a vector index in step with the database, by write generation, across processes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rekall.core.errors import StorageError
from rekall.search import snapshot
from rekall.storage import embeddings_repo
from rekall.storage.connection import read_generation, read_uid
from rekall.storage.database import Database
from rekall.storage.embeddings_repo import StoredVector

if TYPE_CHECKING:
    from rekall.search.vectors import VectorIndex

SNAPSHOT_NAME = "vectors"
# Rewrite the snapshot when this many rows changed since it was taken (or more than 2%).
SNAPSHOT_REWRITE_ROWS = 256


def stack(rows: list[StoredVector], dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    """ids and a float32 matrix from stored rows."""
    ids = np.fromiter((row.seq for row in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(row.blob for row in rows), dtype=np.float32)
    return ids, matrix.reshape(len(rows), dimensions)


class VectorSync:
    """An index plus the generation it reflects; refresh() applies what changed since.

    Every write bumps the database's generation and stamps the vectors it writes with it, and
    deleted vectors leave a tombstone with theirs; so whichever process wrote, a reader at
    generation G catches up with two indexed queries instead of a reload, and never serves a
    vector from before an edit.
    """

    def __init__(
        self,
        db: Database,
        index: VectorIndex,
        model_id: str,
        dimensions: int,
        snapshot_dir: Path | None,
    ) -> None:
        self.db = db
        self.index = index
        self.model_id = model_id
        self.dimensions = dimensions
        self.snapshot_dir = snapshot_dir
        self.generation = -1
        self.loaded_from = "nothing yet"
        self._snapshot_generation = -1
        self.snapshot_error = ""

    def refresh(self) -> None:
        """Bring the index up to the database's current generation."""
        current = self.db.generation()
        if current == self.generation:
            return
        if self.generation < 0 and not (self._resume_persistent() or self._start_from_snapshot()):
            self._load_all()
        else:
            self._apply_changes()
        self._record_persistent()

    def discard_persisted(self) -> None:
        """Forget the on-disk state (snapshot, built generation) so refresh() reloads all."""
        if self.snapshot_dir is not None:
            snapshot.delete_snapshot(self.snapshot_dir, SNAPSHOT_NAME)
        setter = getattr(self.index, "set_built_generation", None)
        if setter is not None:
            setter(None)
        self.generation = -1

    def _resume_persistent(self) -> bool:
        """An index that lives on disk (sqlite-vec) resumes from the generation it was built at."""
        built = getattr(self.index, "built_generation", None)
        generation = built() if built is not None else None
        if generation is None or generation > self.db.generation():
            return False
        self.generation = generation
        self.loaded_from = "index file"
        return True

    def _record_persistent(self) -> None:
        setter = getattr(self.index, "set_built_generation", None)
        if setter is not None:
            setter(self.generation)

    def _stamp(self) -> str:
        with self.db.read() as conn:
            return f"{self.model_id}@{read_uid(conn)}"

    def _start_from_snapshot(self) -> bool:
        if self.snapshot_dir is None:
            return False
        stamp = self._stamp()
        found = snapshot.peek_generation(self.snapshot_dir, SNAPSHOT_NAME)
        if found is None or found > self.db.generation():
            return False
        arrays = snapshot.load_snapshot(
            self.snapshot_dir, SNAPSHOT_NAME, found, stamp, self.dimensions
        )
        if arrays is None:
            return False
        self.index.rebuild(*arrays)
        self.generation = self._snapshot_generation = found
        self.loaded_from = "snapshot"
        return True

    def _load_all(self) -> None:
        with self.db.read() as conn:
            generation = read_generation(conn)
            stamp = f"{self.model_id}@{read_uid(conn)}"
            ids, matrix = self._read_matrix(conn)
        self.index.rebuild(ids, matrix)
        self.generation = generation
        self.loaded_from = "database"
        self._save_snapshot(stamp, ids, matrix)

    def _read_matrix(self, conn: sqlite3.Connection) -> tuple[np.ndarray, np.ndarray]:
        """All vectors of the model, filled row by row: no second copy of the matrix."""
        count = embeddings_repo.count_vectors(conn).get(self.model_id, 0)
        ids = np.empty(count, dtype=np.int64)
        matrix = np.empty((count, self.dimensions), dtype=np.float32)
        for row, stored in enumerate(embeddings_repo.vectors_for_model(conn, self.model_id)):
            ids[row] = stored.seq
            matrix[row] = np.frombuffer(stored.blob, dtype=np.float32)
        return ids, matrix

    def _apply_changes(self) -> None:
        with self.db.read() as conn:
            generation = read_generation(conn)
            changed, removed = embeddings_repo.vectors_changed_since(
                conn, self.model_id, self.generation
            )
            stamp = f"{self.model_id}@{read_uid(conn)}"
        if removed:
            self.index.delete(np.asarray(removed, dtype=np.int64))
        if changed:
            self.index.upsert(*stack(changed, self.dimensions))
        self.generation = generation
        if self._snapshot_is_behind(len(changed) + len(removed)):
            self._save_snapshot(stamp, *self._index_arrays())

    def save_if_changed(self) -> None:
        """Write a snapshot of the current index if the saved one is older."""
        if self._snapshot_generation != self.generation and hasattr(self.index, "arrays"):
            with self.db.read() as conn:
                stamp = f"{self.model_id}@{read_uid(conn)}"
            self._save_snapshot(stamp, *self._index_arrays())

    def _snapshot_is_behind(self, changed_rows: int) -> bool:
        if self.snapshot_dir is None or not hasattr(self.index, "arrays"):
            return False
        threshold = max(SNAPSHOT_REWRITE_ROWS, len(self.index) // 50)
        return self._snapshot_generation < 0 or changed_rows >= threshold

    def _index_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        ids, matrix = self.index.arrays()  # type: ignore[attr-defined]
        return ids, matrix

    def _save_snapshot(self, stamp: str, ids: np.ndarray, matrix: np.ndarray) -> None:
        if self.snapshot_dir is None or not hasattr(self.index, "arrays") or ids.size == 0:
            return
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
        # Search from the mapped file rather than a private copy: the pages are the OS's to
        # reclaim and are shared by every process that maps the same snapshot.
        mapped = snapshot.load_snapshot(
            self.snapshot_dir, SNAPSHOT_NAME, self.generation, stamp, self.dimensions
        )
        if mapped is not None:
            self.index.rebuild(*mapped)
