"""Which vector index backend to use, and the reason to show the user in `rekall stats`."""

from __future__ import annotations

from rekall.core.errors import ConfigError

SETTINGS = ("auto", "numpy", "sqlite-vec")
BENCHMARK = "benchmarks/bench_vector_backends.py"
# Up to this size the numpy matrix is held in memory (RSS). 96 MiB is 65,536 vectors at 384
# dimensions: with the model loaded (~90 MB) a search stays under the 200 MB peak-RSS floor.
MATRIX_BUDGET_BYTES = 96 * 2**20


def choose_backend(setting: str, count: int, dimensions: int = 384) -> tuple[str, str]:
    """Pick "numpy" or "sqlite-vec" for `count` vectors, with a one-line reason.

    numpy exact search measured 10-20x faster than sqlite-vec at 10K-50K vectors (1.8 ms vs
    32 ms at 50K), but holds the whole matrix in the process; sqlite-vec reads it from disk
    and grows RSS by ~2 MB at any size. So `auto` keeps numpy while the matrix fits the memory
    budget and switches to sqlite-vec above it. An unavailable sqlite-vec falls back to numpy,
    and the reason says so.

    Raises:
        ConfigError: `setting` is not one of SETTINGS.
    """
    if setting not in SETTINGS:
        raise ConfigError(
            f"vector_index_backend must be one of {', '.join(SETTINGS)}, not {setting!r}"
        )
    if setting == "numpy":
        return "numpy", "numpy: chosen in the configuration"
    matrix_mb = count * dimensions * 4 / 2**20
    if setting == "auto" and count * dimensions * 4 <= MATRIX_BUDGET_BYTES:
        return "numpy", (
            f"auto: numpy exact search is faster than sqlite-vec at this size ({count:,} vectors,"
            f" {matrix_mb:.0f} MB in memory; measured in {BENCHMARK})"
        )
    from rekall.search.sqlite_vec_driver import sqlite_vec_status

    available, status = sqlite_vec_status()
    if not available:
        return "numpy", f"{setting}: sqlite-vec is unavailable, using numpy instead ({status})"
    if setting == "sqlite-vec":
        return "sqlite-vec", f"sqlite-vec: chosen in the configuration (driver: {status})"
    return "sqlite-vec", (
        f"auto: {count:,} vectors would hold {matrix_mb:.0f} MB in memory with numpy (budget"
        f" {MATRIX_BUDGET_BYTES // 2**20} MB); sqlite-vec searches them from disk, slower but"
        f" with flat memory (measured in {BENCHMARK}; driver: {status})"
    )
