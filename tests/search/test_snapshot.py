"""Tests for the on-disk vector snapshot: exact round trip, and None for anything untrustworthy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rekall.core.errors import StorageError
from rekall.search.snapshot import delete_snapshot, load_snapshot, save_snapshot, stamp_path
from rekall.search.vectors import NumpyIndex

DIMS = 16
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture
def arrays() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    matrix = rng.standard_normal((40, DIMS)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return rng.permutation(np.arange(100, 140)).astype(np.int64), matrix


@pytest.fixture
def saved(tmp_path: Path, arrays: tuple[np.ndarray, np.ndarray]) -> Path:
    save_snapshot(tmp_path, "vectors", 7, MODEL, *arrays)
    return tmp_path


def stamp_body(directory: Path) -> dict[str, object]:
    body: dict[str, object] = json.loads(stamp_path(directory, "vectors").read_text())
    return body


def test_round_trip_is_exact_and_memory_mapped(
    saved: Path, arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    loaded = load_snapshot(saved, "vectors", 7, MODEL, DIMS)
    assert loaded is not None
    ids, matrix = loaded
    np.testing.assert_array_equal(ids, arrays[0])
    np.testing.assert_array_equal(matrix, arrays[1])
    assert isinstance(matrix, np.memmap)
    assert not matrix.flags.writeable
    assert ids.dtype == np.int64
    assert matrix.dtype == np.float32


def test_a_loaded_snapshot_serves_searches(
    saved: Path, arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    loaded = load_snapshot(saved, "vectors", 7, MODEL, DIMS)
    assert loaded is not None
    index = NumpyIndex(DIMS, *loaded)
    assert index.search(arrays[1][3], 1)[0][0] == int(arrays[0][3])


@pytest.mark.parametrize(
    ("generation", "model_id", "dimensions"),
    [(8, MODEL, DIMS), (6, MODEL, DIMS), (7, "other-model", DIMS), (7, MODEL, 384)],
)
def test_stale_or_foreign_snapshot_is_refused(
    saved: Path, generation: int, model_id: str, dimensions: int
) -> None:
    assert load_snapshot(saved, "vectors", generation, model_id, dimensions) is None


def test_missing_snapshot_is_none(tmp_path: Path) -> None:
    assert load_snapshot(tmp_path, "vectors", 1, MODEL, DIMS) is None
    assert load_snapshot(tmp_path / "absent", "vectors", 1, MODEL, DIMS) is None


@pytest.mark.parametrize("which", ["ids_file", "matrix_file"])
def test_truncated_array_is_none(saved: Path, which: str) -> None:
    path = saved / str(stamp_body(saved)[which])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 24])
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None
    path.write_bytes(data[:40])
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None


def test_torn_write_without_stamp_is_none(saved: Path) -> None:
    stamp_path(saved, "vectors").unlink()
    assert list(saved.glob("*.npy"))
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None


def test_missing_array_file_is_none(saved: Path) -> None:
    (saved / str(stamp_body(saved)["matrix_file"])).unlink()
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None


@pytest.mark.parametrize(
    "change",
    [
        {"count": 39},
        {"count": "40"},
        {"count": -1},
        {"format": 99},
        {"ids_file": "../elsewhere.npy"},
        {"matrix_file": None},
    ],
)
def test_tampered_stamp_is_none(saved: Path, change: dict[str, object]) -> None:
    body = stamp_body(saved) | change
    stamp_path(saved, "vectors").write_text(json.dumps(body))
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"generation": 7}'])
def test_corrupt_stamp_is_none(saved: Path, text: str) -> None:
    stamp_path(saved, "vectors").write_text(text)
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None


def test_arrays_swapped_for_wrong_dtype_are_refused(saved: Path) -> None:
    body = stamp_body(saved)
    np.save(saved / str(body["matrix_file"]), np.zeros((40, DIMS), dtype=np.float64))
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None


def test_a_new_save_replaces_the_old_one(
    saved: Path, arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    ids, matrix = arrays
    save_snapshot(saved, "vectors", 8, MODEL, ids[:5], matrix[:5])
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None
    loaded = load_snapshot(saved, "vectors", 8, MODEL, DIMS)
    assert loaded is not None
    np.testing.assert_array_equal(loaded[0], ids[:5])
    assert len(list(saved.glob("vectors.*.npy"))) == 2


def test_failed_save_keeps_the_previous_snapshot(
    saved: Path, arrays: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(handle: object, array: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)
    with pytest.raises(StorageError, match="No space left"):
        save_snapshot(saved, "vectors", 8, MODEL, *arrays)
    monkeypatch.undo()
    assert load_snapshot(saved, "vectors", 8, MODEL, DIMS) is None
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is not None
    assert not list(saved.glob(".*.tmp"))
    assert len(list(saved.glob("vectors.*.npy"))) == 2


def test_empty_snapshot_round_trips(tmp_path: Path) -> None:
    save_snapshot(tmp_path, "vectors", 0, MODEL, np.empty(0), np.empty((0, DIMS)))
    loaded = load_snapshot(tmp_path, "vectors", 0, MODEL, DIMS)
    assert loaded is not None
    assert loaded[0].shape == (0,) and loaded[1].shape == (0, DIMS)


def test_delete_snapshot_removes_everything(saved: Path) -> None:
    save_snapshot(saved, "other", 1, MODEL, np.arange(2), np.zeros((2, DIMS)))
    delete_snapshot(saved, "vectors")
    assert load_snapshot(saved, "vectors", 7, MODEL, DIMS) is None
    assert not list(saved.glob("vectors.*"))
    assert load_snapshot(saved, "other", 1, MODEL, DIMS) is not None
    delete_snapshot(saved, "vectors")


def test_save_creates_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir"
    save_snapshot(target, "vectors", 1, MODEL, np.arange(3), np.ones((3, DIMS)))
    assert load_snapshot(target, "vectors", 1, MODEL, DIMS) is not None


@pytest.mark.parametrize("name", ["", "a/b", "../x", "a.b"])
def test_invalid_name_raises(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="invalid snapshot name"):
        save_snapshot(tmp_path, name, 1, MODEL, np.arange(1), np.ones((1, DIMS)))


def test_mismatched_shapes_raise(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="do not agree"):
        save_snapshot(tmp_path, "vectors", 1, MODEL, np.arange(3), np.ones((2, DIMS)))
