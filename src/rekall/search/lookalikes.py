"""Clusters of lookalike vectors: one blocked matrix product over all of them, not N searches."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

# Rows per block, so a block of scores stays near 8 MB however large the base is.
BLOCK_CELLS = 2_000_000


def similar_pairs(
    matrix: npt.NDArray[np.float32], threshold: float, workers: int | None = None
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """(rows, columns, cosines) of every ordered pair of distinct rows at or above threshold.

    The rows of matrix are L2-normalised, so a dot product is the cosine. Only the upper
    triangle is computed (half the work) and mirrored; blocks run on worker threads with one
    BLAS thread each (numpy releases the GIL in matmul), as the embedder does.
    """
    count = matrix.shape[0]
    block = max(1, BLOCK_CELLS // max(count, 1))

    def upper_pairs(start: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Any]:
        scores = matrix[start : start + block] @ matrix[start:].T
        row, col = np.nonzero(scores >= threshold)
        above = col > row  # column index is relative to start too
        return row[above] + start, col[above] + start, scores[row[above], col[above]]

    from threadpoolctl import ThreadpoolController

    with (
        ThreadpoolController().limit(limits=1, user_api="blas"),
        ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool,
    ):
        parts = list(pool.map(upper_pairs, range(0, count, block)))
    if not parts:
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float32)
    rows, cols, sims = (np.concatenate([part[i] for part in parts]) for i in range(3))
    return (
        np.concatenate([rows, cols]),
        np.concatenate([cols, rows]),
        np.concatenate([sims, sims]).astype(np.float32, copy=False),
    )


def lookalike_clusters(
    ids: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32], threshold: float
) -> list[list[tuple[int, float]]]:
    """Groups of ids, each a center and the ids at least threshold similar to it.

    Greedy: the id with the most lookalikes not yet grouped is a center, and takes them all;
    so every member is close to its center (not merely to a chain of others), and the center
    is the natural entry to keep. Each group lists (center, 1.0) then (id, cosine), closest
    first; groups come largest first.
    """
    rows, cols, sims = similar_pairs(matrix, threshold)
    order = np.lexsort((-sims, rows))
    rows, cols, sims = rows[order], cols[order], sims[order]
    degree = np.bincount(rows, minlength=len(ids))
    offsets = np.concatenate([[0], np.cumsum(degree)])
    grouped = np.zeros(len(ids), dtype=bool)
    clusters: list[list[tuple[int, float]]] = []
    for center in np.lexsort((np.arange(len(ids)), -degree)):
        if degree[center] == 0:
            break
        if grouped[center]:
            continue
        span = slice(offsets[center], offsets[center + 1])
        pairs = zip(cols[span].tolist(), sims[span].tolist(), strict=True)
        members = [(c, s) for c, s in pairs if not grouped[c]]
        if not members:
            continue
        grouped[center] = True
        grouped[[c for c, _ in members]] = True
        clusters.append([(int(ids[center]), 1.0)] + [(int(ids[c]), s) for c, s in members])
    clusters.sort(key=lambda group: (-len(group), -group[1][1]))
    return clusters
