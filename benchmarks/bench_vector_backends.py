"""Compare the numpy and sqlite-vec vector backends: search, build, cold load, upsert, memory."""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psutil

from rekall.search.snapshot import load_snapshot, save_snapshot
from rekall.search.sqlite_vec_driver import sqlite_vec_status
from rekall.search.sqlite_vec_index import SqliteVecIndex
from rekall.search.vectors import NumpyIndex

DIMENSIONS = 384
MODEL_ID = "bench-model"
GENERATION = 1


def random_unit_vectors(count: int, seed: int) -> npt.NDArray[np.float32]:
    """Seeded random float32 vectors of unit length."""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((count, DIMENSIONS), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of `action` in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def timed_ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def bench_search(index: NumpyIndex | SqliteVecIndex, queries: np.ndarray, allowed: object) -> float:
    """Median ms of a top-10 search, cycling through the queries once each."""
    pending = iter(queries)
    return median_ms(lambda: index.search(next(pending), 10, allowed), len(queries))  # type: ignore[arg-type]


def write_blob_table(path: Path, ids: np.ndarray, matrix: np.ndarray) -> None:
    """The main database's embeddings table: one BLOB per row."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE embeddings(entry_seq INTEGER PRIMARY KEY, vector BLOB)")
        connection.executemany(
            "INSERT INTO embeddings VALUES (?, ?)",
            zip(ids.tolist(), (row.tobytes() for row in matrix), strict=True),
        )
    connection.close()


def load_blob_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read every BLOB into one matrix, the fastest plain-SQLite way found."""
    connection = sqlite3.connect(path)
    rows = connection.execute("SELECT entry_seq, vector FROM embeddings").fetchall()
    connection.close()
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
    return ids, matrix.reshape(len(rows), DIMENSIONS)


def rss_after_search(backend: str, directory: Path) -> float:
    """MB of RSS a fresh process gains by opening `backend` cold and running one search."""
    command = [sys.executable, __file__, "--rss-probe", backend, str(directory)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(output.strip())


def probe_rss(backend: str, directory: Path) -> None:
    """Child side of rss_after_search: print the RSS growth in MB."""
    query = random_unit_vectors(1, seed=99)[0]
    process = psutil.Process()
    before = process.memory_info().rss
    if backend == "numpy":
        loaded = load_snapshot(directory, "bench", GENERATION, MODEL_ID, DIMENSIONS)
        assert loaded is not None, "snapshot missing"
        NumpyIndex(DIMENSIONS, *loaded).search(query, 10)
    else:
        SqliteVecIndex(directory / "vec.db", DIMENSIONS).search(query, 10)
    print((process.memory_info().rss - before) / 2**20)


def bench_size(count: int, repeats: int, directory: Path, vec_ok: bool) -> dict[str, float]:
    """Every figure for one corpus size."""
    matrix = random_unit_vectors(count, seed=count)
    ids = np.arange(1, count + 1, dtype=np.int64)
    queries = random_unit_vectors(repeats, seed=7)
    allowed = ids[::10]
    figures: dict[str, float] = {}
    numpy_index = NumpyIndex(DIMENSIONS)
    figures["numpy build"] = timed_ms(lambda: numpy_index.rebuild(ids, matrix.copy()))
    figures["numpy search"] = bench_search(numpy_index, queries, None)
    figures["numpy search, 10% allowed"] = bench_search(numpy_index, queries, allowed)
    figures["numpy first write (copy-on-write)"] = timed_ms(
        lambda: numpy_index.upsert([count + 1], queries[:1])
    )
    extra = iter(range(count + 2, count + 2 + repeats))
    figures["numpy upsert, new id"] = median_ms(
        lambda: numpy_index.upsert([next(extra)], queries[:1]), repeats
    )
    figures["numpy upsert, existing id"] = median_ms(
        lambda: numpy_index.upsert([count // 2], queries[:1]), repeats
    )
    doomed = iter(ids.tolist())
    figures["numpy delete (swap with last)"] = median_ms(
        lambda: numpy_index.delete([next(doomed)]), repeats
    )
    save_snapshot(directory, "bench", GENERATION, MODEL_ID, ids, matrix)
    figures["snapshot load (np.load mmap)"] = median_ms(
        lambda: load_snapshot(directory, "bench", GENERATION, MODEL_ID, DIMENSIONS), 20
    )
    figures["snapshot load + first search"] = median_ms(lambda: cold_search(directory, queries), 5)
    write_blob_table(directory / "blobs.db", ids, matrix)
    figures["BLOB-per-row load"] = median_ms(lambda: load_blob_table(directory / "blobs.db"), 5)
    figures["numpy RSS growth, cold search (MB)"] = rss_after_search("numpy", directory)
    if vec_ok:
        figures.update(bench_sqlite_vec(ids, matrix, queries, allowed, directory))
        figures["numpy/sqlite-vec search ratio"] = (
            figures["numpy search"] / figures["sqlite-vec search"]
        )
    return figures


def cold_search(directory: Path, queries: np.ndarray) -> None:
    loaded = load_snapshot(directory, "bench", GENERATION, MODEL_ID, DIMENSIONS)
    assert loaded is not None
    NumpyIndex(DIMENSIONS, *loaded).search(queries[0], 10)


def bench_sqlite_vec(
    ids: np.ndarray, matrix: np.ndarray, queries: np.ndarray, allowed: np.ndarray, directory: Path
) -> dict[str, float]:
    figures: dict[str, float] = {}
    count = ids.size
    index = SqliteVecIndex(directory / "vec.db", DIMENSIONS)
    figures["sqlite-vec build"] = timed_ms(lambda: index.rebuild(ids, matrix, GENERATION))
    figures["sqlite-vec search"] = bench_search(index, queries, None)
    figures["sqlite-vec search, 10% allowed"] = bench_search(index, queries, allowed)
    extra = iter(range(count + 1, count + 1 + len(queries)))
    figures["sqlite-vec upsert, new id"] = median_ms(
        lambda: index.upsert([next(extra)], queries[:1]), len(queries)
    )
    figures["sqlite-vec upsert, existing id"] = median_ms(
        lambda: index.upsert([count // 2], queries[:1]), len(queries)
    )
    index.close()
    reopen = median_ms(lambda: SqliteVecIndex(directory / "vec.db", DIMENSIONS).close(), 5)
    figures["sqlite-vec open"] = reopen
    figures["sqlite-vec RSS growth, cold search (MB)"] = rss_after_search("sqlite-vec", directory)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", action="store_true", help="also measure 200K vectors")
    parser.add_argument("--queries", type=int, default=50, help="queries per median (>= 50)")
    parser.add_argument("--rss-probe", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.rss_probe:
        probe_rss(arguments.rss_probe[0], Path(arguments.rss_probe[1]))
        return
    print("$ python benchmarks/bench_vector_backends.py" + (" --large" if arguments.large else ""))
    vec_ok, vec_reason = sqlite_vec_status()
    print(f"sqlite-vec: {'available via ' if vec_ok else 'unavailable: '}{vec_reason}")
    sizes = [10_000, 50_000] + ([200_000] if arguments.large else [])
    for count in sizes:
        with tempfile.TemporaryDirectory() as temporary:
            figures = bench_size(count, max(arguments.queries, 50), Path(temporary), vec_ok)
        print(f"\n{count:,} vectors x {DIMENSIONS} dims (ms unless noted)")
        for label, value in figures.items():
            print(f"  {label:<42} {value:10.3f}")


if __name__ == "__main__":
    main()
