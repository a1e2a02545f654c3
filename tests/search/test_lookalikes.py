"""Lookalike clusters from one blocked matrix product, checked against plain pairwise search."""

from __future__ import annotations

import numpy as np
import pytest

from rekall.search import lookalikes
from rekall.search.lookalikes import lookalike_clusters, similar_pairs


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def noisy_copies(
    rng: np.random.Generator, base: np.ndarray, count: int, noise: float
) -> np.ndarray:
    return unit(base + noise * rng.standard_normal((count, base.shape[-1])))


@pytest.mark.parametrize("block_cells", [7, 1000, 2_000_000])
def test_pairs_equal_the_brute_force_answer_whatever_the_block(
    monkeypatch: pytest.MonkeyPatch, block_cells: int
) -> None:
    rng = np.random.default_rng(1)
    matrix = unit(rng.standard_normal((60, 16)))
    matrix[10:15] = noisy_copies(rng, matrix[10], 5, 0.1)
    monkeypatch.setattr(lookalikes, "BLOCK_CELLS", block_cells)
    rows, cols, sims = similar_pairs(matrix, 0.7)
    scores = matrix @ matrix.T
    expected = {(i, j) for i in range(60) for j in range(60) if i != j and scores[i, j] >= 0.7}
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == expected
    assert np.allclose(sims, scores[rows, cols])


def test_each_cluster_gathers_around_its_most_connected_entry() -> None:
    rng = np.random.default_rng(7)
    matrix = unit(rng.standard_normal((200, 32)))
    matrix[0:4] = noisy_copies(rng, matrix[0], 4, 0.05)  # a group of four
    matrix[50:52] = noisy_copies(rng, matrix[50], 2, 0.05)  # a pair
    ids = np.arange(1000, 1200, dtype=np.int64)
    clusters = lookalike_clusters(ids, matrix, 0.9)
    assert [sorted(seq for seq, _ in group) for group in clusters] == [
        [1000, 1001, 1002, 1003],
        [1050, 1051],
    ]
    for group in clusters:
        center = group[0][0] - 1000
        assert group[0][1] == 1.0
        for seq, similarity in group[1:]:
            assert similarity == pytest.approx(float(matrix[center] @ matrix[seq - 1000]), abs=1e-5)
        assert [s for _, s in group[1:]] == sorted((s for _, s in group[1:]), reverse=True)


def test_a_chain_does_not_become_one_cluster() -> None:
    # Unit vectors at 0, 40, 75 and 110 degrees: a~b, b~c, c~d, but a is not like c.
    matrix = np.array(
        [[np.cos(np.radians(d)), np.sin(np.radians(d))] for d in (0, 40, 75, 110)],
        dtype=np.float32,
    )
    clusters = lookalike_clusters(np.arange(4, dtype=np.int64), matrix, 0.7)
    # b and c have two lookalikes each; b (first) is a center and takes c (35 degrees away)
    # then a (40); d's only lookalike is taken, so d stays alone.
    assert [[seq for seq, _ in group] for group in clusters] == [[1, 2, 0]]


def test_nothing_alike_and_an_empty_base_give_no_clusters() -> None:
    assert lookalike_clusters(np.arange(3, dtype=np.int64), np.eye(3, dtype=np.float32), 0.7) == []
    empty = np.empty((0, 8), dtype=np.float32)
    assert lookalike_clusters(np.empty(0, dtype=np.int64), empty, 0.7) == []
