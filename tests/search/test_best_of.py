"""An entry scored by its best vector: exact against scoring every entry, over both indexes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rekall.core.pieces import PIECE_MARGIN, SEQ_MASK, piece_row_id
from rekall.search.best_of import best_per_entry
from rekall.search.sqlite_vec_driver import sqlite_vec_status
from rekall.search.vectors import NumpyIndex, VectorIndex

DIMS = 384


def made_rows() -> tuple[np.ndarray, np.ndarray]:
    """300 entries, a third with 1-6 pieces each; unit vectors."""
    rng = np.random.default_rng(7)
    ids = []
    for seq in range(1, 301):
        ids.append(seq)
        if seq % 3 == 0:
            ids += [piece_row_id(seq, n) for n in range(1, 1 + seq % 7)]
    matrix = rng.standard_normal((len(ids), DIMS)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(ids, dtype=np.int64), matrix


def brute_force(ids: np.ndarray, matrix: np.ndarray, query: np.ndarray, allowed: set[int] | None):
    best: dict[int, float] = {}
    for row_id, score in zip(ids.tolist(), (matrix @ query).tolist(), strict=True):
        seq = row_id & SEQ_MASK
        if allowed is None or seq in allowed:
            best[seq] = max(best.get(seq, -2.0), score - (PIECE_MARGIN if row_id != seq else 0))
    return sorted(best.items(), key=lambda hit: (-hit[1], hit[0]))


def indexes(tmp_path: Path) -> list[VectorIndex]:
    made: list[VectorIndex] = [NumpyIndex(DIMS)]
    if sqlite_vec_status()[0]:
        from rekall.search.sqlite_vec_index import SqliteVecIndex

        made.append(SqliteVecIndex(tmp_path / "vec.db", DIMS))
    return made


@pytest.mark.parametrize("k", [1, 10, 50, 400])
def test_each_entry_once_with_its_best_score_exactly(tmp_path: Path, k: int) -> None:
    ids, matrix = made_rows()
    rng = np.random.default_rng(k)
    allowed = set(range(1, 301, 2)) | set(range(3, 301, 9))
    for index in indexes(tmp_path):
        index.rebuild(ids, matrix)
        for _ in range(3):
            query = matrix[rng.integers(len(ids))]
            for only in (None, allowed):
                mask = None if only is None else np.asarray(sorted(only), dtype=np.int64)
                found = best_per_entry(index.search, query, k, mask, len(index))
                expected = brute_force(ids, matrix, query, only)[:k]
                assert [seq for seq, _ in found] == [seq for seq, _ in expected], index.name
                assert [s for _, s in found] == pytest.approx([s for _, s in expected], abs=1e-5)
        index.close()


def test_fifty_entries_each_with_a_piece_just_below_are_found_in_one_scan() -> None:
    # Hybrid search asks for 50 candidates; a long entry's pieces often score next to it,
    # and each further fetch scores every row of the index again.
    ids, scores = [], []
    for seq in range(1, 121):
        ids += [seq, piece_row_id(seq, 1)]
        scores += [0.9 - seq * 1e-3, 0.9 - seq * 1e-3 - 1e-4]
    scans: list[int] = []

    def search(vector: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        scans.append(k)
        return list(zip(ids, scores, strict=True))[:k]

    found = best_per_entry(search, np.zeros(DIMS, np.float32), 50, None, len(ids))
    assert [seq for seq, _ in found] == list(range(1, 51))
    assert len(scans) == 1, scans
