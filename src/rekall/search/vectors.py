"""Vector index interface and the exact numpy backend over one contiguous float32 matrix."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rekall.search.best_of import entry_of
from rekall.search.growable import GrowableRows

if TYPE_CHECKING:  # annotations only (see bert_math)
    import numpy.typing as npt

    IdArray = npt.NDArray[np.int64]
    Matrix = npt.NDArray[np.float32]
Hit = tuple[int, float]


class VectorIndex(Protocol):
    """What every vector backend offers; ids are int64 entry row numbers (a body piece's has
    its number above the seq's bits, see core/pieces.py), scores are cosines; `allowed`
    names entries, and lets through their pieces too."""

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


def latest_rows(
    ids: npt.ArrayLike, vectors: npt.ArrayLike, dimensions: int
) -> tuple[IdArray, Matrix]:
    """Ids and their vectors checked and deduplicated, a later duplicate id winning.

    Raises:
        ValueError: the shapes disagree.
    """
    id_array = as_ids(ids)
    matrix = as_matrix(vectors, dimensions, id_array.size)
    keep = last_occurrences(id_array)
    return id_array[keep], matrix[keep]


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
    """Exact cosine search over a borrowed base matrix plus a small owned tail.

    The base (e.g. a memory-mapped snapshot) is never written or copied: a row that changes is
    marked dead in the base and its new vector goes to the tail, so a process that catches up
    on a few writes does not duplicate a matrix of tens of megabytes. The tail is folded into
    a fresh owned base only when it grows past a quarter of the base.
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
        self.rebuild(
            np.empty(0) if ids is None else ids,
            np.empty((0, dimensions)) if vectors is None else vectors,
        )

    def __len__(self) -> int:
        return self._base_ids.size - self._dead + len(self._tail)

    def arrays(self) -> tuple[IdArray, Matrix]:
        """The live ids and matrix (e.g. to save a snapshot), safe from later writes.

        An untouched base is returned as it is (this index never writes to it); otherwise the
        live rows are gathered into new arrays.
        """
        with self._lock:
            if self._dead == 0 and not len(self._tail):
                return self._base_ids, self._base
            tail_ids, tail_matrix = self._tail.view()
            live = self._live_rows()
            return (
                np.concatenate([self._base_ids[live], tail_ids]),
                np.concatenate([self._base[live], tail_matrix]),
            )

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
            self._base_ids, self._base = id_array, matrix
            self._alive: npt.NDArray[np.bool_] | None = None
            self._dead = 0
            self._base_rows: dict[int, int] | None = None
            self._tail = GrowableRows(self.dimensions)

    def upsert(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Add new ids and replace the vectors of existing ones; a later duplicate wins.

        Raises:
            ValueError: the shapes disagree.
        """
        id_array, matrix = latest_rows(ids, vectors, self.dimensions)
        if id_array.size == 0:
            return
        with self._lock:
            self._kill_base_rows(id_array)
            self._tail.upsert(id_array, matrix)
            self._fold_tail_if_large()

    def delete(self, ids: npt.ArrayLike) -> None:
        """Remove these ids; unknown ids are ignored."""
        id_array = as_ids(ids)
        with self._lock:
            self._kill_base_rows(id_array)
            self._tail.delete(id_array)

    def search(
        self, query: npt.ArrayLike, k: int, allowed: npt.ArrayLike | None = None
    ) -> list[Hit]:
        """The `k` most similar ids among `allowed` (all if None), best first.

        Raises:
            ValueError: the query has the wrong number of dimensions.
        """
        vector = as_query(query, self.dimensions)
        with self._lock:
            if k <= 0 or len(self) == 0:
                return []
            allowed_ids = None if allowed is None else as_ids(allowed)
            base_ids, base_scores = self._scored(
                self._base_ids, self._base, vector, allowed_ids, self._alive
            )
            tail_ids, tail_scores = self._scored(*self._tail.view(), vector, allowed_ids, None)
            if not tail_ids.size:
                return top_k(base_ids, base_scores, k)
            return top_k(
                np.concatenate([base_ids, tail_ids]), np.concatenate([base_scores, tail_scores]), k
            )

    def close(self) -> None:
        """Drop the arrays (releasing a borrowed memmap)."""
        self.rebuild(np.empty(0, dtype=np.int64), np.empty((0, self.dimensions), np.float32))

    @staticmethod
    def _scored(
        ids: IdArray,
        matrix: Matrix,
        vector: Matrix,
        allowed: IdArray | None,
        alive: npt.NDArray[np.bool_] | None,
    ) -> tuple[IdArray, Matrix]:
        """Ids and scores of the rows that are alive and allowed."""
        if allowed is None and alive is None:
            return ids, matrix @ vector
        keep = np.ones(ids.size, dtype=bool) if alive is None else alive.copy()
        if allowed is not None:
            keep &= np.isin(entry_of(ids), allowed)
        rows = np.flatnonzero(keep)
        # Few rows: score only those; many: one pass over the whole matrix is cheaper.
        small = rows.size * 4 < ids.size
        return ids[rows], (matrix[rows] @ vector if small else (matrix @ vector)[rows])

    def _kill_base_rows(self, ids: IdArray) -> None:
        if self._base_rows is None:
            self._base_rows = dict(
                zip(self._base_ids.tolist(), range(self._base_ids.size), strict=True)
            )
        for key in ids.tolist():
            row = self._base_rows.pop(key, None)
            if row is not None:
                if self._alive is None:
                    self._alive = np.ones(self._base_ids.size, dtype=bool)
                self._alive[row] = False
                self._dead += 1

    def _live_rows(self) -> npt.NDArray[np.intp]:
        if self._alive is None:
            return np.arange(self._base_ids.size)
        return np.flatnonzero(self._alive)

    def _fold_tail_if_large(self) -> None:
        if len(self._tail) > max(1024, self._base_ids.size // 4):
            self.rebuild(*self.arrays())
