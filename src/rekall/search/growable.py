"""An owned, growable float32 matrix of rows keyed by id: cheap single-row writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only (see bert_math)
    import numpy.typing as npt

    IdArray = npt.NDArray[np.int64]
    Matrix = npt.NDArray[np.float32]


class GrowableRows:
    """Rows addressed by id; replace in place, append with 1/8 spare, delete by moving the last."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._ids: IdArray = np.empty(0, dtype=np.int64)
        self._matrix: Matrix = np.empty((0, dimensions), dtype=np.float32)
        self._count = 0
        self._rows: dict[int, int] = {}

    def __len__(self) -> int:
        return self._count

    def __contains__(self, key: int) -> bool:
        return key in self._rows

    def view(self) -> tuple[IdArray, Matrix]:
        """The live ids and rows (views: later writes change them)."""
        return self._ids[: self._count], self._matrix[: self._count]

    def upsert(self, ids: IdArray, matrix: Matrix) -> None:
        """Add or replace rows; ids must be distinct."""
        found = np.asarray([self._rows.get(key, -1) for key in ids.tolist()], dtype=np.intp)
        is_new = found < 0
        self._matrix[found[~is_new]] = matrix[~is_new]
        added = int(is_new.sum())
        self._reserve(self._count + added)
        start = self._count
        self._matrix[start : start + added] = matrix[is_new]
        self._ids[start : start + added] = ids[is_new]
        for offset, key in enumerate(ids[is_new].tolist()):
            self._rows[key] = start + offset
        self._count += added

    def delete(self, ids: IdArray) -> None:
        """Remove rows by id; unknown ids are ignored."""
        for key in dict.fromkeys(ids.tolist()):
            row = self._rows.pop(key, None)
            if row is None:
                continue
            last = self._count - 1
            if row != last:
                moved = int(self._ids[last])
                self._matrix[row] = self._matrix[last]
                self._ids[row] = moved
                self._rows[moved] = row
            self._count = last

    def _reserve(self, needed: int) -> None:
        """Grow by 1/8 beyond what is needed: doubling would hold twice the rows for nothing."""
        if needed <= self._ids.size:
            return
        capacity = max(needed + needed // 8, 16)
        ids = np.empty(capacity, dtype=np.int64)
        matrix = np.empty((capacity, self.dimensions), dtype=np.float32)
        ids[: self._count] = self._ids[: self._count]
        matrix[: self._count] = self._matrix[: self._count]
        self._ids, self._matrix = ids, matrix
