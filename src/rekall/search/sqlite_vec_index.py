"""Vector index on sqlite-vec's vec0 table, in its own derived database file beside the main one."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rekall.core.errors import StorageError
from rekall.core.pieces import PIECE_ID_SHIFT
from rekall.search.best_of import with_pieces
from rekall.search.sqlite_vec_driver import (
    find_vec_driver,
    open_vec_connection,
)
from rekall.search.vectors import Hit, as_ids, as_matrix, as_query, latest_rows

# sqlite-vec 0.1.9 refuses a KNN `k` above this; larger requests take the exact scan.
KNN_LIMIT = 4096
_TABLE = "vec_items"
# (lineage, generation) of the main database the index reflects; None where unknown.
BuiltState = tuple[str | None, int | None]


class SqliteVecIndex:
    """Exact cosine search by sqlite-vec; vectors live on disk, not in this process's memory."""

    name = "sqlite-vec"

    def __init__(self, path: Path, dimensions: int) -> None:
        """Raises StorageError if sqlite-vec is unavailable or the file cannot be opened."""
        self.path = path
        self.dimensions = dimensions
        self._lock = threading.RLock()
        self._connection = open_vec_connection(path)
        module, _ = find_vec_driver()
        self._error: type[Exception] = getattr(module, "Error", Exception)
        try:
            with self._write():
                self._ensure_schema()
        except StorageError:
            self._connection.close()
            raise

    def __len__(self) -> int:
        with self._read():
            return int(self._connection.execute(f"SELECT count(*) FROM {_TABLE}").fetchone()[0])

    def built_generation(self) -> int | None:
        """The main database generation this index was last brought up to, if recorded."""
        return self.built_state()[1]

    def built_state(self) -> BuiltState:
        """(lineage, generation) of the main database this index reflects; None if unknown."""
        with self._read():
            return self._state()

    def set_built_generation(self, generation: int | None, lineage: str | None = None) -> None:
        """Record which main database generation (and lineage) the index now reflects."""
        with self._write():
            self._connection.execute(
                "UPDATE vec_meta SET generation = ?, lineage = ?", (generation, lineage)
            )

    def apply_changes(
        self,
        removed: npt.ArrayLike,
        ids: npt.ArrayLike,
        vectors: npt.ArrayLike,
        expected: BuiltState,
        reached: BuiltState,
    ) -> bool:
        """Delete `removed`, upsert `ids`, and move from `expected` to `reached` state, at once.

        Compare-and-set: nothing is written, and False returned, when the index is no longer
        at `expected` (another process caught up first, perhaps past these changes).

        Raises:
            ValueError: the shapes disagree.
            StorageError: the index cannot be written.
        """
        id_array, matrix = latest_rows(ids, vectors, self.dimensions)
        with self._write():
            if self._state() != expected:
                return False
            self._delete_rows(np.unique(as_ids(removed)))
            self._delete_rows(id_array)
            self._insert_rows(id_array, matrix)
            self._set_state(reached)
        return True

    def upsert(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Add or replace vectors; a later duplicate id wins.

        Raises:
            ValueError: the shapes disagree.
            StorageError: the index cannot be written.
        """
        id_array, matrix = latest_rows(ids, vectors, self.dimensions)
        with self._write():
            self._delete_rows(id_array)
            self._insert_rows(id_array, matrix)

    def delete(self, ids: npt.ArrayLike) -> None:
        """Remove these ids; unknown ids are ignored.

        Raises:
            StorageError: the index cannot be written.
        """
        id_array = np.unique(as_ids(ids))
        with self._write():
            self._delete_rows(id_array)

    def rebuild(
        self,
        ids: npt.ArrayLike,
        vectors: npt.ArrayLike,
        generation: int | None = None,
        lineage: str | None = None,
    ) -> None:
        """Replace everything and record (lineage, generation) (None: unknown), at once.

        Raises:
            ValueError: the shapes disagree or an id repeats.
            StorageError: the index cannot be written.
        """
        self.rebuild_if(ids, vectors, None, (lineage, generation))

    def rebuild_if(
        self,
        ids: npt.ArrayLike,
        vectors: npt.ArrayLike,
        expected: BuiltState | None,
        reached: BuiltState,
    ) -> bool:
        """rebuild() only while the index is in the `expected` state (None: any).

        Compare-and-set: False, and nothing changed, when another process moved it first.

        Raises:
            ValueError: the shapes disagree or an id repeats.
            StorageError: the index cannot be written.
        """
        id_array = as_ids(ids)
        matrix = as_matrix(vectors, self.dimensions, id_array.size)
        if np.unique(id_array).size != id_array.size:
            raise ValueError("ids must be unique")
        with self._write():
            if expected is not None and self._state() != expected:
                return False
            self._connection.execute(f"DROP TABLE IF EXISTS {_TABLE}")
            self._create_table()
            self._insert_rows(id_array, matrix)
            self._set_state(reached)
        return True

    def search(
        self, query: npt.ArrayLike, k: int, allowed: npt.ArrayLike | None = None
    ) -> list[Hit]:
        """The `k` most similar ids among `allowed` (all if None), best first, ties by id.

        The `allowed` ids constrain sqlite-vec's scan itself (`rowid IN`), so filtering happens
        before the top-k and a filtered search still returns k hits when k are allowed.

        Raises:
            ValueError: the query has the wrong number of dimensions.
            StorageError: the index cannot be read.
        """
        blob = as_query(query, self.dimensions).tobytes()
        if k <= 0 or (allowed is not None and not as_ids(allowed).size):
            return []
        with self._read():
            where, arguments = self._allowed_clause(allowed)
            if k < KNN_LIMIT:
                rows = self._connection.execute(
                    f"SELECT rowid, distance FROM {_TABLE} WHERE embedding MATCH ? AND k = ?"
                    f"{where} ORDER BY distance",
                    [blob, k + 1, *arguments],
                ).fetchall()
                # One row past k tells whether a tie straddles the cut; only then is the scan
                # needed to break it by id.
                if len(rows) <= k or rows[k][1] != rows[k - 1][1]:
                    return _to_hits(rows[:k])
            rows = self._connection.execute(
                f"SELECT rowid, vec_distance_cosine(embedding, ?) AS distance FROM {_TABLE}"
                f" WHERE 1{where} ORDER BY distance, rowid LIMIT ?",
                [blob, *arguments, k],
            ).fetchall()
        return _to_hits(rows)

    def _allowed_clause(self, allowed: npt.ArrayLike | None) -> tuple[str, list[str]]:
        """The rowid constraint for `allowed` entries: theirs and their pieces' ids, up to the
        highest piece number the index holds (the largest id carries it)."""
        if allowed is None:
            return "", []
        top = self._connection.execute(f"SELECT max(rowid) FROM {_TABLE}_rowids").fetchone()[0]
        pieces = int(top or 0) >> PIECE_ID_SHIFT
        allowed_ids = np.unique(with_pieces(as_ids(allowed), pieces))
        return " AND rowid IN (SELECT value FROM json_each(?))", [json.dumps(allowed_ids.tolist())]

    def close(self) -> None:
        """Close the connection; the file stays for the next process."""
        with self._lock:
            self._connection.close()

    def _ensure_schema(self) -> None:
        connection = self._connection
        connection.execute(
            "CREATE TABLE IF NOT EXISTS vec_meta (id INTEGER PRIMARY KEY CHECK (id = 1),"
            " dimensions INTEGER NOT NULL, generation INTEGER, lineage TEXT)"
        )
        columns = {str(row[1]) for row in connection.execute("PRAGMA table_info(vec_meta)")}
        row = connection.execute("SELECT dimensions FROM vec_meta").fetchone()
        if "lineage" in columns and row is not None and int(row[0]) == self.dimensions:
            self._create_table()
            return
        # Another dimension count means another model, and a file without a lineage cannot
        # say which database history it reflects: either way the old vectors are useless.
        connection.execute(f"DROP TABLE IF EXISTS {_TABLE}")
        connection.execute("DROP TABLE vec_meta")
        connection.execute(
            "CREATE TABLE vec_meta (id INTEGER PRIMARY KEY CHECK (id = 1),"
            " dimensions INTEGER NOT NULL, generation INTEGER, lineage TEXT)"
        )
        connection.execute(
            "INSERT INTO vec_meta (id, dimensions, generation, lineage) VALUES (1, ?, NULL, NULL)",
            (self.dimensions,),
        )
        self._create_table()

    def _state(self) -> BuiltState:
        row = self._connection.execute("SELECT lineage, generation FROM vec_meta").fetchone()
        if row is None:
            return None, None
        return (None if row[0] is None else str(row[0])), (None if row[1] is None else int(row[1]))

    def _set_state(self, state: BuiltState) -> None:
        lineage, generation = state
        self._connection.execute(
            "UPDATE vec_meta SET lineage = ?, generation = ?", (lineage, generation)
        )

    def _create_table(self) -> None:
        self._connection.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {_TABLE} USING vec0("
            f"embedding float[{self.dimensions}] distance_metric=cosine)"
        )

    def _delete_rows(self, ids: npt.NDArray[np.int64]) -> None:
        self._connection.executemany(
            f"DELETE FROM {_TABLE} WHERE rowid = ?", [(key,) for key in ids.tolist()]
        )

    def _insert_rows(self, ids: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32]) -> None:
        self._connection.executemany(
            f"INSERT INTO {_TABLE} (rowid, embedding) VALUES (?, ?)",
            zip(ids.tolist(), (row.tobytes() for row in matrix), strict=True),
        )

    @contextlib.contextmanager
    def _read(self) -> Iterator[None]:
        with self._lock:
            try:
                yield
            except self._error as error:
                raise StorageError(f"cannot read the vector index {self.path}: {error}") from error

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        with self._lock:
            try:
                self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    self._connection.execute("ROLLBACK")
                    raise
                self._connection.execute("COMMIT")
            except self._error as error:
                raise StorageError(f"cannot write the vector index {self.path}: {error}") from error


def _to_hits(rows: list[tuple[int, float]]) -> list[Hit]:
    """Cosine distance to similarity, ordered by score then id as the numpy backend does."""
    hits = [(int(rowid), 1.0 - float(distance)) for rowid, distance in rows]
    return sorted(hits, key=lambda hit: (-hit[1], hit[0]))
