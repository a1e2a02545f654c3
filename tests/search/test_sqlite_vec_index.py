"""Tests for the sqlite-vec backend: same answers as numpy, persistence, and graceful absence."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from rekall.core.errors import StorageError
from rekall.search import sqlite_vec_driver, sqlite_vec_index
from rekall.search.backends import MATRIX_BUDGET_BYTES, choose_backend
from rekall.search.sqlite_vec_driver import find_vec_driver, open_vec_connection, sqlite_vec_status
from rekall.search.sqlite_vec_index import SqliteVecIndex
from rekall.search.vectors import NumpyIndex, VectorIndex

DIMS = 384
AVAILABLE, REASON = sqlite_vec_status()
requires_vec = pytest.mark.skipif(not AVAILABLE, reason=f"sqlite-vec unavailable: {REASON}")


def unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    matrix = rng.standard_normal((count, DIMS)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


@pytest.fixture
def corpus() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2024)
    ids = rng.choice(np.arange(1, 50_000), size=1200, replace=False).astype(np.int64)
    return ids, unit_vectors(rng, ids.size), unit_vectors(rng, 6)


@pytest.fixture
def vec_index(tmp_path: Path) -> Iterator[SqliteVecIndex]:
    index = SqliteVecIndex(tmp_path / "rekall-vec.db", DIMS)
    yield index
    index.close()


@pytest.fixture
def fresh_discovery() -> Iterator[None]:
    find_vec_driver.cache_clear()
    yield
    find_vec_driver.cache_clear()


def assert_same_hits(actual: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    assert [hit[0] for hit in actual] == [hit[0] for hit in expected]
    np.testing.assert_allclose([h[1] for h in actual], [h[1] for h in expected], atol=1e-5)


def allowed_set(ids: np.ndarray, kind: str) -> np.ndarray | None:
    rng = np.random.default_rng(len(kind))
    sizes = {"small": 4, "half": ids.size // 2, "all": ids.size, "empty": 0}
    return None if kind == "none" else rng.choice(ids, size=sizes[kind], replace=False)


@requires_vec
@pytest.mark.parametrize("allowed_kind", ["none", "small", "half", "all", "empty"])
@pytest.mark.parametrize("k", [1, 10, 50])
def test_both_backends_agree(
    vec_index: SqliteVecIndex, corpus: tuple[np.ndarray, ...], k: int, allowed_kind: str
) -> None:
    ids, matrix, queries = corpus
    allowed = allowed_set(ids, allowed_kind)
    vec_index.rebuild(ids, matrix)
    reference = NumpyIndex(DIMS, ids, matrix)
    for query in queries:
        expected = reference.search(query, k, allowed)
        assert_same_hits(vec_index.search(query, k, allowed), expected)
        permitted = ids.size if allowed is None else allowed.size
        assert len(expected) == min(k, permitted)


@requires_vec
def test_scores_are_cosine_similarities(vec_index: SqliteVecIndex) -> None:
    vectors = np.zeros((3, DIMS), dtype=np.float32)
    vectors[0, 0] = vectors[1, 1] = 1.0
    vectors[2, :2] = np.sqrt(0.5)
    vec_index.upsert([1, 2, 3], vectors)
    hits = vec_index.search(vectors[0], 3)
    assert [hit[0] for hit in hits] == [1, 3, 2]
    np.testing.assert_allclose([hit[1] for hit in hits], [1.0, np.sqrt(0.5), 0.0], atol=1e-6)


@requires_vec
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_ties_across_the_cut_are_broken_by_id(vec_index: SqliteVecIndex, k: int) -> None:
    rng = np.random.default_rng(8)
    best, other = unit_vectors(rng, 2)
    ids = [40, 30, 20, 10, 5]
    vectors = np.stack([best, other, other, other, other * -1])
    vec_index.upsert(ids, vectors)
    expected = NumpyIndex(DIMS, ids, vectors).search(best, k)
    assert_same_hits(vec_index.search(best, k), expected)


@requires_vec
def test_large_k_takes_the_exact_scan(
    vec_index: SqliteVecIndex, corpus: tuple[np.ndarray, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, matrix, queries = corpus
    vec_index.rebuild(ids, matrix)
    monkeypatch.setattr(sqlite_vec_index, "KNN_LIMIT", 8)
    reference = NumpyIndex(DIMS, ids, matrix)
    allowed = ids[::7]
    assert_same_hits(vec_index.search(queries[0], 30), reference.search(queries[0], 30))
    assert_same_hits(
        vec_index.search(queries[1], 30, allowed), reference.search(queries[1], 30, allowed)
    )


@requires_vec
def test_upsert_replaces_and_delete_removes(
    vec_index: SqliteVecIndex, corpus: tuple[np.ndarray, ...]
) -> None:
    ids, matrix, queries = corpus
    vec_index.rebuild(ids[:100], matrix[:100])
    target = int(ids[10])
    vec_index.upsert([target, target, 999_999], np.stack([queries[1], queries[0], queries[2]]))
    assert len(vec_index) == 101
    assert vec_index.search(queries[0], 1)[0] == pytest.approx((target, 1.0), abs=1e-5)
    assert vec_index.search(queries[2], 1)[0][0] == 999_999
    vec_index.delete([target, 123, target])
    assert len(vec_index) == 100
    assert target not in {hit[0] for hit in vec_index.search(queries[0], 200)}


@requires_vec
def test_rebuild_replaces_everything_and_records_the_generation(
    vec_index: SqliteVecIndex, corpus: tuple[np.ndarray, ...]
) -> None:
    ids, matrix, _ = corpus
    assert vec_index.built_generation() is None
    vec_index.rebuild(ids, matrix, generation=3)
    vec_index.rebuild(ids[:7], matrix[:7], generation=4)
    assert len(vec_index) == 7
    assert vec_index.built_generation() == 4
    vec_index.set_built_generation(5)
    assert vec_index.built_generation() == 5
    with pytest.raises(ValueError, match="unique"):
        vec_index.rebuild([1, 1], matrix[:2])
    assert len(vec_index) == 7


@requires_vec
def test_changes_apply_only_from_the_state_they_were_read_from(
    vec_index: SqliteVecIndex, corpus: tuple[np.ndarray, ...]
) -> None:
    ids, matrix, _ = corpus
    vec_index.rebuild(ids[:10], matrix[:10], generation=3, lineage="7.1")
    newer = matrix[20:21]
    assert vec_index.apply_changes([], ids[:1], newer, ("7.1", 3), ("7.1", 5)) is True
    older = matrix[30:31]
    # A second writer read the changes at generation 3 too: it must not move the index back.
    assert vec_index.apply_changes([ids[1]], ids[:1], older, ("7.1", 3), ("7.1", 4)) is False
    assert vec_index.built_state() == ("7.1", 5)
    assert len(vec_index) == 10
    assert vec_index.search(newer[0], 1)[0] == (int(ids[0]), pytest.approx(1.0, abs=1e-5))
    assert vec_index.rebuild_if(ids[:2], matrix[:2], ("7.1", 4), ("7.1", 6)) is False
    assert vec_index.rebuild_if(ids[:2], matrix[:2], ("7.1", 5), ("8.2", 6)) is True
    assert (len(vec_index), vec_index.built_state()) == (2, ("8.2", 6))


@requires_vec
def test_an_index_file_without_a_lineage_is_emptied(
    tmp_path: Path, corpus: tuple[np.ndarray, ...]
) -> None:
    """A file from before lineages cannot say which history it reflects."""
    ids, matrix, _ = corpus
    path = tmp_path / "rekall-vec.db"
    old = SqliteVecIndex(path, DIMS)
    old.rebuild(ids[:5], matrix[:5], generation=9)
    old._connection.execute("ALTER TABLE vec_meta DROP COLUMN lineage")
    old.close()
    reopened = SqliteVecIndex(path, DIMS)
    try:
        assert (len(reopened), reopened.built_state()) == (0, (None, None))
    finally:
        reopened.close()


@requires_vec
def test_index_persists_and_a_dimension_change_resets_it(
    tmp_path: Path, corpus: tuple[np.ndarray, ...]
) -> None:
    ids, matrix, queries = corpus
    path = tmp_path / "rekall-vec.db"
    first = SqliteVecIndex(path, DIMS)
    first.rebuild(ids, matrix, generation=9)
    first.close()
    again = SqliteVecIndex(path, DIMS)
    assert (len(again), again.built_generation()) == (ids.size, 9)
    assert_same_hits(
        again.search(queries[0], 5), NumpyIndex(DIMS, ids, matrix).search(queries[0], 5)
    )
    again.close()
    other_model = SqliteVecIndex(path, 8)
    assert (len(other_model), other_model.built_generation()) == (0, None)
    other_model.close()


@requires_vec
def test_two_connections_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "rekall-vec.db"
    writer, reader = SqliteVecIndex(path, DIMS), SqliteVecIndex(path, DIMS)
    vector = unit_vectors(np.random.default_rng(1), 1)
    writer.upsert([42], vector)
    writer.set_built_generation(2)
    assert reader.search(vector[0], 1)[0][0] == 42
    assert reader.built_generation() == 2
    writer.close()
    reader.close()


@requires_vec
def test_wrong_shapes_and_trivial_searches(vec_index: SqliteVecIndex) -> None:
    with pytest.raises(ValueError):
        vec_index.upsert([1, 2], np.zeros((1, DIMS)))
    with pytest.raises(ValueError):
        vec_index.search(np.ones(3), 1)
    assert vec_index.search(np.ones(DIMS), 5) == []
    vec_index.upsert([1], np.ones((1, DIMS)) / np.sqrt(DIMS))
    assert vec_index.search(np.ones(DIMS), 0) == []


@requires_vec
def test_sqlite_vec_index_satisfies_the_protocol(vec_index: SqliteVecIndex) -> None:
    index: VectorIndex = vec_index
    assert index.name == "sqlite-vec"


@requires_vec
def test_status_names_a_working_driver() -> None:
    assert REASON in {"stdlib sqlite3", "sqlean", "pysqlite3"}


@requires_vec
def test_auto_prefers_sqlite_vec_only_above_the_memory_budget() -> None:
    over = MATRIX_BUDGET_BYTES // (4 * DIMS) + 1
    name, reason = choose_backend("auto", over)
    assert name == "sqlite-vec"
    assert "MB in memory" in reason
    assert choose_backend("sqlite-vec", 10)[0] == "sqlite-vec"


def install_fake(monkeypatch: pytest.MonkeyPatch, name: str, can_load: bool) -> None:
    """A DB-API module whose Connection may or may not offer extension loading."""
    module = ModuleType(name)
    attributes = {"enable_load_extension": lambda self, on: None} if can_load else {}
    module.Connection = type("Connection", (), attributes)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)


def test_no_driver_falls_back_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, fresh_discovery: None, tmp_path: Path
) -> None:
    install_fake(monkeypatch, "fake_stdlib_sqlite3", can_load=False)
    monkeypatch.setattr(
        sqlite_vec_driver,
        "DRIVERS",
        (
            ("fake_stdlib_sqlite3", "stdlib sqlite3", "a Python built with sqlite3"),
            ("absent_sqlean_module", "sqlean", "sqlean.py"),
            ("absent_pysqlite3_module.dbapi2", "pysqlite3", "pysqlite3"),
        ),
    )
    available, reason = sqlite_vec_status()
    assert not available
    assert reason == (
        "stdlib sqlite3 cannot load extensions and neither sqlean.py nor pysqlite3 is installed:"
        " pip install 'rekall[sqlite-vec]'"
    )
    for setting, count in [("sqlite-vec", 10), ("auto", 10**7)]:
        name, why = choose_backend(setting, count)
        assert name == "numpy"
        assert "sqlite-vec is unavailable" in why and "pip install" in why
    with pytest.raises(StorageError, match="sqlite-vec is unavailable"):
        open_vec_connection(tmp_path / "v.db")
    with pytest.raises(StorageError, match="neither sqlean.py nor pysqlite3"):
        SqliteVecIndex(tmp_path / "v.db", DIMS)


def test_driver_that_fails_to_load_is_reported(
    monkeypatch: pytest.MonkeyPatch, fresh_discovery: None
) -> None:
    install_fake(monkeypatch, "fake_driver", can_load=True)
    module = sys.modules["fake_driver"]

    class FakeError(Exception):
        pass

    def connect(target: str) -> object:
        raise FakeError("extension loading is disabled")

    module.Error = FakeError  # type: ignore[attr-defined]
    module.connect = connect  # type: ignore[attr-defined]
    monkeypatch.setattr(sqlite_vec_driver, "DRIVERS", (("fake_driver", "sqlean", "sqlean.py"),))
    available, reason = sqlite_vec_status()
    assert not available
    assert "sqlean could not load sqlite-vec (extension loading is disabled)" in reason


def test_missing_sqlite_vec_package_is_reported(
    monkeypatch: pytest.MonkeyPatch, fresh_discovery: None
) -> None:
    monkeypatch.setitem(sys.modules, "sqlite_vec", None)
    available, reason = sqlite_vec_status()
    assert not available
    assert reason == "the sqlite-vec package is not installed: pip install 'rekall[sqlite-vec]'"
