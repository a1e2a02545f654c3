"""Tests for the numpy vector index and the backend choice."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rekall.core.errors import ConfigError
from rekall.search.backends import MATRIX_BUDGET_BYTES, choose_backend
from rekall.search.vectors import NumpyIndex, VectorIndex, top_k

DIMS = 384


def unit_vectors(rng: np.random.Generator, count: int, dims: int = DIMS) -> np.ndarray:
    matrix = rng.standard_normal((count, dims)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


def brute_force(
    ids: np.ndarray, matrix: np.ndarray, query: np.ndarray, k: int, allowed: object = None
) -> list[tuple[int, float]]:
    """Reference: score every row in float64, filter, sort by (-score, id)."""
    scores = matrix.astype(np.float64) @ query.astype(np.float64)
    pairs = [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
    if allowed is not None:
        permitted = set(np.asarray(allowed).tolist())
        pairs = [pair for pair in pairs if pair[0] in permitted]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:k]


def assert_same_hits(actual: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    assert [hit[0] for hit in actual] == [hit[0] for hit in expected]
    np.testing.assert_allclose([h[1] for h in actual], [h[1] for h in expected], atol=1e-5)


@pytest.fixture
def corpus() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1234)
    ids = rng.choice(np.arange(1, 100_000), size=1500, replace=False).astype(np.int64)
    return ids, unit_vectors(rng, ids.size), unit_vectors(rng, 8)


@pytest.mark.parametrize("k", [1, 10, 100, 5000])
def test_search_matches_brute_force(corpus: tuple[np.ndarray, ...], k: int) -> None:
    ids, matrix, queries = corpus
    index = NumpyIndex(DIMS, ids, matrix)
    for query in queries:
        expected = brute_force(ids, matrix, query, k)
        assert_same_hits(index.search(query, k), expected)
        assert len(index.search(query, k)) == min(k, ids.size)


@pytest.mark.parametrize("size", [0, 1, 3, 40, 600, 1500])
def test_filter_applies_before_top_k(corpus: tuple[np.ndarray, ...], size: int) -> None:
    ids, matrix, queries = corpus
    rng = np.random.default_rng(size)
    allowed = rng.choice(ids, size=size, replace=False)
    index = NumpyIndex(DIMS, ids, matrix)
    for query in queries:
        hits = index.search(query, 10, allowed)
        assert len(hits) == min(10, size)
        assert set(hit[0] for hit in hits) <= set(allowed.tolist())
        assert_same_hits(hits, brute_force(ids, matrix, query, 10, allowed))


def test_allowed_ids_that_are_not_indexed_are_ignored(corpus: tuple[np.ndarray, ...]) -> None:
    ids, matrix, queries = corpus
    index = NumpyIndex(DIMS, ids, matrix)
    allowed = np.array([-5, 0, int(ids[3]), 10**12], dtype=np.int64)
    assert [hit[0] for hit in index.search(queries[0], 10, allowed)] == [int(ids[3])]


def test_ties_are_broken_by_id_ascending() -> None:
    vector = np.zeros(DIMS, dtype=np.float32)
    vector[0] = 1.0
    index = NumpyIndex(DIMS, [9, 4, 7, 1], np.tile(vector, (4, 1)))
    assert [hit[0] for hit in index.search(vector, 2)] == [1, 4]
    assert [hit[0] for hit in index.search(vector, 4)] == [1, 4, 7, 9]


def test_top_k_keeps_ties_across_the_cut() -> None:
    ids = np.array([50, 40, 30, 20, 10], dtype=np.int64)
    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.1], dtype=np.float32)
    assert [hit[0] for hit in top_k(ids, scores, 2)] == [50, 20]


def test_upsert_replaces_and_adds(corpus: tuple[np.ndarray, ...]) -> None:
    ids, matrix, queries = corpus
    index = NumpyIndex(DIMS, ids, matrix)
    target = int(ids[100])
    index.upsert([target, 123_456], np.stack([queries[0], queries[1]]))
    assert len(index) == ids.size + 1
    assert index.search(queries[0], 1)[0][0] == target
    assert index.search(queries[1], 1)[0] == pytest.approx((123_456, 1.0), abs=1e-5)


def test_upsert_batch_with_duplicates_keeps_the_last() -> None:
    rng = np.random.default_rng(5)
    vectors = unit_vectors(rng, 3)
    index = NumpyIndex(DIMS)
    index.upsert([7, 7, 8], vectors)
    assert len(index) == 2
    assert index.search(vectors[1], 1)[0] == pytest.approx((7, 1.0), abs=1e-5)


def test_delete_removes_and_ids_survive_swaps(corpus: tuple[np.ndarray, ...]) -> None:
    ids, matrix, queries = corpus
    index = NumpyIndex(DIMS, ids, matrix)
    rng = np.random.default_rng(9)
    doomed = rng.choice(ids, size=700, replace=False)
    index.delete(np.concatenate([doomed, [-1, 10**9]]))
    keep = ~np.isin(ids, doomed)
    assert len(index) == int(keep.sum())
    for query in queries:
        assert_same_hits(index.search(query, 20), brute_force(ids[keep], matrix[keep], query, 20))
    for key, vector in zip(ids[keep][:50], matrix[keep][:50], strict=True):
        assert index.search(vector, 1)[0][0] == int(key)


def test_many_single_writes_stay_consistent() -> None:
    rng = np.random.default_rng(11)
    vectors = unit_vectors(rng, 300)
    index = NumpyIndex(DIMS)
    for key, vector in enumerate(vectors):
        index.upsert([key], vector)
    for key in range(0, 300, 3):
        index.delete([key])
    live_ids, live_matrix = index.arrays()
    assert sorted(live_ids.tolist()) == [key for key in range(300) if key % 3]
    for key, vector in zip(live_ids, live_matrix, strict=True):
        np.testing.assert_array_equal(vector, vectors[key])


def test_snapshot_memmap_is_borrowed_until_the_first_write(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    matrix = unit_vectors(rng, 50)
    np.save(tmp_path / "m.npy", matrix)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    index = NumpyIndex(DIMS, np.arange(50), mapped)
    assert np.shares_memory(index.arrays()[1], mapped)
    assert index.search(matrix[4], 1)[0][0] == 4
    index.upsert([4], matrix[5])
    index.delete([0])
    assert not np.shares_memory(index.arrays()[1], mapped)
    np.testing.assert_array_equal(np.load(tmp_path / "m.npy"), matrix)


def test_exported_arrays_do_not_change_with_later_writes() -> None:
    rng = np.random.default_rng(6)
    index = NumpyIndex(DIMS)
    index.upsert(np.arange(20), unit_vectors(rng, 20))
    ids, matrix = index.arrays()
    ids_before, matrix_before = ids.copy(), matrix.copy()
    index.delete([0, 1, 2])
    index.upsert([7], unit_vectors(rng, 1))
    np.testing.assert_array_equal(ids, ids_before)
    np.testing.assert_array_equal(matrix, matrix_before)


def test_concurrent_searches_and_writes_stay_consistent() -> None:
    rng = np.random.default_rng(12)
    vectors = unit_vectors(rng, 400)
    index = NumpyIndex(DIMS, np.arange(200), vectors[:200])
    failures: list[BaseException] = []

    def write() -> None:
        for key in range(200, 400):
            index.upsert([key], vectors[key])
            index.delete([key - 200])

    def read() -> None:
        try:
            for key in range(200, 400):
                hits = index.search(vectors[key], 5)
                assert len(hits) == 5 and len({hit[0] for hit in hits}) == 5
        except BaseException as error:  # reported to the main thread below
            failures.append(error)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sorted(index.arrays()[0].tolist()) == list(range(200, 400))


def test_caller_arrays_are_never_modified() -> None:
    rng = np.random.default_rng(4)
    ids, matrix = np.arange(10, dtype=np.int64), unit_vectors(rng, 10)
    ids_before, matrix_before = ids.copy(), matrix.copy()
    index = NumpyIndex(DIMS, ids, matrix)
    index.delete([0, 1])
    index.upsert([5, 50], matrix[:2])
    np.testing.assert_array_equal(ids, ids_before)
    np.testing.assert_array_equal(matrix, matrix_before)


def test_rebuild_replaces_everything(corpus: tuple[np.ndarray, ...]) -> None:
    ids, matrix, queries = corpus
    index = NumpyIndex(DIMS, ids, matrix)
    index.rebuild(ids[:5], matrix[:5])
    assert len(index) == 5
    assert {hit[0] for hit in index.search(queries[0], 10)} == set(ids[:5].tolist())


def test_empty_index_and_non_positive_k() -> None:
    index = NumpyIndex(DIMS)
    query = np.ones(DIMS, dtype=np.float32)
    assert index.search(query, 10) == []
    index.upsert([1], query / np.linalg.norm(query))
    assert index.search(query, 0) == []
    assert index.search(query, 5, np.array([], dtype=np.int64)) == []
    index.close()
    assert len(index) == 0


@pytest.mark.parametrize(
    ("ids", "vectors"),
    [([1, 2], np.zeros((3, DIMS))), ([1], np.zeros((1, 8))), ([[1]], np.zeros((1, DIMS)))],
)
def test_wrong_shapes_raise(ids: object, vectors: np.ndarray) -> None:
    with pytest.raises(ValueError):
        NumpyIndex(DIMS).upsert(ids, vectors)  # type: ignore[arg-type]


def test_duplicate_ids_in_rebuild_raise() -> None:
    with pytest.raises(ValueError, match="unique"):
        NumpyIndex(DIMS, [3, 1, 3], np.zeros((3, DIMS)))


def test_query_of_wrong_dimension_raises() -> None:
    with pytest.raises(ValueError, match="384"):
        NumpyIndex(DIMS).search(np.ones(10), 3)


def test_single_upsert_on_50k_is_cheap() -> None:
    rng = np.random.default_rng(0)
    index = NumpyIndex(DIMS, np.arange(50_000), unit_vectors(rng, 50_000))
    vector = unit_vectors(rng, 1)
    index.upsert([0], vector)  # the first write pays the copy-on-write once
    times = []
    for key in range(50_000, 50_040):
        start = time.perf_counter()
        index.upsert([key], vector)
        index.delete([key - 49_000])
        times.append(time.perf_counter() - start)
    assert sorted(times)[len(times) // 2] < 0.005


def test_numpy_index_satisfies_the_protocol() -> None:
    index: VectorIndex = NumpyIndex(DIMS)
    assert index.name == "numpy"


def test_choose_backend_numpy_and_auto_small() -> None:
    assert choose_backend("numpy", 10**7)[0] == "numpy"
    name, reason = choose_backend("auto", 10_000)
    assert name == "numpy"
    assert "faster than sqlite-vec" in reason
    assert "benchmarks/bench_vector_backends.py" in reason
    assert choose_backend("auto", MATRIX_BUDGET_BYTES // (4 * DIMS))[0] == "numpy"


def test_choose_backend_rejects_unknown_setting() -> None:
    with pytest.raises(ConfigError, match="auto, numpy, sqlite-vec"):
        choose_backend("faiss", 10)
