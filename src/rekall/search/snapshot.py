"""A derived on-disk copy of the vector matrix for fast cold starts, trusted only when current."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # annotations only (see bert_math)
    import numpy.typing as npt

from rekall.core.errors import StorageError

FORMAT = 1
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def stamp_path(directory: Path, name: str) -> Path:
    """Where the stamp of snapshot `name` lives; the stamp names the array files it vouches for.

    Raises:
        ValueError: `name` is not made of letters, digits, '-' and '_'.
    """
    if not _NAME.match(name):
        raise ValueError(f"invalid snapshot name: {name!r}")
    return directory / f"{name}.snapshot.json"


def save_snapshot(
    directory: Path,
    name: str,
    generation: int,
    model_id: str,
    ids: npt.ArrayLike,
    matrix: npt.ArrayLike,
) -> None:
    """Write ids (int64) and matrix (float32) as `.npy` files, then the stamp that vouches for them.

    Each save writes files under fresh names, fsyncs them and only then replaces the stamp, so
    a crash or a concurrent save never leaves a stamp pointing at a partial or foreign file.

    Raises:
        ValueError: the shapes disagree or `name` is invalid.
        StorageError: the files cannot be written.
    """
    id_array = np.ascontiguousarray(ids, dtype=np.int64)
    vectors = np.ascontiguousarray(matrix, dtype=np.float32)
    if id_array.ndim != 1 or vectors.ndim != 2 or vectors.shape[0] != id_array.size:
        raise ValueError(f"ids {id_array.shape} and matrix {vectors.shape} do not agree")
    stamp = stamp_path(directory, name)
    token = os.urandom(8).hex()
    ids_file, matrix_file = f"{name}.{token}.ids.npy", f"{name}.{token}.matrix.npy"
    body = {
        "format": FORMAT,
        "generation": generation,
        "model_id": model_id,
        "dimensions": int(vectors.shape[1]),
        "count": int(id_array.size),
        "ids_file": ids_file,
        "matrix_file": matrix_file,
    }
    arrays: dict[str, np.ndarray] = {ids_file: id_array, matrix_file: vectors}
    _write_arrays_then_stamp(directory, arrays, stamp, json.dumps(body).encode())
    _remove_stale_files(directory, name, keep={ids_file, matrix_file})


def _write_arrays_then_stamp(
    directory: Path, arrays: dict[str, np.ndarray], stamp: Path, payload: bytes
) -> None:
    """Each array durably under its file name, then the stamp; on failure nothing new stays."""
    written: list[Path] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for file_name, array in arrays.items():
            written.append(directory / file_name)
            _write_atomically(directory / file_name, lambda f, a=array: np.save(f, a))
        _write_atomically(stamp, lambda f: f.write(payload))
        _fsync_directory(directory)
    except OSError as error:
        for path in written:
            _remove_quietly(path)
        raise StorageError(f"cannot write the vector snapshot in {directory}: {error}") from error


def load_snapshot(
    directory: Path, name: str, generation: int, model_id: str, dimensions: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None:
    """Memory-map the snapshot if it is exactly for this generation, model and dimension count.

    Anything else (missing, stale, torn, truncated, corrupt) gives None, never an exception.
    """
    try:
        body = json.loads(stamp_path(directory, name).read_text(encoding="utf-8"))
        expected = {
            "format": FORMAT,
            "generation": generation,
            "model_id": model_id,
            "dimensions": dimensions,
        }
        if not isinstance(body, dict) or any(body.get(k) != v for k, v in expected.items()):
            return None
        count = body["count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return None
        ids = _load_array(directory, body["ids_file"], name, np.dtype(np.int64), (count,))
        matrix = _load_array(
            directory, body["matrix_file"], name, np.dtype(np.float32), (count, dimensions)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if ids is None or matrix is None:
        return None
    return ids, matrix


def peek_generation(directory: Path, name: str) -> int | None:
    """The generation the current snapshot was taken at, or None; the arrays are not checked."""
    try:
        body = json.loads(stamp_path(directory, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    generation = body.get("generation") if isinstance(body, dict) else None
    return generation if isinstance(generation, int) else None


def delete_snapshot(directory: Path, name: str) -> None:
    """Remove the stamp first (so nothing trusts the files any more), then the array files."""
    _remove_quietly(stamp_path(directory, name))
    _remove_stale_files(directory, name, keep=set())


def _load_array(
    directory: Path, file_name: Any, name: str, dtype: np.dtype[Any], shape: tuple[int, ...]
) -> Any:
    """Memory-map one array named by the stamp, or None if it is not exactly what was vouched."""
    if not isinstance(file_name, str) or not file_name.startswith(f"{name}."):
        return None
    path = directory / file_name
    if path.name != file_name:
        return None
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    if array.dtype != dtype or array.shape != shape or not array.flags.c_contiguous:
        return None
    return array


def _write_atomically(path: Path, write: Any) -> None:
    """Write through a temporary name, fsync, then rename over `path`."""
    temporary = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        _remove_quietly(temporary)
        raise


def _fsync_directory(directory: Path) -> None:
    """Make the renames durable where the platform allows opening a directory (not Windows)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove_stale_files(directory: Path, name: str, keep: set[str]) -> None:
    """Best effort: a file still mapped by a reader (Windows) is left for the next save."""
    for path in directory.glob(f"{name}.*.npy"):
        if path.name not in keep:
            _remove_quietly(path)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
