"""Vector index interface and the exact numpy backend over one contiguous float32 matrix."""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np
import numpy.typing as npt

IdArray = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]
Hit = tuple[int, float]


class VectorIndex(Protocol):
    """What every vector backend offers; ids are int64 entry row numbers, scores are cosines."""

    name: str

    def __len__(self) -> int: ...

    def upsert(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None: ...

    def delete(self, ids: npt.ArrayLike) -> None: ...

    def search(
        self, query: npt.ArrayLike, k: int, allowed: npt.ArrayLike | None = None
    ) -> list[Hit]: ...

    def rebuild(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None: ...

    def close(self) -> None: ...


def as_ids(ids: npt.ArrayLike) -> IdArray:
    """Return `ids` as a 1-D int64 array.

    Raises:
        ValueError: the ids are not one-dimensional.
    """
    array = np.asarray(ids, dtype=np.int64)
    if array.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {array.shape}")
    return array


def as_matrix(vectors: npt.ArrayLike, dimensions: int, rows: int) -> Matrix:
    """Return `vectors` as a C-contiguous float32 (rows, dimensions) matrix, copying only if needed.

    Raises:
        ValueError: the shape does not match.
    """
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1 and rows == 1:
        matrix = matrix.reshape(1, -1)
    if matrix.shape != (rows, dimensions):
        raise ValueError(f"expected vectors of shape ({rows}, {dimensions}), got {matrix.shape}")
    return np.ascontiguousarray(matrix)


def as_query(query: npt.ArrayLike, dimensions: int) -> Matrix:
    """Return `query` as a 1-D float32 vector.

    Raises:
        ValueError: the query does not have `dimensions` values.
    """
    vector = np.asarray(query, dtype=np.float32).reshape(-1)
    if vector.shape != (dimensions,):
        raise ValueError(f"query must have {dimensions} values, got {vector.size}")
    return vector


def last_occurrences(ids: IdArray) -> npt.NDArray[np.intp]:
    """Positions of the last occurrence of each distinct id, so a later duplicate wins."""
    _, first_in_reversed = np.unique(ids[::-1], return_index=True)
    return np.sort(ids.size - 1 - first_in_reversed)


def _strictly_increasing(ids: IdArray) -> bool:
    """Cheap uniqueness proof for the common case of ids read in primary-key order."""
    return ids.size < 2 or bool(np.all(ids[1:] > ids[:-1]))


def top_k(ids: IdArray, scores: Matrix, k: int) -> list[Hit]:
    """The `k` best (id, score) pairs: score descending, ties broken by id ascending."""
    if k <= 0 or ids.size == 0:
        return []
    if k < ids.size:
        # Keep every candidate tied with the k-th score so the tie-break by id is exact.
        threshold = np.partition(scores, ids.size - k)[ids.size - k]
        keep = np.flatnonzero(scores >= threshold)
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:k]
    return list(zip(ids[order].tolist(), scores[order].tolist(), strict=True))


class NumpyIndex:
    """Exact cosine search over a float32 matrix held in memory (or borrowed, e.g. a memmap).

    Arrays passed in are never modified: they are borrowed until the first write, which copies
    them into owned storage with spare capacity (copy-on-write), so a read-only snapshot costs
    nothing to open.
    """

    name = "numpy"

    def __init__(
        self,
        dimensions: int,
        ids: npt.ArrayLike | None = None,
        vectors: npt.ArrayLike | None = None,
    ) -> None:
        """Raises ValueError if the shapes disagree or an id repeats."""
        self.dimensions = dimensions
        self._lock = threading.RLock()
        self._ids: IdArray = np.empty(0, dtype=np.int64)
        self._matrix: Matrix = np.empty((0, dimensions), dtype=np.float32)
        self._count = 0
        self._owned = True
        self._rows: dict[int, int] | None = None
        if ids is not None or vectors is not None:
            self.rebuild(
                np.empty(0) if ids is None else ids,
                np.empty((0, dimensions)) if vectors is None else vectors,
            )

    def __len__(self) -> int:
        return self._count

    def arrays(self) -> tuple[IdArray, Matrix]:
        """The live ids and matrix (e.g. to save a snapshot), safe from later writes.

        Borrowed arrays are returned as they are (this index never writes to them); owned
        storage is copied, since a later upsert or delete would change it in place.
        """
        with self._lock:
            ids, matrix = self._ids[: self._count], self._matrix[: self._count]
            return (ids.copy(), matrix.copy()) if self._owned else (ids, matrix)

    def rebuild(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Replace everything; the arrays are borrowed, not copied.

        Raises:
            ValueError: the shapes disagree or an id repeats.
        """
        id_array = as_ids(ids)
        matrix = as_matrix(vectors, self.dimensions, id_array.size)
        if not _strictly_increasing(id_array) and np.unique(id_array).size != id_array.size:
            raise ValueError("ids must be unique")
        with self._lock:
            self._ids, self._matrix = id_array, matrix
            self._count = id_array.size
            self._owned = False
            self._rows = None

    def upsert(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Add new ids and replace the vectors of existing ones; a later duplicate wins.

        Raises:
            ValueError: the shapes disagree.
        """
        id_array = as_ids(ids)
        matrix = as_matrix(vectors, self.dimensions, id_array.size)
        if id_array.size == 0:
            return
        keep = last_occurrences(id_array)
        id_array, matrix = id_array[keep], matrix[keep]
        with self._lock:
            rows = self._row_map()
            found = [rows.get(key, -1) for key in id_array.tolist()]
            existing = np.asarray(found, dtype=np.intp)
            is_new = existing < 0
            self._reserve(self._count + int(is_new.sum()))
            self._matrix[existing[~is_new]] = matrix[~is_new]
            start, added = self._count, int(is_new.sum())
            self._matrix[start : start + added] = matrix[is_new]
            self._ids[start : start + added] = id_array[is_new]
            for offset, key in enumerate(id_array[is_new].tolist()):
                rows[key] = start + offset
            self._count += added

    def delete(self, ids: npt.ArrayLike) -> None:
        """Remove these ids; unknown ids are ignored. The last row fills each hole."""
        id_array = as_ids(ids)
        with self._lock:
            rows = self._row_map()
            doomed = [key for key in dict.fromkeys(id_array.tolist()) if key in rows]
            if not doomed:
                return
            self._reserve(self._count)
            for key in doomed:
                row = rows.pop(key)
                last = self._count - 1
                if row != last:
                    moved = int(self._ids[last])
                    self._matrix[row] = self._matrix[last]
                    self._ids[row] = moved
                    rows[moved] = row
                self._count = last

    def search(
        self, query: npt.ArrayLike, k: int, allowed: npt.ArrayLike | None = None
    ) -> list[Hit]:
        """The `k` most similar ids among `allowed` (all if None), best first.

        Raises:
            ValueError: the query has the wrong number of dimensions.
        """
        vector = as_query(query, self.dimensions)
        with self._lock:
            ids, matrix = self._ids[: self._count], self._matrix[: self._count]
            if k <= 0 or ids.size == 0:
                return []
            if allowed is None:
                return top_k(ids, matrix @ vector, k)
            rows = np.flatnonzero(np.isin(ids, as_ids(allowed)))
            # Few rows: score only those; many: one pass over the whole matrix is cheaper.
            small = rows.size * 4 < ids.size
            scores = matrix[rows] @ vector if small else (matrix @ vector)[rows]
            return top_k(ids[rows], scores, k)

    def close(self) -> None:
        """Drop the arrays (releasing a borrowed memmap)."""
        self.rebuild(np.empty(0, dtype=np.int64), np.empty((0, self.dimensions), np.float32))

    def _row_map(self) -> dict[int, int]:
        if self._rows is None:
            live = self._ids[: self._count].tolist()
            self._rows = dict(zip(live, range(self._count), strict=True))
        return self._rows

    def _reserve(self, needed: int) -> None:
        """Own writable storage for at least `needed` rows, with 1/8 spare when it grows.

        Growing by 1/8 rather than doubling keeps the first write after a snapshot from
        holding twice the matrix: at 50K vectors, 86 MB instead of 154 MB.
        """
        capacity = self._ids.size
        if self._owned and needed <= capacity:
            return
        if needed > capacity:
            capacity = max(needed + needed // 8, 16)
        ids = np.empty(capacity, dtype=np.int64)
        matrix = np.empty((capacity, self.dimensions), dtype=np.float32)
        ids[: self._count] = self._ids[: self._count]
        matrix[: self._count] = self._matrix[: self._count]
        self._ids, self._matrix, self._owned = ids, matrix, True
